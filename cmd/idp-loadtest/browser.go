package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// maxBody bounds a response body read by the load generator.
const maxBody = 1 << 20

// browser is one cookie jar over a shared transport. It follows redirects
// while they stay on the provider and stops at the first redirect to
// another host (the relying party).
type browser struct {
	client *http.Client
	host   string
}

// newBrowser returns a browser with an empty cookie jar. A non-empty
// clientAddr is sent as X-Forwarded-For on every request, so a provider
// that trusts the load generator as a proxy sees one client address per
// virtual user, as it would behind a real load balancer.
func newBrowser(transport http.RoundTripper, issuer *url.URL, clientAddr string) *browser {
	jar, _ := cookiejar.New(nil)
	if clientAddr != "" {
		transport = forwardedFor{next: transport, addr: clientAddr}
	}
	return &browser{
		host: issuer.Host,
		client: &http.Client{
			Transport: transport,
			Jar:       jar,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// forwardedFor sets X-Forwarded-For on each request.
type forwardedFor struct {
	next http.RoundTripper
	addr string
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// page is the final response of a request and its redirects.
type page struct {
	url      *url.URL
	status   int
	body     []byte
	doc      *html.Node
	location *url.URL // set when stopped at a redirect that leaves the provider
}

func (b *browser) get(ctx context.Context, rawURL string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) (*page, error) {
	for range 10 {
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return nil, fmt.Errorf("bad Location header: %w", err)
			}
			if loc.Host != b.host {
				return &page{url: req.URL, status: resp.StatusCode, location: loc}, nil
			}
			req, err = http.NewRequestWithContext(req.Context(), http.MethodGet, loc.String(), nil)
			if err != nil {
				return nil, err
			}
			continue
		}
		p := &page{url: req.URL, status: resp.StatusCode, body: body}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			if p.doc, err = html.Parse(bytes.NewReader(body)); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	return nil, fmt.Errorf("too many redirects from %s", req.URL.Path)
}

// submit posts the page's form that contains every field in fields, with
// the form's other inputs (hidden ones included) unchanged.
func (b *browser) submit(ctx context.Context, p *page, fields map[string]string) (*page, error) {
	form := p.formWith(fields)
	if form == nil {
		return nil, fmt.Errorf("%s (status %d): no form with fields %v", p.url.Path, p.status, keys(fields))
	}
	values := url.Values{}
	walk(form, func(n *html.Node) {
		if n.Type != html.ElementNode || n.Data != "input" || attr(n, "name") == "" {
			return
		}
		switch attr(n, "type") {
		case "checkbox", "radio":
			if hasAttr(n, "checked") {
				values.Set(attr(n, "name"), attrOr(n, "value", "on"))
			}
		case "submit", "button":
		default:
			values.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	for k, v := range fields {
		values.Set(k, v)
	}
	action, err := p.url.Parse(attr(form, "action"))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// formWith returns the first form that has inputs named by every key of
// fields.
func (p *page) formWith(fields map[string]string) *html.Node {
	var found *html.Node
	walk(p.doc, func(n *html.Node) {
		if found != nil || n.Type != html.ElementNode || n.Data != "form" {
			return
		}
		names := map[string]bool{}
		walk(n, func(c *html.Node) {
			if c.Type == html.ElementNode && (c.Data == "input" || c.Data == "button" || c.Data == "select") {
				names[attr(c, "name")] = true
			}
		})
		for k := range fields {
			if !names[k] {
				return
			}
		}
		found = n
	})
	return found
}

// has reports whether the page has an input named name.
func (p *page) has(name string) bool {
	found := false
	walk(p.doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == name {
			found = true
		}
	})
	return found
}

// linkWithPrefix returns the first href that starts with prefix.
func (p *page) linkWithPrefix(prefix string) string {
	href := ""
	walk(p.doc, func(n *html.Node) {
		if href == "" && n.Type == html.ElementNode && n.Data == "a" && strings.HasPrefix(attr(n, "href"), prefix) {
			href = attr(n, "href")
		}
	})
	return href
}

// listItems returns the text of the li elements under the element with
// the given id.
func (p *page) listItems(id string) []string {
	var items []string
	walk(p.doc, func(n *html.Node) {
		if n.Type != html.ElementNode || attr(n, "id") != id {
			return
		}
		walk(n, func(c *html.Node) {
			if c.Type == html.ElementNode && c.Data == "li" {
				items = append(items, strings.TrimSpace(text(c)))
			}
		})
	})
	return items
}

func walk(n *html.Node, f func(*html.Node)) {
	if n == nil {
		return
	}
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func text(n *html.Node) string {
	var sb strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			sb.WriteString(c.Data)
		}
	})
	return sb.String()
}

func attr(n *html.Node, key string) string {
	return attrOr(n, key, "")
}

func attrOr(n *html.Node, key, def string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return def
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
