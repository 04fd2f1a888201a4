package login_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/login/webauthntest"
)

// wantCompleted fails unless the auth request of loginPath was completed
// with amr and acr.
func (e *env) wantCompleted(loginPath string, amr []string, acr string) {
	e.t.Helper()
	r := e.authRequestOf(loginPath)
	if r.DoneAt.IsZero() || !slices.Equal(r.AMR, amr) || r.ACR != acr {
		e.t.Errorf("auth request: done %v, amr %v, acr %q; want done, %v, %q", r.DoneAt, r.AMR, r.ACR, amr, acr)
	}
}

// signInToKeyStep signs in with the password and returns the path of the
// security-key step it leads to.
func (b *browser) signInToKeyStep(email string, extra url.Values) (loginPath, keyPath string) {
	t := b.e.t
	t.Helper()
	loginPath, _ = b.authorize(extra)
	p := b.signInPassword(loginPath, email, testPassword)
	p.wantStatus(t, http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/login/2fa/webauthn/verify?") {
		t.Fatalf("after password: Location %q, want the security key step", p.location)
	}
	return loginPath, p.location
}

func TestWebAuthnSecondFactor(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := webauthntest.New(e.origin())

	b := e.browser()
	loginPath, _ := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@example.com", testPassword)
	status, next := b.registerKey(afterPassword.location, auth)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("register: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"pwd", "hwk", "user", "pin", "mfa"}, "phr")
	if got := b.get(next); got.status != http.StatusFound || !strings.Contains(got.location, "code=") {
		t.Fatalf("callback: status %d, Location %q", got.status, got.location)
	}
	if e.auditCount("webauthn.registered") != 1 {
		t.Error("registration not audited")
	}

	// The next sign-in asks for the key, here without user verification.
	auth.UserVerified = false
	b2 := e.browser()
	loginPath, keyPath := b2.signInToKeyStep("ana@example.com", nil)
	status, next, _ = b2.useKey(keyPath, auth.Assert)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("verify: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"pwd", "hwk", "user", "mfa"}, "phr")
}

func TestWebAuthnPasskeyOnly(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")

	b := e.browser()
	loginPath, _ := b.authorize(nil)
	status, next, _ := b.useKey(loginPath, auth.Assert)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("passkey: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"hwk", "user", "pin", "mfa"}, "phr")
	if got := b.get(next); got.status != http.StatusFound || !strings.Contains(got.location, "code=") {
		t.Fatalf("callback: status %d, Location %q", got.status, got.location)
	}

	// Without user verification a passkey alone is not enough.
	auth.UserVerified = false
	b = e.browser()
	loginPath, _ = b.authorize(nil)
	status, _, msg := b.useKey(loginPath, auth.Assert)
	if status != http.StatusBadRequest || msg == "" {
		t.Errorf("passkey without UV: status %d, error %q; want 400 with a message", status, msg)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed without user verification")
	}
}

func TestWebAuthnWrongOrigin(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	auth.Origin = "https://id.example.net"

	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	status, next, _ := b.useKey(keyPath, auth.Assert)
	if status != http.StatusBadRequest || next != "" {
		t.Errorf("wrong origin: status %d, next %q; want 400", status, next)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed with a wrong origin")
	}

	// Registration checks the origin too.
	e.addUser("ben@example.com")
	b = e.browser()
	loginPath, _ = b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ben@example.com", testPassword)
	if status, _ := b.registerKey(afterPassword.location, auth); status != http.StatusBadRequest {
		t.Errorf("registration with a wrong origin: status %d, want 400", status)
	}
}

func TestWebAuthnWrongRPID(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	auth.RPID = "id.example.net"

	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	if status, _, _ := b.useKey(keyPath, auth.Assert); status != http.StatusBadRequest {
		t.Errorf("wrong RP ID: status %d, want 400", status)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed with a wrong RP ID")
	}

	// Registration checks the RP ID too.
	e.addUser("ben@example.com")
	b = e.browser()
	loginPath, _ = b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ben@example.com", testPassword)
	if status, _ := b.registerKey(afterPassword.location, auth); status != http.StatusBadRequest {
		t.Errorf("registration with a wrong RP ID: status %d, want 400", status)
	}
}

func TestWebAuthnCounterRegression(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	cred := auth.Credentials[0]
	cred.Counter = 41

	b := e.browser()
	_, keyPath := b.signInToKeyStep("ana@example.com", nil)
	if status, _, _ := b.useKey(keyPath, auth.Assert); status != http.StatusOK {
		t.Fatalf("counter 42: status %d, want 200", status)
	}

	// A clone replays a lower counter.
	cred.Counter = 10
	b = e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	if status, _, _ := b.useKey(keyPath, auth.Assert); status != http.StatusBadRequest {
		t.Errorf("counter 11 after 42: status %d, want 400", status)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed with a regressed counter")
	}
	if n := e.auditCount("webauthn.counter_regressed"); n != 1 {
		t.Errorf("counter regression audited %d times, want 1", n)
	}
}

func TestWebAuthnCounterZero(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")

	// An authenticator without a counter always sends 0.
	for range 2 {
		auth.Credentials[0].Counter = ^uint32(0) // the next assertion wraps to 0
		b := e.browser()
		_, keyPath := b.signInToKeyStep("ana@example.com", nil)
		if status, _, msg := b.useKey(keyPath, auth.Assert); status != http.StatusOK {
			t.Fatalf("counter 0 after 0: status %d, error %q; want 200", status, msg)
		}
	}
}

func TestWebAuthnOtherUsersKey(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	e.addUser("ben@example.com")
	anaKey := e.browser().signUpWithKey("ana@example.com").Credentials[0]
	benAuth := e.browser().signUpWithKey("ben@example.com")

	// Ben's sign-in presents Ana's key.
	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ben@example.com", nil)
	status, _, _ := b.useKey(keyPath, func(opts []byte) ([]byte, error) { return benAuth.AssertWith(anaKey, opts) })
	if status != http.StatusBadRequest {
		t.Errorf("another user's key: status %d, want 400", status)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed with another user's key")
	}

	// A passkey assertion by Ana's key that claims Ben's user handle.
	forged := *anaKey
	forged.UserHandle = benAuth.Credentials[0].UserHandle
	b = e.browser()
	loginPath, _ = b.authorize(nil)
	status, _, _ = b.useKey(loginPath, func(opts []byte) ([]byte, error) { return benAuth.AssertWith(&forged, opts) })
	if status != http.StatusBadRequest {
		t.Errorf("forged user handle: status %d, want 400", status)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed with a forged user handle")
	}
}

func TestWebAuthnRemoval(t *testing.T) {
	e := newKeyEnv(t)
	userID := e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	ctx := context.Background()
	creds, err := e.st.WebAuthnCredentials(ctx, userID)
	if err != nil || len(creds) != 1 {
		t.Fatalf("credentials = %v, %v; want one", creds, err)
	}

	b := e.browser()
	_, keyPath := b.signInToKeyStep("ana@example.com", nil)
	p := b.get(keyPath)
	c := ceremonyOf(t, p)
	opts := b.begin(c)
	if err := e.st.DeleteWebAuthnCredential(ctx, userID, creds[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	response, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	status, next, _ := b.finish(c, response, "")
	if status == http.StatusOK && strings.Contains(next, "/authorize/callback") {
		t.Fatalf("removed key accepted: next %q", next)
	}

	// A passkey sign-in with the removed key fails too.
	b = e.browser()
	loginPath, _ := b.authorize(nil)
	if status, _, _ := b.useKey(loginPath, auth.Assert); status != http.StatusBadRequest {
		t.Errorf("passkey after removal: status %d, want 400", status)
	}

	// Without a method the user chooses one again.
	b = e.browser()
	loginPath, _ = b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@example.com", testPassword)
	if afterPassword.status != http.StatusSeeOther || !strings.HasPrefix(afterPassword.location, "/login/2fa/method") {
		t.Errorf("after removal: status %d, Location %q; want the method choice", afterPassword.status, afterPassword.location)
	}
}

func TestWebAuthnCeremonySingleUse(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")

	b := e.browser()
	_, keyPath := b.signInToKeyStep("ana@example.com", nil)
	c := ceremonyOf(t, b.get(keyPath))
	response, err := auth.Assert(b.begin(c))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := b.finish(c, response, ""); status != http.StatusOK {
		t.Fatalf("first finish: status %d", status)
	}
	if status, _, _ := b.finish(c, response, ""); status == http.StatusOK {
		t.Error("replayed assertion accepted")
	}
}

func TestWebAuthnCeremonyExpired(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")

	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	c := ceremonyOf(t, b.get(keyPath))
	response, err := auth.Assert(b.begin(c))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Minute)
	if status, _, _ := b.finish(c, response, ""); status != http.StatusBadRequest {
		t.Errorf("expired ceremony: status %d, want 400", status)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed after the ceremony expired")
	}
}

func TestWebAuthnCSRF(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	c := ceremonyOf(t, b.get(loginPath))

	for _, token := range []string{"", "wrong", e.browser().csrfOf(t, "/login")} {
		status, out := b.postJSON(c.begin, token, []byte(`{}`))
		if status != http.StatusForbidden || out["publicKey"] != nil {
			t.Errorf("begin with CSRF token %q: status %d, want 403", token, status)
		}
	}
}

// csrfOf returns this browser's CSRF token of the page at path.
func (b *browser) csrfOf(t *testing.T, path string) string {
	t.Helper()
	return b.get(path).csrf(t)
}

func TestWebAuthnRegistrationNeedsNoMethod(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	e.browser().signUp("ana@example.com")

	// With an authenticator app, the password alone cannot add a key.
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@example.com", testPassword)
	afterPassword.wantStatus(t, http.StatusSeeOther)
	p := b.get(strings.Replace(afterPassword.location, "/login/2fa/verify", "/login/2fa/webauthn", 1))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login/2fa/verify") {
		t.Errorf("registration page: status %d, Location %q; want a redirect to verification", p.status, p.location)
	}
}

func TestWebAuthnTOTPBesideKey(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	_, key := e.browser().signUp("ana@example.com")
	addKeyByStepUp(t, e, "ana@example.com", key)

	// The key comes first, and the app still works.
	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	p := b.get(keyPath)
	if !strings.Contains(p.body, `href="/login/2fa/verify?id=`) {
		t.Fatalf("no link to the authenticator app on the key page:\n%s", p.body)
	}
	e.clock.Advance(time.Minute)
	verify := b.get(strings.Replace(keyPath, "/login/2fa/webauthn/verify", "/login/2fa/verify", 1))
	verify.wantStatus(t, http.StatusOK)
	done := b.submit(verify, url.Values{"code": {totp.Code(key, e.clock.Now())}})
	done.wantStatus(t, http.StatusSeeOther)
	e.wantCompleted(loginPath, []string{"pwd", "otp", "mfa"}, "2fa")
}

// addKeyByStepUp signs a TOTP user in with the app and steps up to "phr"
// by registering a key, and returns the authenticator.
func addKeyByStepUp(t *testing.T, e *env, email string, key []byte) *webauthntest.Authenticator {
	t.Helper()
	b := e.browser()
	e.clock.Advance(time.Minute)
	loginPath, _ := b.authorize(url.Values{"acr_values": {"phr"}})
	afterPassword := b.signInPassword(loginPath, email, testPassword)
	verify := b.get(afterPassword.location)
	verify.wantStatus(t, http.StatusOK)
	stepUp := b.submit(verify, url.Values{"code": {totp.Code(key, e.clock.Now())}})
	stepUp.wantStatus(t, http.StatusSeeOther)

	auth := webauthntest.New(e.origin())
	status, next := b.registerOnPage(stepUp.location, auth)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("step-up registration: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"pwd", "otp", "hwk", "user", "pin", "mfa"}, "phr")
	return auth
}

func TestWebAuthnScriptServed(t *testing.T) {
	e := newKeyEnv(t)
	b := e.browser()
	js := b.get("/static/webauthn.js")
	js.wantStatus(t, http.StatusOK)
	if ct := js.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q, want text/javascript", ct)
	}
	csp := b.get("/login").header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

func TestWebAuthnOffOnIPIssuer(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	signIn := b.get(loginPath)
	c := ceremonyOf(t, signIn)
	if status, out := b.postJSON(c.begin, c.csrf, []byte(`{}`)); status != http.StatusNotFound || out["publicKey"] != nil {
		t.Errorf("passkey begin on an IP issuer: status %d, want 404", status)
	}
	afterPassword := b.submit(signIn, url.Values{"email": {"ana@example.com"}, "password": {testPassword}})
	methods := b.get(afterPassword.location)
	if strings.Contains(methods.body, `value="webauthn"`) {
		t.Error("security keys offered on an IP issuer")
	}
	if p := b.get(strings.Replace(afterPassword.location, "/login/2fa/method", "/login/2fa/webauthn", 1)); p.status != http.StatusSeeOther {
		t.Errorf("registration page on an IP issuer: status %d, want a redirect", p.status)
	}
}
