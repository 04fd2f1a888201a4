package main

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/login/webauthntest"
)

// onLocalhost serves the provider under the host name localhost, because
// an IP address cannot be a WebAuthn RP ID.
func onLocalhost(cfg *config) {
	cfg.Issuer = strings.Replace(cfg.Issuer, "127.0.0.1", "localhost", 1)
}

var keyDataPattern = regexp.MustCompile(`data-(begin|finish|csrf)="([^"]*)"`)

// keyCeremony runs the security-key element of p with sign, as
// webauthn.js does, and returns the page the script would go to next.
func keyCeremony(t *testing.T, b *browser, p *page, sign func(options []byte) ([]byte, error), name string) *page {
	t.Helper()
	data := map[string]string{}
	for _, m := range keyDataPattern.FindAllStringSubmatch(p.Body, 3) {
		data[m[1]] = html.UnescapeString(m[2])
	}
	if len(data) != 3 {
		t.Fatalf("%s: no security key element (status %d):\n%s", p.URL.Path, p.Status, p.Body)
	}
	options := postKeyJSON(t, b, p.URL.ResolveReference(mustURL(t, data["begin"])).String(), data["csrf"], []byte(`{}`))
	response, err := sign(options)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": name, "credential": json.RawMessage(response)})
	out := postKeyJSON(t, b, p.URL.ResolveReference(mustURL(t, data["finish"])).String(), data["csrf"], body)
	var result struct {
		Next  string `json:"next"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &result); err != nil || result.Next == "" {
		t.Fatalf("finish: %s", out)
	}
	return b.get(p.URL.ResolveReference(mustURL(t, result.Next)).String())
}

func postKeyJSON(t *testing.T, b *browser, rawURL, csrf string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", req.URL.Path, resp.StatusCode, buf.String())
	}
	return buf.Bytes()
}

func TestSecurityKeyJourney(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), onLocalhost)
			rp := s.relyingParty(t)
			auth := webauthntest.New(s.url)

			// A new user registers a security key as the second factor.
			b := newBrowser(t, s.url)
			acceptInvitation(t, b, s.invite(t, "kim@example.com"), testPassword)
			r := rp.start()
			p := signInWithPassword(t, b, r, "kim@example.com", testPassword)
			p = b.submit(p, map[string]string{"method": "webauthn"})
			tk := rp.exchange(t, keyCeremony(t, b, p, func(o []byte) ([]byte, error) {
				out, _, err := auth.Register(o)
				return out, err
			}, "Blue key"), r)
			c := tk.claims(t)
			wantAMR(t, c.AMR, "pwd", "hwk", "user", "pin", "mfa")
			if c.ACR != "phr" {
				t.Errorf("acr = %q, want phr", c.ACR)
			}

			// Later, password and key, in another browser.
			s.clock.Advance(time.Minute)
			b = newBrowser(t, s.url)
			r = rp.start()
			p = signInWithPassword(t, b, r, "kim@example.com", testPassword)
			tk = rp.exchange(t, keyCeremony(t, b, p, auth.Assert, ""), r)
			if c := tk.claims(t); c.ACR != "phr" || !slices.Contains(c.AMR, "hwk") {
				t.Errorf("second sign-in: acr %q, amr %v", c.ACR, c.AMR)
			}

			// And a passkey alone, without a password.
			s.clock.Advance(time.Minute)
			b = newBrowser(t, s.url)
			r = rp.start()
			p = b.get(r.url)
			tk = rp.exchange(t, keyCeremony(t, b, p, auth.Assert, ""), r)
			c = tk.claims(t)
			wantAMR(t, c.AMR, "hwk", "user", "pin", "mfa")
			if c.ACR != "phr" || c.AuthTime != s.clock.Now().Unix() {
				t.Errorf("passkey: acr %q, auth_time %d; want phr, %d", c.ACR, c.AuthTime, s.clock.Now().Unix())
			}
		})
	}
}

func TestStepUpToSecurityKey(t *testing.T) {
	s := startServer(t, backends(t)["sqlite"](t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "lea@example.com")
	if c := u.first.claims(t); c.ACR != "2fa" {
		t.Fatalf("first sign-in acr = %q, want 2fa", c.ACR)
	}

	// The relying party asks for phr: the TOTP user adds a key in place.
	s.clock.Advance(5 * time.Minute)
	auth := webauthntest.New(s.url)
	r := rp.start(oauth2.SetAuthURLParam("acr_values", "phr"))
	p := b.get(r.url)
	if !strings.HasPrefix(p.URL.Path, "/login/2fa/webauthn") {
		t.Fatalf("acr_values=phr led to %s, want the security key page", p.URL.Path)
	}
	tk := rp.exchange(t, keyCeremony(t, b, p, func(o []byte) ([]byte, error) {
		out, _, err := auth.Register(o)
		return out, err
	}, ""), r)
	c := tk.claims(t)
	if c.ACR != "phr" || c.AuthTime != s.clock.Now().Unix() || c.SID != u.first.claims(t).SID {
		t.Errorf("step-up: acr %q, auth_time %d, sid %q; want phr, %d, the same session", c.ACR, c.AuthTime, c.SID, s.clock.Now().Unix())
	}

	// The essential acr claim asks for a level nobody can reach here.
	r = rp.start(oauth2.SetAuthURLParam("claims", `{"id_token":{"acr":{"essential":true,"values":["urn:example:loa:4"]}}}`))
	p = b.get(r.url)
	if p.Location == nil || p.Location.Query().Get("error") != "unmet_authentication_requirements" {
		t.Fatalf("unknown essential acr: location %v, status %d", p.Location, p.Status)
	}

	// max_age=0 forces a new sign-in, and with it a new auth_time.
	s.clock.Advance(time.Minute)
	r = rp.start(oauth2.SetAuthURLParam("max_age", "0"))
	p = b.get(r.url)
	if !p.has("password") {
		t.Fatalf("max_age=0 did not ask for the password:\n%s", p.Body)
	}
	p = b.submit(p, map[string]string{"email": "lea@example.com", "password": testPassword})
	tk = rp.exchange(t, keyCeremony(t, b, p, auth.Assert, ""), r)
	if c := tk.claims(t); c.AuthTime != s.clock.Now().Unix() || c.ACR != "phr" {
		t.Errorf("max_age=0: auth_time %d, acr %q; want %d, phr", c.AuthTime, c.ACR, s.clock.Now().Unix())
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
