package login_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/login/totp"
)

// idTokenClaims decodes the claims of a JWT without verifying it; the
// provider's tests verify signatures.
func idTokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func (e *env) exchange(t *testing.T, callback page, verifier string) map[string]any {
	t.Helper()
	loc, err := url.Parse(callback.location)
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "state-1" {
		t.Fatalf("callback redirect %q lacks code or state", callback.location)
	}
	conf := &oauth2.Config{
		ClientID:    e.clientID,
		Endpoint:    oauth2.Endpoint{TokenURL: e.url + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: e.redirectURI,
	}
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	return idTokenClaims(t, idt)
}

func amrOf(claims map[string]any) []string {
	var amr []string
	list, _ := claims["amr"].([]any)
	for _, v := range list {
		s, _ := v.(string)
		amr = append(amr, s)
	}
	return amr
}

func TestSignInRoundTrip(t *testing.T) {
	e := newEnv(t)
	userID := e.addUser("ana@hotel.example")
	b := e.browser()

	loginPath, verifier := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, " Ana@Hotel.example ", testPassword)
	codes, _ := b.activateTOTP(afterPassword)
	if n := len(codes.recoveryCodes()); n != 10 {
		t.Fatalf("recovery codes page shows %d codes, want 10", n)
	}
	if !strings.Contains(codes.body, `id="recovery-codes"`) || !strings.Contains(codes.body, `download="recovery-codes.txt"`) {
		t.Error("recovery codes page lacks the code list or the download link")
	}

	done := b.submit(codes, url.Values{})
	done.wantStatus(t, http.StatusSeeOther)
	if !strings.Contains(done.location, "/authorize/callback?id=") {
		t.Fatalf("Done redirects to %q, want the callback", done.location)
	}
	callback := b.get(done.location)
	callback.wantStatus(t, http.StatusFound)

	claims := e.exchange(t, callback, verifier)
	if claims["sub"] != userID {
		t.Errorf("sub = %v, want %s", claims["sub"], userID)
	}
	if got, want := amrOf(claims), []string{"pwd", "otp", "mfa"}; !slices.Equal(got, want) {
		t.Errorf("amr = %v, want %v", got, want)
	}
	if claims["acr"] != "2fa" {
		t.Errorf("acr = %v, want 2fa", claims["acr"])
	}
	if e.auditCount("totp.activated") != 1 || e.auditCount("sign_in.succeeded") != 1 {
		t.Error("audit lacks totp.activated or sign_in.succeeded")
	}
}

func TestSignInVerifyTOTP(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	_, key := e.browser().signUp("ana@hotel.example")
	e.clock.Advance(time.Minute)

	b := e.browser()
	loginPath, verifier := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@hotel.example", testPassword)
	afterPassword.wantStatus(t, http.StatusSeeOther)
	if !strings.HasPrefix(afterPassword.location, "/login/2fa/verify") {
		t.Fatalf("password step redirects to %q, want verification", afterPassword.location)
	}
	form := b.get(afterPassword.location)
	form.wantStatus(t, http.StatusOK)
	if !strings.Contains(form.body, `autocomplete="one-time-code"`) || !strings.Contains(form.body, `inputmode="numeric"`) {
		t.Error("code field lacks autocomplete or inputmode")
	}
	verified := b.submit(form, url.Values{"code": {totp.Code(key, e.clock.Now())}})
	verified.wantStatus(t, http.StatusSeeOther)
	callback := b.get(verified.location)
	callback.wantStatus(t, http.StatusFound)
	if amr := amrOf(e.exchange(t, callback, verifier)); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr = %v", amr)
	}
}

func TestSingleSignOn(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	b.signUp("ana@hotel.example")
	e.clock.Advance(time.Minute)

	loginPath, verifier := b.authorize(nil)
	sso := b.get(loginPath)
	sso.wantStatus(t, http.StatusFound)
	callback := b.get(sso.location)
	callback.wantStatus(t, http.StatusFound)
	claims := e.exchange(t, callback, verifier)
	if amr := amrOf(claims); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr after single sign-on = %v", amr)
	}

	t.Run("prompt login", func(t *testing.T) {
		loginPath, _ := b.authorize(url.Values{"prompt": {"login"}})
		b.get(loginPath).wantStatus(t, http.StatusOK)
	})
	t.Run("max_age exceeded", func(t *testing.T) {
		loginPath, _ := b.authorize(url.Values{"max_age": {"30"}})
		b.get(loginPath).wantStatus(t, http.StatusOK)
	})
	t.Run("max_age met", func(t *testing.T) {
		loginPath, _ := b.authorize(url.Values{"max_age": {"3600"}})
		b.get(loginPath).wantStatus(t, http.StatusFound)
	})
	t.Run("prompt none without session", func(t *testing.T) {
		other := e.browser()
		loginPath, _ := other.authorize(url.Values{"prompt": {"none"}})
		p := other.get(loginPath)
		p.wantStatus(t, http.StatusFound)
		if !strings.HasPrefix(p.location, e.redirectURI) || !strings.Contains(p.location, "error=login_required") {
			t.Errorf("prompt=none redirects to %q, want login_required at the client", p.location)
		}
	})
}

func TestSignInThrottled(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	loginPath, _ := b.authorize(nil)

	var generic string
	for i := range 5 {
		p := b.signInPassword(loginPath, "ANA@hotel.example", "wrong password "+string(rune('a'+i)))
		p.wantStatus(t, http.StatusBadRequest)
		if generic == "" {
			generic = p.alert()
		}
		if p.alert() != generic {
			t.Fatalf("attempt %d: alert %q, want the same generic message %q", i+1, p.alert(), generic)
		}
	}
	unknown := b.signInPassword(loginPath, "nobody@hotel.example", "wrong password")
	if unknown.alert() != generic {
		t.Errorf("unknown account: alert %q, want %q", unknown.alert(), generic)
	}

	throttled := b.signInPassword(loginPath, "ana@hotel.example", testPassword)
	throttled.wantStatus(t, http.StatusTooManyRequests)
	if throttled.alert() == "" || throttled.alert() == generic {
		t.Errorf("throttled alert %q, want the throttle message", throttled.alert())
	}
	if e.auditCount("sign_in.throttled") == 0 {
		t.Error("no sign_in.throttled audit event")
	}

	e.clock.Advance(10 * time.Second)
	b.signInPassword(loginPath, "ana@hotel.example", testPassword).wantStatus(t, http.StatusSeeOther)
}

func TestSignInFormFields(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	loginPath, _ := b.authorize(url.Values{"login_hint": {"ana@hotel.example"}})
	p := b.get(loginPath)
	p.wantStatus(t, http.StatusOK)
	for _, want := range []string{
		`<html lang="en">`,
		`name="email" type="email" value="ana@hotel.example" autocomplete="username" inputmode="email"`,
		`name="password" type="password" autocomplete="current-password"`,
		`<label for="email">`,
		`<label for="password">`,
		`name="csrf_token"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
}
