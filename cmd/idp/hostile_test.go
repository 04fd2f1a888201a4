package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHostileForms(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	link := s.invite(t, "kim@example.com")
	b := newBrowser(t, s.url)

	// A form without the CSRF token is refused and changes nothing.
	token, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	p := b.post(s.url+"/invite", url.Values{
		"token":    {token.Query().Get("token")},
		"password": {testPassword}, "password_confirm": {testPassword}, "accept_terms": {"on"},
	})
	if p.Status != http.StatusForbidden {
		t.Errorf("invitation without csrf_token: status %d, want 403", p.Status)
	}
	if p = b.get(link); !p.has("password_confirm") {
		t.Fatal("the invitation was used by a form without a CSRF token")
	}

	// A huge form gets 413, not a 500.
	r := rp.start()
	p = b.get(r.url)
	p = b.submit(p, map[string]string{"email": "kim@example.com", "password": strings.Repeat("x", 1<<20)})
	if p.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB password: status %d, want 413", p.Status)
	}

	// An unknown auth request ID gets a clear 400 page.
	p = b.get(s.url + "/login?id=" + strings.Repeat("A", 22))
	if p.Status != http.StatusBadRequest {
		t.Errorf("unknown auth request: status %d, want 400", p.Status)
	}

	// A rejected redirect_uri is a 400 page, never a redirect.
	bad := strings.Replace(r.url, url.QueryEscape(s.client.RedirectURIs[0]), url.QueryEscape("https://evil.example/cb"), 1)
	p = b.get(bad)
	if p.Location != nil || p.Status != http.StatusBadRequest {
		t.Errorf("foreign redirect_uri: status %d, location %v; want 400 and no redirect", p.Status, p.Location)
	}
}
