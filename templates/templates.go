// Package templates embeds the HTML pages of the hosted sign-in and their
// stylesheet.
//
// Every page file in pages/ defines the blocks "title" and "content", which
// layout.html places into one frame. A page writes no text a user reads:
// every string comes from the message catalogue through the template
// function t, as in {{t "SignInTitle"}} or {{t "HomeSignedInAs" "Name" .Name}}
// (an ID followed by placeholder names and values).
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template/parse"
)

//go:embed layout.html pages/*.html
var files embed.FS

// Static holds the files served under /static/, such as static/style.css.
//
//go:embed static
var Static embed.FS

// TranslateFunc is the name of the template function that looks up a
// message. Set.MessageIDs finds its calls with a constant ID.
const TranslateFunc = "t"

// Set is the parsed pages, each joined with the layout. It is safe for
// concurrent use.
type Set struct {
	pages map[string]*template.Template

	mu sync.Mutex
	// clones holds one clone per page and variant, with that variant's
	// functions.
	clones map[cloneKey]*template.Template
}

type cloneKey struct{ page, variant string }

// Parse parses every page with the layout. funcs must define every function
// the pages call, TranslateFunc included; Execute replaces the
// implementations per request. Parse fails when a page does not parse or
// when a name in required has no page, listing every missing name.
func Parse(funcs template.FuncMap, required []string) (*Set, error) {
	names, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		t, err := template.New(page).Funcs(funcs).ParseFS(files, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", page, err)
		}
		s.pages[page] = t
	}

	var missing []string
	for _, name := range required {
		if s.pages[name] == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("parse templates: missing pages: %s", strings.Join(missing, ", "))
	}
	return s, nil
}

// Execute renders page with data into w, with funcs replacing the
// functions given to Parse. The page is rendered into a buffer first, so w
// receives nothing when rendering fails.
//
// variant names funcs, such as the language they translate into: the first
// call for a page and variant clones the page with funcs, and later calls
// reuse that clone and ignore their funcs. html/template escapes a template
// at its first execution, so the reuse spares every later request that
// work. funcs must therefore depend on variant alone, never on the request.
func (s *Set) Execute(w io.Writer, page, variant string, funcs template.FuncMap, data any) error {
	t, err := s.clone(page, variant, funcs)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("execute template %s: %w", page, err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// clone returns the clone of page for variant, making it on first use.
// html/template forbids changing the functions of a template once
// executed, hence a clone per variant.
func (s *Set) clone(page, variant string, funcs template.FuncMap) (*template.Template, error) {
	key := cloneKey{page, variant}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clones[key]; c != nil {
		return c, nil
	}
	t := s.pages[page]
	if t == nil {
		return nil, fmt.Errorf("execute template: no page %q", page)
	}
	c, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("execute template %s: %w", page, err)
	}
	c.Funcs(funcs)
	if s.clones == nil {
		s.clones = make(map[cloneKey]*template.Template)
	}
	s.clones[key] = c
	return c, nil
}

// Pages returns the names of the parsed pages, sorted.
func (s *Set) Pages() []string {
	names := make([]string, 0, len(s.pages))
	for name := range s.pages {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// MessageIDs returns, sorted and without repeats, every message ID that the
// templates pass to TranslateFunc as a constant. IDs chosen at run time
// ({{t .LabelID}}) are not found; their callers check them.
func (s *Set) MessageIDs() []string {
	seen := map[string]bool{}
	for _, page := range s.pages {
		for _, t := range page.Templates() {
			if t.Tree != nil {
				collectIDs(t.Tree.Root, seen)
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// collectIDs walks a parse tree and adds the constant first argument of
// every call of TranslateFunc to seen.
func collectIDs(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collectIDs(c, seen)
		}
	case *parse.ActionNode:
		collectIDs(n.Pipe, seen)
	case *parse.IfNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.RangeNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.WithNode:
		collectBranch(&n.BranchNode, seen)
	case *parse.TemplateNode:
		collectIDs(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			collectIDs(cmd, seen)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 {
			fn, isIdent := n.Args[0].(*parse.IdentifierNode)
			id, isString := n.Args[1].(*parse.StringNode)
			if isIdent && isString && fn.Ident == TranslateFunc {
				seen[id.Text] = true
			}
		}
		for _, arg := range n.Args {
			collectIDs(arg, seen)
		}
	}
}

func collectBranch(b *parse.BranchNode, seen map[string]bool) {
	collectIDs(b.Pipe, seen)
	collectIDs(b.List, seen)
	collectIDs(b.ElseList, seen)
}
