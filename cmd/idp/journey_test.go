package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

const testPassword = "correct horse battery staple"

// enrolledUser is a user who accepted the invitation and activated an
// authenticator app.
type enrolledUser struct {
	email         string
	key           *otp.Key
	recoveryCodes []string
	first         tokens
}

// acceptInvitation opens the invitation link and sets the password.
func acceptInvitation(t *testing.T, b *browser, link, password string) *page {
	t.Helper()
	p := b.get(link)
	if p.Status != http.StatusOK || !p.has("password_confirm") {
		t.Fatalf("invitation page: status %d, body:\n%s", p.Status, p.Body)
	}
	return b.submit(p, map[string]string{
		"password": password, "password_confirm": password, "accept_terms": "on",
	})
}

// signInWithPassword starts an authorization request and passes the
// password step. It returns the page after the password.
func signInWithPassword(t *testing.T, b *browser, r authRequest, email, password string) *page {
	t.Helper()
	p := b.get(r.url)
	if !p.has("email") || !p.has("password") {
		t.Fatalf("expected the sign-in form, got status %d:\n%s", p.Status, p.Body)
	}
	return b.submit(p, map[string]string{"email": email, "password": password})
}

// activateTOTP passes the method choice and activation pages and returns
// the authenticator key and the recovery codes page.
func activateTOTP(t *testing.T, s *testServer, b *browser, p *page, password string) (*otp.Key, *page) {
	t.Helper()
	if p.has("method") {
		p = b.submit(p, map[string]string{"method": "totp"})
	}
	link := p.linkWithPrefix("otpauth://totp/")
	if link == "" {
		t.Fatalf("activation page has no otpauth link:\n%s", p.Body)
	}
	key, err := otp.NewKeyFromURL(link)
	if err != nil {
		t.Fatal(err)
	}
	code := totpCode(t, key, s.clock.Now())
	return key, b.submit(p, map[string]string{"code": code, "password": password})
}

func totpCode(t *testing.T, key *otp.Key, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(key.Secret(), at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// recoveryCodes reads the codes from the recovery codes page.
func recoveryCodes(t *testing.T, p *page) []string {
	t.Helper()
	list := p.byID("recovery-codes")
	if list == nil {
		t.Fatalf("no element with id recovery-codes:\n%s", p.Body)
	}
	var codes []string
	walk(list, func(n *htmlNode) bool {
		if isElement(n, "li") {
			codes = append(codes, strings.TrimSpace(textOf(n)))
		}
		return true
	})
	if len(codes) != 10 {
		t.Fatalf("got %d recovery codes, want 10", len(codes))
	}
	return codes
}

// exchange checks that the browser arrived at the relying party with a
// code for r, redeems it and verifies the ID token and its nonce.
func (rp *relyingParty) exchange(t *testing.T, p *page, r authRequest) tokens {
	t.Helper()
	code := rp.codeFrom(t, p, r)
	tok, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	return rp.verify(t, tok, r.nonce)
}

func (rp *relyingParty) codeFrom(t *testing.T, p *page, r authRequest) string {
	t.Helper()
	if p.Location == nil {
		t.Fatalf("expected a redirect to the relying party, got status %d at %s:\n%s", p.Status, p.URL.Path, p.Body)
	}
	q := p.Location.Query()
	if q.Get("error") != "" {
		t.Fatalf("relying party got error %q: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != r.state {
		t.Fatalf("state = %q, want %q", q.Get("state"), r.state)
	}
	return q.Get("code")
}

func (rp *relyingParty) verify(t *testing.T, tok *oauth2.Token, nonce string) tokens {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("token response has no id_token")
	}
	id, err := rp.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if id.Nonce != nonce {
		t.Fatalf("nonce = %q, want %q", id.Nonce, nonce)
	}
	if err := id.VerifyAccessToken(tok.AccessToken); err != nil && id.AccessTokenHash != "" {
		t.Fatalf("at_hash: %v", err)
	}
	return tokens{oauth: tok, id: id, raw: raw}
}

// enrol takes a new user through the whole first journey: invitation,
// password, Terms, sign-in, authenticator app, recovery codes, tokens.
func enrol(t *testing.T, s *testServer, rp *relyingParty, email string) enrolledUser {
	t.Helper()
	b := newBrowser(t, s.url)
	acceptInvitation(t, b, s.invite(t, email), testPassword)

	r := rp.start()
	p := signInWithPassword(t, b, r, email, testPassword)
	key, p := activateTOTP(t, s, b, p, testPassword)
	codes := recoveryCodes(t, p)
	p = b.submit(p, map[string]string{})
	return enrolledUser{email: email, key: key, recoveryCodes: codes, first: rp.exchange(t, p, r)}
}

func wantAMR(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("amr = %q, want %q", got, want)
	}
}

func TestNewUserJourney(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "Anna.Receptionist@example.com")

		c := u.first.claims(t)
		wantAMR(t, c.AMR, "pwd", "otp", "mfa")
		if c.ACR != "2fa" {
			t.Errorf("acr = %q, want 2fa", c.ACR)
		}
		if c.Subject == "" || strings.Contains(c.Subject, "@") {
			t.Errorf("sub = %q, want an opaque id", c.Subject)
		}
		if c.AuthTime == 0 || c.SID == "" {
			t.Errorf("auth_time = %d, sid = %q: want both set", c.AuthTime, c.SID)
		}
		if c.Email != "anna.receptionist@example.com" && c.Email != "Anna.Receptionist@example.com" {
			t.Errorf("email = %q", c.Email)
		}
		if u.first.oauth.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}
	})
}

func TestSignInWithTOTPAndRecoveryCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "ben@example.com")

		// Second sign-in in a new browser, with a TOTP code.
		s.clock.Advance(31 * time.Second)
		b := newBrowser(t, s.url)
		r := rp.start()
		p := signInWithPassword(t, b, r, u.email, testPassword)
		code := totpCode(t, u.key, s.clock.Now())
		p = b.submit(p, map[string]string{"code": code})
		second := rp.exchange(t, p, r)
		wantAMR(t, second.claims(t).AMR, "pwd", "otp", "mfa")

		// The same TOTP code again, in a third browser, is a replay.
		b3 := newBrowser(t, s.url)
		r3 := rp.start()
		p = signInWithPassword(t, b3, r3, u.email, testPassword)
		p = b3.submit(p, map[string]string{"code": code})
		if p.Location != nil || p.alert() == "" {
			t.Fatalf("replayed TOTP code accepted or no error shown (status %d)", p.Status)
		}

		// A recovery code replaces the TOTP code, once.
		p = b3.submit(p, map[string]string{"code": u.recoveryCodes[0]})
		third := rp.exchange(t, p, r3)
		c := third.claims(t)
		wantAMR(t, c.AMR, "pwd", "otp", "recovery", "mfa")
		if c.ACR != "2fa" {
			t.Errorf("acr = %q, want 2fa", c.ACR)
		}

		b4 := newBrowser(t, s.url)
		r4 := rp.start()
		p = signInWithPassword(t, b4, r4, u.email, testPassword)
		p = b4.submit(p, map[string]string{"code": u.recoveryCodes[0]})
		if p.Location != nil || p.alert() == "" {
			t.Fatal("a used recovery code was accepted again")
		}
	})
}

func TestRefreshKeepsAMR(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "carla@example.com")
		first := u.first.claims(t)

		old := *u.first.oauth
		old.Expiry = time.Now().Add(-time.Minute) // make the token source refresh
		tok, err := rp.config.TokenSource(context.Background(), &old).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok.RefreshToken == "" || tok.RefreshToken == old.RefreshToken {
			t.Error("refresh token was not rotated")
		}
		raw, _ := tok.Extra("id_token").(string)
		id, err := rp.verifier.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("verify refreshed ID token: %v", err)
		}
		var c idClaims
		if err := id.Claims(&c); err != nil {
			t.Fatal(err)
		}
		wantAMR(t, c.AMR, first.AMR...)
		if c.ACR != first.ACR || c.AuthTime != first.AuthTime || c.SID != first.SID || c.Subject != first.Subject {
			t.Errorf("refreshed claims %+v differ from the original %+v", c, first)
		}

		// The rotated token presented again revokes the whole family.
		if _, err := rp.config.TokenSource(context.Background(), &old).Token(); err == nil {
			t.Fatal("a rotated refresh token was accepted again")
		}
		tok.Expiry = time.Now().Add(-time.Minute)
		if _, err := rp.config.TokenSource(context.Background(), tok).Token(); err == nil {
			t.Fatal("the family survived the reuse of a rotated token")
		}
	})
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "dirk@example.com")

		s.clock.Advance(31 * time.Second)
		b := newBrowser(t, s.url)
		r := rp.start()
		p := signInWithPassword(t, b, r, u.email, testPassword)
		p = b.submit(p, map[string]string{"code": totpCode(t, u.key, s.clock.Now())})
		code := rp.codeFrom(t, p, r)
		tok, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatalf("userinfo with fresh token: %v", err)
		}

		if _, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier)); err == nil {
			t.Fatal("a redeemed code was accepted a second time")
		}
		if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("the access token still works after the code was replayed")
		}
		tok.Expiry = time.Now().Add(-time.Minute)
		if _, err := rp.config.TokenSource(context.Background(), tok).Token(); err == nil {
			t.Fatal("the refresh token still works after the code was replayed")
		}
	})
}

func TestPromptNone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)

		// Without a session the relying party gets login_required.
		b := newBrowser(t, s.url)
		r := rp.start(oauth2.SetAuthURLParam("prompt", "none"))
		p := b.get(r.url)
		if p.Location == nil || p.Location.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none without a session: want error=login_required, got %v (status %d)", p.Location, p.Status)
		}

		// With a session, the code comes back at once with the original amr.
		u := enrolWithBrowser(t, s, rp, b, "eva@example.com")
		s.clock.Advance(time.Minute)
		r = rp.start(oauth2.SetAuthURLParam("prompt", "none"))
		second := rp.exchange(t, b.get(r.url), r)
		c, first := second.claims(t), u.first.claims(t)
		wantAMR(t, c.AMR, first.AMR...)
		if c.AuthTime != first.AuthTime || c.SID != first.SID {
			t.Errorf("single sign-on changed auth_time or sid: %+v vs %+v", c, first)
		}
	})
}

// enrolWithBrowser is enrol in a given browser, so the session stays.
func enrolWithBrowser(t *testing.T, s *testServer, rp *relyingParty, b *browser, email string) enrolledUser {
	t.Helper()
	acceptInvitation(t, b, s.invite(t, email), testPassword)
	r := rp.start()
	p := signInWithPassword(t, b, r, email, testPassword)
	key, p := activateTOTP(t, s, b, p, testPassword)
	codes := recoveryCodes(t, p)
	p = b.submit(p, map[string]string{})
	return enrolledUser{email: email, key: key, recoveryCodes: codes, first: rp.exchange(t, p, r)}
}

func TestPromptLoginAndMaxAge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		b := newBrowser(t, s.url)
		enrolWithBrowser(t, s, rp, b, "fay@example.com")

		for _, opt := range []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("prompt", "login"),
			oauth2.SetAuthURLParam("max_age", "0"),
		} {
			r := rp.start(opt)
			p := b.get(r.url)
			if p.Location != nil || !p.has("password") {
				t.Fatalf("a fresh sign-in was not forced (location %v)", p.Location)
			}
		}

		s.clock.Advance(2 * time.Minute)
		r := rp.start(oauth2.SetAuthURLParam("max_age", "60"))
		if p := b.get(r.url); p.Location != nil || !p.has("password") {
			t.Fatal("max_age=60 on a two-minute-old sign-in did not ask again")
		}
		r = rp.start(oauth2.SetAuthURLParam("max_age", "3600"))
		rp.exchange(t, b.get(r.url), r)
	})
}

func TestPasswordOnlySessionGetsNoCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "gus@example.com")

		b := newBrowser(t, s.url)
		r := rp.start()
		p := signInWithPassword(t, b, r, u.email, testPassword)
		if !p.has("code") {
			t.Fatalf("expected the 2FA page after the password:\n%s", p.Body)
		}
		id := authRequestID(t, p)
		cb := b.get(s.url + "/authorize/callback?id=" + url.QueryEscape(id))
		if cb.Location != nil && cb.Location.Query().Get("code") != "" {
			t.Fatal("the callback issued a code after the password alone")
		}
		if cb.Status != http.StatusBadRequest {
			t.Errorf("callback status = %d, want 400", cb.Status)
		}

		// prompt=none with a password-only session is login_required.
		r2 := rp.start(oauth2.SetAuthURLParam("prompt", "none"))
		p2 := b.get(r2.url)
		if p2.Location == nil || p2.Location.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none with a password-only session: got %v", p2.Location)
		}
	})
}

// authRequestID reads the auth request ID from the page URL.
func authRequestID(t *testing.T, p *page) string {
	t.Helper()
	id := p.URL.Query().Get("id")
	if id == "" {
		t.Fatalf("no auth request id in %s", p.URL)
	}
	return id
}

func TestWrongPasswordsThrottled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		b := newBrowser(t, s.url)
		acceptInvitation(t, b, s.invite(t, "hugo@example.com"), testPassword)

		r := rp.start()
		p := b.get(r.url)
		var generic string
		for i := range 5 {
			p = b.submit(p, map[string]string{"email": "hugo@example.com", "password": "wrong password " + string(rune('a'+i))})
			if p.alert() == "" {
				t.Fatalf("wrong password %d: no error shown", i+1)
			}
			generic = p.alert()
		}
		// An unknown account gets the same message.
		unknown := b.submit(p, map[string]string{"email": "nobody@example.com", "password": "whatever it is"})
		if unknown.alert() != generic {
			t.Errorf("unknown account message %q differs from wrong password message %q", unknown.alert(), generic)
		}

		// The right password is now refused until the delay has passed.
		p = b.submit(p, map[string]string{"email": "  HUGO@example.com ", "password": testPassword})
		if p.has("code") || p.has("method") || p.Location != nil {
			t.Fatal("the right password passed right after five failures")
		}
		if p.alert() == "" {
			t.Fatal("no throttling message shown")
		}
		s.clock.Advance(time.Minute)
		p = b.submit(p, map[string]string{"email": "hugo@example.com", "password": testPassword})
		if !p.has("method") && !p.has("code") {
			t.Fatalf("the right password after the delay did not pass:\n%s", p.alert())
		}
	})
}

func TestInvitationLinkSingleUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		b := newBrowser(t, s.url)
		link := s.invite(t, "ida@example.com")
		acceptInvitation(t, b, link, testPassword)

		p := b.get(link)
		if p.Status != http.StatusBadRequest || p.has("password") {
			t.Fatalf("a used invitation link: status %d, want 400 without a form", p.Status)
		}

		expired := s.invite(t, "jan@example.com")
		s.clock.Advance(8 * 24 * time.Hour)
		p = b.get(expired)
		if p.Status != http.StatusBadRequest || p.has("password") {
			t.Fatalf("an expired invitation link: status %d, want 400 without a form", p.Status)
		}
		u, err := s.app.store.UserByEmailKey(context.Background(), "jan@example.com")
		if err != nil || u.PasswordHash != "" || u.Status != "invited" {
			t.Fatalf("the expired invitation changed the user: %+v, %v", u, err)
		}
	})
}

func TestDiscovery(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	p, err := oidc.NewProvider(context.Background(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		ACRValues []string `json:"acr_values_supported"`
		PKCE      []string `json:"code_challenge_methods_supported"`
	}
	if err := p.Claims(&d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.ACRValues, []string{"1fa", "2fa", "phr"}) {
		t.Errorf("acr_values_supported = %q", d.ACRValues)
	}
	if !slices.Equal(d.PKCE, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %q", d.PKCE)
	}
}
