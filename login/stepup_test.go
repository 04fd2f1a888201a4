package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
)

// wantRelyingPartyError fails unless p redirects to the relying party
// with the OAuth error code.
func (e *env) wantRelyingPartyError(p page, code string) {
	e.t.Helper()
	if p.status != http.StatusFound && p.status != http.StatusSeeOther {
		e.t.Fatalf("status %d, want a redirect to the relying party; body:\n%s", p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil || !strings.HasPrefix(p.location, e.redirectURI) || u.Query().Get("error") != code {
		e.t.Fatalf("Location %q, want %s with error=%s", p.location, e.redirectURI, code)
	}
}

func TestStepUpRegistersFirstKey(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")

	// The fresh 2fa session of the same browser adds a key in place.
	loginPath, _ := b.authorize(url.Values{"acr_values": {"phr"}})
	p := b.get(loginPath)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login/2fa/webauthn?") {
		t.Fatalf("sign-in page: status %d, Location %q; want the key registration", p.status, p.location)
	}
	if !strings.Contains(b.get(p.location).body, "/login/2fa/webauthn/cancel") {
		t.Error("step-up page offers no way back to the application")
	}
	status, next := b.registerOnPage(p.location, e.newAuthenticator())
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("register: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"pwd", "otp", "hwk", "user", "pin", "mfa"}, "phr")
}

func TestStepUpStaleSession(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	_, key := b.signUp("ana@example.com")
	e.clock.Advance(20 * time.Minute)

	// A second factor older than 15 minutes cannot add a key: the user
	// signs in again, and then adds it.
	loginPath, _ := b.authorize(url.Values{"acr_values": {"phr"}})
	form := b.get(loginPath)
	form.wantStatus(t, http.StatusOK)
	afterPassword := b.submit(form, url.Values{"email": {"ana@example.com"}, "password": {testPassword}})
	verify := b.get(afterPassword.location)
	verify.wantStatus(t, http.StatusOK)
	stepUp := b.submit(verify, url.Values{"code": {totp.Code(key, e.clock.Now())}})
	if stepUp.status != http.StatusSeeOther || !strings.HasPrefix(stepUp.location, "/login/2fa/webauthn?") {
		t.Fatalf("after the app code: status %d, Location %q; want the key registration", stepUp.status, stepUp.location)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request for phr completed at 2fa")
	}
}

func TestStepUpWithKey(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	_, key := e.browser().signUp("ana@example.com")
	auth := addKeyByStepUp(t, e, "ana@example.com", key)

	// A 2fa session (app code) of a user with a key steps up with it,
	// however old the session.
	b := e.browser()
	e.clock.Advance(time.Minute)
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	verify := b.get(strings.Replace(keyPath, "/login/2fa/webauthn/verify", "/login/2fa/verify", 1))
	b.submit(verify, url.Values{"code": {totp.Code(key, e.clock.Now())}}).wantStatus(t, http.StatusSeeOther)
	e.wantCompleted(loginPath, []string{"pwd", "otp", "mfa"}, "2fa")
	e.clock.Advance(2 * time.Hour)

	loginPath, _ = b.authorize(url.Values{"acr_values": {"phr"}})
	p := b.get(loginPath)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login/2fa/webauthn/verify?") {
		t.Fatalf("sign-in page: status %d, Location %q; want the key step", p.status, p.location)
	}
	status, next, _ := b.useKey(p.location, auth.Assert)
	if status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("step-up: status %d, next %q", status, next)
	}
	e.wantCompleted(loginPath, []string{"pwd", "otp", "hwk", "user", "pin", "mfa"}, "phr")

	// The phr session now serves phr and 2fa requests at once.
	for _, acr := range []string{"phr", "2fa"} {
		loginPath, _ = b.authorize(url.Values{"acr_values": {acr}})
		if p := b.get(loginPath); p.status != http.StatusFound || !strings.Contains(p.location, "/authorize/callback") {
			t.Errorf("acr_values=%s after step-up: status %d, Location %q; want single sign-on", acr, p.status, p.location)
		}
	}
}

func TestStepUpCancel(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")

	loginPath, _ := b.authorize(url.Values{"acr_values": {"phr"}})
	keyPage := b.get(b.get(loginPath).location)
	keyPage.wantStatus(t, http.StatusOK)
	cancel := b.post(withQueryID("/login/2fa/webauthn/cancel", loginPath), keyPage, url.Values{})
	e.wantRelyingPartyError(cancel, "unmet_authentication_requirements")
	if e.auditCount("step_up.cancelled") != 1 {
		t.Error("cancelled step-up not audited")
	}
}

func TestStepUpPromptNone(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")

	loginPath, _ := b.authorize(url.Values{"acr_values": {"phr"}, "prompt": {"none"}})
	e.wantRelyingPartyError(b.get(loginPath), "login_required")
}

func TestUnmetEssentialACR(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")

	claims := `{"id_token":{"acr":{"essential":true,"values":["urn:example:loa:4"]}}}`
	loginPath, _ := b.authorize(url.Values{"claims": {claims}})
	e.wantRelyingPartyError(b.get(loginPath), "unmet_authentication_requirements")

	// Unknown voluntary acr_values ask for nothing: single sign-on.
	loginPath, _ = b.authorize(url.Values{"acr_values": {"urn:example:loa:4"}})
	if p := b.get(loginPath); p.status != http.StatusFound || !strings.Contains(p.location, "/authorize/callback") {
		t.Errorf("unknown acr_values: status %d, Location %q; want single sign-on", p.status, p.location)
	}

	// A known essential value is a requirement like acr_values.
	claims = `{"id_token":{"acr":{"essential":true,"values":["urn:example:loa:4","phr"]}}}`
	loginPath, _ = b.authorize(url.Values{"claims": {claims}})
	if p := b.get(loginPath); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login/2fa/webauthn?") {
		t.Errorf("essential phr: status %d, Location %q; want the key registration", p.status, p.location)
	}
}

func TestMaxAgeZero(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")
	e.clock.Advance(time.Second)

	loginPath, _ := b.authorize(url.Values{"max_age": {"0"}})
	b.get(loginPath).wantStatus(t, http.StatusOK)
}

// withQueryID returns path with the auth request ID of loginPath.
func withQueryID(path, loginPath string) string {
	u, _ := url.Parse(loginPath)
	return path + "?id=" + url.QueryEscape(u.Query().Get("id"))
}

func TestStepUpFromPasswordOnly(t *testing.T) {
	e := newKeyEnv(t)
	userID := e.addUser("ana@example.com")
	_, key := e.browser().signUp("ana@example.com")
	if err := e.st.SetExemption(context.Background(), store.Exemption{UserID: userID, Reason: "shared desk", CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	b.signInPassword(loginPath, "ana@example.com", testPassword).wantStatus(t, http.StatusSeeOther)
	e.wantCompleted(loginPath, []string{"pwd"}, "1fa")

	// A request for 2fa asks the 1fa session for the password again and
	// then the second factor.
	e.clock.Advance(time.Minute)
	loginPath, _ = b.authorize(url.Values{"acr_values": {"2fa"}})
	afterPassword := b.signInPassword(loginPath, "ana@example.com", testPassword)
	verify := b.get(afterPassword.location)
	verify.wantStatus(t, http.StatusOK)
	b.submit(verify, url.Values{"code": {totp.Code(key, e.clock.Now())}}).wantStatus(t, http.StatusSeeOther)
	e.wantCompleted(loginPath, []string{"pwd", "otp", "mfa"}, "2fa")

	// The 2fa session now completes a 1fa request at once.
	loginPath, _ = b.authorize(url.Values{"acr_values": {"1fa"}})
	if p := b.get(loginPath); p.status != http.StatusFound || !strings.Contains(p.location, "/authorize/callback") {
		t.Errorf("acr_values=1fa after 2fa: status %d, Location %q; want single sign-on", p.status, p.location)
	}
}
