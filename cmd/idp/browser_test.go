package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// browser drives the hosted pages as a browser without JavaScript would:
// it keeps cookies, follows redirects inside the provider, and reads and
// submits forms.
type browser struct {
	t      *testing.T
	client *http.Client
	issuer *url.URL
}

func newBrowser(t *testing.T, issuer string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{
		t:      t,
		issuer: u,
		client: &http.Client{
			Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// page is a response with its parsed document.
type page struct {
	URL    *url.URL
	Status int
	Body   string
	Doc    *html.Node
	// Location is set when the browser stopped at a redirect that leaves
	// the provider (to a relying party).
	Location *url.URL
}

// get opens rawURL and follows redirects while they stay on the provider.
func (b *browser) get(rawURL string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	for range 20 {
		resp, err := b.client.Do(req)
		if err != nil {
			b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				b.t.Fatalf("bad Location %q: %v", resp.Header.Get("Location"), err)
			}
			if loc.Host != b.issuer.Host {
				return &page{URL: req.URL, Status: resp.StatusCode, Location: loc}
			}
			req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
			continue
		}
		doc, err := html.Parse(bytes.NewReader(body))
		if err != nil {
			b.t.Fatalf("parse %s: %v", req.URL.Path, err)
		}
		return &page{URL: req.URL, Status: resp.StatusCode, Body: string(body), Doc: doc}
	}
	b.t.Fatalf("too many redirects from %s", req.URL)
	return nil
}

// submit fills the page's form that has the given field names (its other
// inputs keep their values, hidden ones included) and posts it.
func (b *browser) submit(p *page, fields map[string]string) *page {
	b.t.Helper()
	form := p.formWith(keys(fields))
	if form == nil {
		b.t.Fatalf("%s: no form with fields %v in:\n%s", p.URL.Path, keys(fields), p.Body)
	}
	values := formValues(form)
	for k, v := range fields {
		values.Set(k, v)
	}
	action, err := p.URL.Parse(attr(form, "action"))
	if err != nil {
		b.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// post sends a raw form, for hostile requests a page would never send.
func (b *browser) post(rawURL string, values url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// formWith returns the first form containing inputs named by every name.
func (p *page) formWith(names []string) *html.Node {
	var found *html.Node
	walk(p.Doc, func(n *html.Node) bool {
		if found != nil || !isElement(n, "form") {
			return found == nil
		}
		have := map[string]bool{}
		walk(n, func(c *html.Node) bool {
			if isElement(c, "input") || isElement(c, "select") || isElement(c, "textarea") || isElement(c, "button") {
				have[attr(c, "name")] = true
			}
			return true
		})
		for _, name := range names {
			if !have[name] {
				return true
			}
		}
		found = n
		return false
	})
	return found
}

// formValues returns what the form would submit unchanged: text and
// hidden inputs, checked boxes and radios.
func formValues(form *html.Node) url.Values {
	v := url.Values{}
	walk(form, func(n *html.Node) bool {
		if !isElement(n, "input") {
			return true
		}
		name := attr(n, "name")
		if name == "" {
			return true
		}
		switch attr(n, "type") {
		case "checkbox", "radio":
			if hasAttr(n, "checked") {
				v.Set(name, valueOr(n, "on"))
			}
		case "submit", "button":
		default:
			v.Set(name, attr(n, "value"))
		}
		return true
	})
	return v
}

func valueOr(n *html.Node, def string) string {
	if hasAttr(n, "value") {
		return attr(n, "value")
	}
	return def
}

// has reports whether the page has an input with the given name.
func (p *page) has(name string) bool {
	found := false
	walk(p.Doc, func(n *html.Node) bool {
		if isElement(n, "input") && attr(n, "name") == name {
			found = true
		}
		return !found
	})
	return found
}

// byID returns the element with the given id, or nil.
func (p *page) byID(id string) *html.Node {
	var found *html.Node
	walk(p.Doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
		return found == nil
	})
	return found
}

// linkWithPrefix returns the first href starting with prefix.
func (p *page) linkWithPrefix(prefix string) string {
	href := ""
	walk(p.Doc, func(n *html.Node) bool {
		if isElement(n, "a") && strings.HasPrefix(attr(n, "href"), prefix) {
			href = attr(n, "href")
		}
		return href == ""
	})
	return href
}

// alert returns the text of the first element with role="alert".
func (p *page) alert() string {
	text := ""
	walk(p.Doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && attr(n, "role") == "alert" {
			text = strings.TrimSpace(textOf(n))
		}
		return text == ""
	})
	return text
}

func walk(n *html.Node, f func(*html.Node) bool) {
	if n == nil || !f(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func textOf(n *html.Node) string {
	var sb strings.Builder
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			sb.WriteString(c.Data)
		}
		return true
	})
	return sb.String()
}

func isElement(n *html.Node, tag string) bool {
	return n.Type == html.ElementNode && n.Data == tag
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

type htmlNode = html.Node
