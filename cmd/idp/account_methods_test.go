package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login/mail/smtptest"
	"github.com/hotelsoft/idp/login/webauthntest"
)

// startKeyMailServer starts the provider under localhost, so security
// keys work, delivering its emails to a test SMTP server.
func startKeyMailServer(t *testing.T) (*testServer, *smtptest.Server) {
	t.Helper()
	smtp := smtptest.Start(t)
	s := startServer(t, sqliteURL(t), onLocalhost, func(c *config) {
		c.SMTPURL = smtp.URL("Hotel ID <no-reply@hotel.test>")
		c.mailPoll = 50 * time.Millisecond
	})
	t.Cleanup(s.app.startSender(context.Background()))
	return s, smtp
}

// keyUser invites email and signs in once with a new security key of
// auth as the second factor, in b.
func keyUser(t *testing.T, s *testServer, rp *relyingParty, b *browser, auth *webauthntest.Authenticator, email string) tokens {
	t.Helper()
	acceptInvitation(t, b, s.invite(t, email), testPassword)
	r := rp.start()
	p := signInWithPassword(t, b, r, email, testPassword)
	p = b.submit(p, map[string]string{"method": "webauthn"})
	return rp.exchange(t, keyCeremony(t, b, p, func(o []byte) ([]byte, error) {
		out, _, err := auth.Register(o)
		return out, err
	}, "First key"), r)
}

// keyElement returns the begin and finish endpoints and the CSRF token of
// the security-key element of p, as webauthn.js reads them.
func keyElement(t *testing.T, p *page) (begin, finish, csrf string) {
	t.Helper()
	data := map[string]string{}
	for _, m := range keyDataPattern.FindAllStringSubmatch(p.Body, 3) {
		data[m[1]] = html.UnescapeString(m[2])
	}
	if len(data) != 3 {
		t.Fatalf("%s: no security key element:\n%s", p.URL.Path, p.Body)
	}
	return p.URL.ResolveReference(mustURL(t, data["begin"])).String(),
		p.URL.ResolveReference(mustURL(t, data["finish"])).String(), data["csrf"]
}

// rawKeyJSON posts body to a ceremony endpoint and returns the status and
// the body of the response, whatever they are.
func rawKeyJSON(t *testing.T, b *browser, rawURL, csrf string, body []byte) (int, string) {
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
	return resp.StatusCode, buf.String()
}

// credentialBody wraps an authenticator response as webauthn.js posts it.
func credentialBody(t *testing.T, response []byte, name string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"name": name, "credential": json.RawMessage(response)})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestAccountAddKey(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "kim@example.com")
	auth := webauthntest.New(s.url)

	// A wrong CSRF token changes nothing.
	p := b.get(s.url + "/account")
	begin, _, csrf := keyElement(t, p)
	if status, _ := rawKeyJSON(t, b, begin, csrf+"x", []byte(`{}`)); status != http.StatusForbidden {
		t.Fatalf("wrong CSRF token: status %d, want 403", status)
	}

	p = keyCeremony(t, b, p, func(o []byte) ([]byte, error) {
		out, _, err := auth.Register(o)
		return out, err
	}, "  Front desk key ")
	wantPath(t, p, "/account")
	if p.URL.Query().Get("done") != "key_added" {
		t.Fatalf("after adding: %s", p.URL)
	}
	if got := s.keyNames(t, u.email); !slices.Equal(got, []string{"Front desk key"}) {
		t.Fatalf("key names = %q", got)
	}
	if m := s.methods(t, u.email); !slices.Contains(m, "webauthn") || !slices.Contains(m, "totp") {
		t.Fatalf("methods = %v", m)
	}
	s.wantAudit(t, u.email, "webauthn.registered")
	s.wantNotification(t, u.email)

	// A stale session is sent to re-verify before it may add a key.
	s.clock.Advance(16 * time.Minute)
	status, body := rawKeyJSON(t, b, begin, csrf, []byte(`{}`))
	if status != http.StatusOK || !strings.Contains(body, `"next":"/account/verify"`) {
		t.Fatalf("stale begin: status %d: %s", status, body)
	}
	if got := s.keyNames(t, u.email); len(got) != 1 {
		t.Fatalf("key names = %q after a stale attempt", got)
	}
}

func TestAccountAddKeyStaleFinish(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "kim@example.com")
	auth := webauthntest.New(s.url)

	// A ceremony begun while fresh cannot finish once stale.
	begin, finish, csrf := keyElement(t, b.get(s.url+"/account"))
	options := postKeyJSON(t, b, begin, csrf, []byte(`{}`))
	response, _, err := auth.Register(options)
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(16 * time.Minute)
	status, body := rawKeyJSON(t, b, finish, csrf, credentialBody(t, response, "Late"))
	if status != http.StatusOK || !strings.Contains(body, `"next":"/account/verify"`) {
		t.Fatalf("stale finish: status %d: %s", status, body)
	}
	if got := s.keyNames(t, u.email); len(got) != 0 {
		t.Fatalf("key names = %q after a stale finish", got)
	}
}

func TestAccountEmailMethod(t *testing.T) {
	s, smtp := startKeyMailServer(t)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "anna@example.com")

	p := b.get(s.url + "/account")
	if p.linkWithPrefix("/account/email") == "" {
		t.Fatalf("account page offers no email method:\n%s", p.Body)
	}
	p = b.get(s.url + "/account/email")
	if !p.has("code") {
		t.Fatalf("add email: status %d:\n%s", p.Status, p.Body)
	}
	code := smtp.Wait(t, u.email, "email-2fa").Code(t)
	if bad := b.submit(p, map[string]string{"code": wrongCode(code)}); bad.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d, want 400", bad.Status)
	}
	if slices.Contains(s.methods(t, u.email), "email") {
		t.Fatal("a wrong code turned email on")
	}
	p = b.submit(p, map[string]string{"code": code})
	wantPath(t, p, "/account")
	if p.URL.Query().Get("done") != "email_added" || !slices.Contains(s.methods(t, u.email), "email") {
		t.Fatalf("after the code: %s, methods %v", p.URL, s.methods(t, u.email))
	}
	s.wantAudit(t, u.email, "email_2fa.activated")
	smtp.Wait(t, u.email, "notification")

	// Remove the app, then email is the last method and stays.
	csrf := csrfOf(t, p)
	remove := func(method string) *page {
		return b.post(s.url+"/account/methods/remove", url.Values{"csrf_token": {csrf}, "method": {method}})
	}
	wantPath(t, remove("totp"), "/account")
	if p := remove("email"); p.Status != http.StatusConflict {
		t.Fatalf("removing the last method: status %d, want 409", p.Status)
	}
	if got := s.methods(t, u.email); !slices.Equal(got, []string{"email"}) {
		t.Fatalf("methods = %v, want [email]", got)
	}

	// With a key added back, email can go, with a notification.
	s.addKey(t, u.email, "key-1", "Blue key")
	wantPath(t, remove("email"), "/account")
	if got := s.methods(t, u.email); !slices.Equal(got, []string{"webauthn"}) {
		t.Fatalf("methods = %v, want [webauthn]", got)
	}
	s.wantAudit(t, u.email, "email_2fa.removed")
	smtp.Wait(t, u.email, "notification")
}

func TestAccountEmailHostile(t *testing.T) {
	s, smtp := startKeyMailServer(t)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "anna@example.com")
	p := b.get(s.url + "/account/email")
	code := smtp.Wait(t, u.email, "email-2fa").Code(t)

	// Another user's browser cannot use the code, nor can a form
	// without the CSRF token.
	other := newBrowser(t, s.url)
	enrolWithBrowser(t, s, rp, other, "lea@example.com")
	if q := other.post(s.url+"/account/email", url.Values{"csrf_token": {csrfOf(t, other.get(s.url+"/account"))}, "code": {code}}); q.Status == http.StatusSeeOther || slices.Contains(s.methods(t, "lea@example.com"), "email") {
		t.Fatalf("another user's browser used the code: status %d", q.Status)
	}
	if q := b.post(s.url+"/account/email", url.Values{"code": {code}}); q.Status != http.StatusForbidden {
		t.Fatalf("no CSRF token: status %d, want 403", q.Status)
	}

	// Stale, the code waits for re-verification.
	s.clock.Advance(16 * time.Minute)
	wantPath(t, b.submit(p, map[string]string{"code": code}), "/account/verify")
	if slices.Contains(s.methods(t, u.email), "email") {
		t.Fatal("a stale session turned email on")
	}
}

func TestReverifyWithKey(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	auth := webauthntest.New(s.url)
	keyUser(t, s, rp, b, auth, "kim@example.com")
	otherAuth := webauthntest.New(s.url)
	keyUser(t, s, rp, newBrowser(t, s.url), otherAuth, "lea@example.com")

	s.clock.Advance(16 * time.Minute)
	p := b.get(s.url + "/account")
	p = b.submit(p, map[string]string{"locale": "de"})
	wantPath(t, p, "/account/verify")
	if !p.has("password") || p.has("code") {
		t.Fatalf("verification page for a key user:\n%s", p.Body)
	}
	if bad := b.submit(p, map[string]string{"password": "wrong password"}); bad.Status != http.StatusBadRequest {
		t.Fatalf("wrong password: status %d, want 400", bad.Status)
	}
	p = b.submit(p, map[string]string{"password": testPassword})
	wantPath(t, p, "/account/verify")

	// The password alone does not re-verify.
	wantPath(t, b.submit(b.get(s.url+"/account"), map[string]string{"locale": "de"}), "/account/verify")

	// Another user's key is refused.
	begin, finish, csrf := keyElement(t, p)
	options := postKeyJSON(t, b, begin, csrf, []byte(`{}`))
	response, err := otherAuth.AssertWith(otherAuth.Credentials[0], options)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := rawKeyJSON(t, b, finish, csrf, credentialBody(t, response, "")); status != http.StatusBadRequest {
		t.Fatalf("another user's key: status %d: %s", status, body)
	}

	p = keyCeremony(t, b, p, auth.Assert, "")
	wantPath(t, p, "/account")
	if p.URL.Query().Get("done") != "verified" {
		t.Fatalf("after the key: %s", p.URL)
	}
	p = b.submit(p, map[string]string{"locale": "de"})
	wantPath(t, p, "/account")
	if got := s.user(t, "kim@example.com").Locale; got != "de" {
		t.Fatalf("locale = %q, want de", got)
	}
	s.wantAudit(t, "kim@example.com", "session.reverified")
}

func TestReverifyKeyStale(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	auth := webauthntest.New(s.url)
	keyUser(t, s, rp, b, auth, "kim@example.com")

	s.clock.Advance(16 * time.Minute)
	p := b.get(s.url + "/account/verify")
	p = b.submit(p, map[string]string{"password": testPassword})
	begin, finish, csrf := keyElement(t, p)
	options := postKeyJSON(t, b, begin, csrf, []byte(`{}`))
	response, err := auth.Assert(options)
	if err != nil {
		t.Fatal(err)
	}

	// The password step is 16 minutes old: the key alone is not enough.
	s.clock.Advance(16 * time.Minute)
	status, body := rawKeyJSON(t, b, finish, csrf, credentialBody(t, response, ""))
	if status != http.StatusOK || !strings.Contains(body, `"next":"/account/verify"`) {
		t.Fatalf("stale password step: status %d: %s", status, body)
	}
	p = b.get(s.url + "/account/verify")
	if !p.has("password") {
		t.Fatalf("after a stale step the page does not ask for the password:\n%s", p.Body)
	}
}

func TestReverifyWithEmail(t *testing.T) {
	s, smtp := startKeyMailServer(t)
	const email = "anna@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := toCheckPage(t, b, r, email)
	rp.exchange(t, b.submit(p, map[string]string{"code": smtp.Wait(t, email, "email-2fa").Code(t)}), r)

	s.clock.Advance(16 * time.Minute)
	p = b.get(s.url + "/account/verify")
	if !p.has("password") || p.has("code") {
		t.Fatalf("verification page for an email user:\n%s", p.Body)
	}
	p = b.submit(p, map[string]string{"password": testPassword})
	wantPath(t, p, "/account/verify")
	if !p.has("code") {
		t.Fatalf("second step asks for no code:\n%s", p.Body)
	}
	code := smtp.Wait(t, email, "email-2fa").Code(t)
	if bad := b.submit(p, map[string]string{"code": wrongCode(code)}); bad.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d, want 400", bad.Status)
	}
	if status, body := rawKeyJSON(t, b, s.url+"/account/verify/key/begin", csrfOf(t, p), []byte(`{}`)); status != http.StatusBadRequest {
		t.Fatalf("key step without a key: status %d: %s", status, body)
	}
	done := b.submit(p, map[string]string{"code": code})
	wantPath(t, done, "/account")
	if done.URL.Query().Get("done") != "verified" {
		t.Fatalf("after the code: %s", done.URL)
	}

	// The code re-verifies once.
	s.clock.Advance(16 * time.Minute)
	p = b.submit(b.get(s.url+"/account/verify"), map[string]string{"password": testPassword})
	smtp.Wait(t, email, "email-2fa")
	if again := b.submit(p, map[string]string{"code": code}); again.Status != http.StatusBadRequest {
		t.Fatalf("reused code: status %d, want 400", again.Status)
	}
}

func TestUnlockWithPasskey(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	auth := webauthntest.New(s.url)
	first := keyUser(t, s, rp, b, auth, "kim@example.com").claims(t)
	otherAuth := webauthntest.New(s.url)
	keyUser(t, s, rp, newBrowser(t, s.url), otherAuth, "lea@example.com")

	lockWithButton(t, s, b)
	s.clock.Advance(time.Minute)
	r := rp.start()
	p := b.get(r.url)
	wantPath(t, p, "/unlock")

	// Another user's passkey does not unlock, and the session stays.
	begin, finish, csrf := keyElement(t, p)
	options := postKeyJSON(t, b, begin, csrf, []byte(`{}`))
	response, err := otherAuth.AssertWith(otherAuth.Credentials[0], options)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := rawKeyJSON(t, b, finish, csrf, credentialBody(t, response, "")); status != http.StatusBadRequest {
		t.Fatalf("another user's passkey: status %d: %s", status, body)
	}
	s.wantAudit(t, "kim@example.com", "session.unlock_failed")
	wantPath(t, b.get(s.url+"/account"), "/unlock")

	// A key without user verification does not unlock either.
	auth.UserVerified = false
	options = postKeyJSON(t, b, begin, csrf, []byte(`{}`))
	if response, err = auth.Assert(options); err != nil {
		t.Fatal(err)
	}
	if status, body := rawKeyJSON(t, b, finish, csrf, credentialBody(t, response, "")); status != http.StatusBadRequest {
		t.Fatalf("no user verification: status %d: %s", status, body)
	}
	auth.UserVerified = true

	// The user's passkey unlocks the same session and returns to the
	// pending request.
	c := rp.exchange(t, keyCeremony(t, b, p, auth.Assert, ""), r).claims(t)
	if c.SID != first.SID || c.AuthTime <= first.AuthTime {
		t.Errorf("after unlock sid %q auth_time %d; want sid %q and a later auth_time than %d", c.SID, c.AuthTime, first.SID, first.AuthTime)
	}
	e := s.wantAudit(t, "kim@example.com", "session.unlocked")
	if e.Detail["method"] != "passkey" {
		t.Errorf("unlock audit details = %v, want method passkey", e.Detail)
	}
	wantPath(t, b.get(s.url+"/account"), "/account")
}

// wrongCode returns a 6-digit code that differs from code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
