package login_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/webauthntest"
	"github.com/hotelsoft/idp/store"
)

// newKeyEnv returns an env whose pages use the issuer's host name
// "localhost" instead of 127.0.0.1, because an IP address cannot be a
// WebAuthn RP ID.
func newKeyEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, func(cfg *login.Config) {
		cfg.Issuer = strings.Replace(cfg.Issuer, "127.0.0.1", "localhost", 1)
	})
	return e
}

// origin returns the origin of the pages, where security keys work.
func (e *env) origin() string {
	return strings.Replace(e.url, "127.0.0.1", "localhost", 1)
}

var dataPattern = regexp.MustCompile(`data-(begin|finish|csrf)="([^"]*)"`)

// ceremony is the script's view of a security-key element on a page.
type ceremony struct {
	begin, finish, csrf string
}

// ceremonyOf reads the first data-webauthn element of p.
func ceremonyOf(t *testing.T, p page) ceremony {
	t.Helper()
	var c ceremony
	for _, m := range dataPattern.FindAllStringSubmatch(p.body, 3) {
		v := html.UnescapeString(m[2])
		switch m[1] {
		case "begin":
			c.begin = v
		case "finish":
			c.finish = v
		case "csrf":
			c.csrf = v
		}
	}
	if c.begin == "" || c.finish == "" || c.csrf == "" {
		t.Fatalf("no security key element on the page (status %d):\n%s", p.status, p.body)
	}
	return c
}

// postJSON posts body as JSON with the CSRF header, as webauthn.js does,
// and returns the status and the decoded JSON object.
func (b *browser) postJSON(path, csrf string, body []byte) (int, map[string]json.RawMessage) {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.abs(path), bytes.NewReader(body))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	p := b.do(req)
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		b.e.t.Fatalf("POST %s: status %d, body is not JSON: %s", path, p.status, p.body)
	}
	return p.status, out
}

// begin fetches the options of the ceremony.
func (b *browser) begin(c ceremony) []byte {
	b.e.t.Helper()
	status, out := b.postJSON(c.begin, c.csrf, []byte(`{}`))
	if status != http.StatusOK || out["publicKey"] == nil {
		b.e.t.Fatalf("begin %s: status %d, body %v", c.begin, status, out)
	}
	opts, _ := json.Marshal(out)
	return opts
}

// finish posts the authenticator's response and returns the status and
// the next URL or the error message.
func (b *browser) finish(c ceremony, credential []byte, name string) (status int, next, errMsg string) {
	b.e.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "credential": json.RawMessage(credential)})
	status, out := b.postJSON(c.finish, c.csrf, body)
	_ = json.Unmarshal(out["next"], &next)
	_ = json.Unmarshal(out["error"], &errMsg)
	return status, next, errMsg
}

// registerKey takes a browser at the method choice page (after the
// password of a user without a method) through registering a key with
// auth, and returns the finish result.
func (b *browser) registerKey(methodsPath string, auth *webauthntest.Authenticator) (status int, next string) {
	t := b.e.t
	t.Helper()
	methods := b.get(methodsPath)
	methods.wantStatus(t, http.StatusOK)
	chosen := b.submit(methods, url.Values{"method": {"webauthn"}})
	chosen.wantStatus(t, http.StatusSeeOther)
	return b.registerOnPage(chosen.location, auth)
}

// registerOnPage opens the registration page at path and registers a key.
func (b *browser) registerOnPage(path string, auth *webauthntest.Authenticator) (int, string) {
	t := b.e.t
	t.Helper()
	if !strings.HasPrefix(path, "/login/2fa/webauthn?") {
		t.Fatalf("registration page path = %q", path)
	}
	p := b.get(path)
	p.wantStatus(t, http.StatusOK)
	c := ceremonyOf(t, p)
	response, _, err := auth.Register(b.begin(c))
	if err != nil {
		t.Fatal(err)
	}
	status, next, _ := b.finish(c, response, "Blue key")
	return status, next
}

// useKey opens the page at path (the verification page or the sign-in
// page for a passkey) and signs the challenge with sign.
func (b *browser) useKey(path string, sign func(options []byte) ([]byte, error)) (status int, next, errMsg string) {
	t := b.e.t
	t.Helper()
	p := b.get(path)
	p.wantStatus(t, http.StatusOK)
	c := ceremonyOf(t, p)
	response, err := sign(b.begin(c))
	if err != nil {
		t.Fatal(err)
	}
	return b.finish(c, response, "")
}

// authRequestOf returns the stored auth request whose ID is in path.
func (e *env) authRequestOf(path string) store.AuthRequest {
	e.t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.st.AuthRequestByID(context.Background(), u.Query().Get("id"), e.clock.Now())
	if err != nil {
		e.t.Fatalf("load auth request: %v", err)
	}
	return r
}

// signUpWithKey signs a new user up with a security key as the second
// factor and returns the authenticator.
func (b *browser) signUpWithKey(email string) *webauthntest.Authenticator {
	t := b.e.t
	t.Helper()
	auth := webauthntest.New(b.e.origin())
	loginPath, _ := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, email, testPassword)
	afterPassword.wantStatus(t, http.StatusSeeOther)
	status, next := b.registerKey(afterPassword.location, auth)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("register key: status %d, next %q", status, next)
	}
	return auth
}

// newAuthenticator returns a software authenticator for the pages' origin.
func (e *env) newAuthenticator() *webauthntest.Authenticator {
	return webauthntest.New(e.origin())
}
