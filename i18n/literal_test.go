package i18n

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	htmlComment    = regexp.MustCompile(`(?s)<!--.*?-->`)
	rawElement     = regexp.MustCompile(`(?is)<(style|script)\b.*?</(style|script)>`)
	// shownAttribute finds the attributes that browsers show or read
	// aloud, with their value.
	shownAttribute = regexp.MustCompile(`(?i)\s(alt|title|placeholder|aria-label|label)\s*=\s*"([^"]*)"`)
	htmlTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlEntity     = regexp.MustCompile(`&#?[A-Za-z0-9]+;`)
	letter         = regexp.MustCompile(`\p{L}`)
)

// literalText returns the text a reader would see in a template source
// that is not produced by a template action: text between tags, the
// attributes in shownAttribute, and for plain-text templates everything.
func literalText(source string, isHTML bool) string {
	s := templateAction.ReplaceAllString(source, " ")
	if !isHTML {
		return s
	}
	s = htmlComment.ReplaceAllString(s, " ")
	s = rawElement.ReplaceAllString(s, " ")
	var shown []string
	for _, m := range shownAttribute.FindAllStringSubmatch(s, -1) {
		shown = append(shown, m[2])
	}
	s = htmlTag.ReplaceAllString(s, " ")
	s = htmlEntity.ReplaceAllString(s, " ")
	return s + " " + strings.Join(shown, " ")
}

// TestTemplatesHaveNoLiteralText checks every page, layout and email
// template: each word a user reads must come from the catalogue, so it
// exists in every language.
func TestTemplatesHaveNoLiteralText(t *testing.T) {
	root := os.DirFS("../templates")
	checked := 0
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		isHTML := strings.HasSuffix(name, ".html")
		if !isHTML && !strings.HasSuffix(name, ".txt") {
			return nil
		}
		buf, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		checked++
		if text := literalText(string(buf), isHTML); letter.MatchString(text) {
			t.Errorf("templates/%s has literal text: %q", name, strings.Join(strings.Fields(text), " "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no templates found under ../templates")
	}
}

func TestLiteralTextFound(t *testing.T) {
	cases := map[string]bool{
		`<p>{{t "Hello"}}</p>`:                              false,
		`<p>Hello {{.Name}}</p>`:                            true,
		`<img alt="QR code" src="{{.QR}}">`:                 true,
		`<img alt="{{t "QR"}}" src="x.png">`:                false,
		`<button aria-label="Close">{{t "Close"}}</button>`: true,
		`<style>p { color: red; }</style>{{t "A"}}`:         false,
		`<!-- note -->{{t "A"}}&nbsp;·`:                     false,
		`<a href="/x" style="color:#fff">{{t "A"}}</a>`:     false,
	}
	for source, want := range cases {
		if got := letter.MatchString(literalText(source, true)); got != want {
			t.Errorf("literal text in %q: %v, want %v", source, got, want)
		}
	}
	if !letter.MatchString(literalText("Hello {{.Name}}\n", false)) {
		t.Error("plain-text template: literal Hello not found")
	}
	if letter.MatchString(literalText("{{t \"Hello\"}}\n\n-- \n{{.Link}}\n", false)) {
		t.Error("plain-text template: literal text found where there is none")
	}
}
