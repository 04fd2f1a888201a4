package idp_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
)

func TestCodeFlowIDTokenClaims(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	c := e.completion()
	code, verifier := e.codeFlow(r, c)
	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}

	idt, claims := e.verifyIDToken(r, tok)
	if claims.Subject != e.user.ID {
		t.Errorf("sub = %q, want the user ID %q", claims.Subject, e.user.ID)
	}
	if !slices.Equal(claims.AMR, c.AMR) {
		t.Errorf("amr = %v, want %v", claims.AMR, c.AMR)
	}
	if claims.ACR != idp.ACR2FA {
		t.Errorf("acr = %q, want %q", claims.ACR, idp.ACR2FA)
	}
	if claims.AuthTime != c.AuthTime.Unix() {
		t.Errorf("auth_time = %d, want %d", claims.AuthTime, c.AuthTime.Unix())
	}
	if claims.SID != c.SessionID {
		t.Errorf("sid = %q, want %q", claims.SID, c.SessionID)
	}
	if claims.Nonce == "" {
		t.Error("nonce missing")
	}
	if claims.Email != e.user.Email || !claims.EmailVerified {
		t.Errorf("email = %q verified %v, want %q verified", claims.Email, claims.EmailVerified, e.user.Email)
	}
	if claims.Name != e.user.Name || claims.Locale != "nl" {
		t.Errorf("name, locale = %q, %q; want %q, nl", claims.Name, claims.Locale, e.user.Name)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token despite offline_access")
	}

	info, err := r.provider.UserInfo(e.rpContext(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != e.user.ID || info.Email != e.user.Email {
		t.Errorf("userinfo sub, email = %q, %q", info.Subject, info.Email)
	}
}

func TestRefreshKeepsClaims(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	c := e.completion()
	code, verifier := e.codeFlow(r, c)
	first, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}

	next, err := e.refresh(r, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == first.RefreshToken {
		t.Error("refresh token was not rotated")
	}
	_, claims := e.verifyIDToken(r, next)
	if claims.Subject != e.user.ID {
		t.Errorf("sub after refresh = %q, want %q", claims.Subject, e.user.ID)
	}
	if !slices.Equal(claims.AMR, c.AMR) || claims.ACR != c.ACR || claims.SID != c.SessionID {
		t.Errorf("after refresh amr, acr, sid = %v, %q, %q; want %v, %q, %q", claims.AMR, claims.ACR, claims.SID, c.AMR, c.ACR, c.SessionID)
	}
	if claims.AuthTime != c.AuthTime.Unix() {
		t.Errorf("auth_time after refresh = %d, want the sign-in time %d", claims.AuthTime, c.AuthTime.Unix())
	}
	if claims.Nonce != "" {
		t.Errorf("refreshed ID token carries nonce %q", claims.Nonce)
	}
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	first := e.tokens(r)
	second, err := e.refresh(r, first.RefreshToken)
	if err != nil {
		t.Fatalf("first rotation: %v", err)
	}

	_, err = e.refresh(r, first.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")

	_, err = e.refresh(r, second.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")
	if resp, _ := e.userinfo(second.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with access token of revoked family: %d, want 401", resp.StatusCode)
	}
}

func TestRefreshExpired(t *testing.T) {
	e := newEnv(t, func(c *idp.Config) { c.RefreshTokenLifetime = time.Hour })
	r := e.webRP()
	tok := e.tokens(r)
	e.clock.Advance(time.Hour + time.Second)
	_, err := e.refresh(r, tok.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")
}

func TestRefreshAfterSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	if err := e.st.RevokeUserSessions(e.ctx, e.user.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := e.refresh(r, tok.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")
}

func TestExchangeInactiveUser(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	c := e.completion()
	c.Subject = e.createInvitedUser("pending@example.com").ID
	code, verifier := e.codeFlow(r, c)
	_, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	assertOAuthError(t, err, "invalid_grant")
}

func TestCodeSingleUseConcurrent(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())

	const n = 8
	var wg sync.WaitGroup
	results := make([]*oauth2.Token, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
		}()
	}
	wg.Wait()

	var winner *oauth2.Token
	for i := range n {
		if errs[i] == nil {
			if winner != nil {
				t.Fatal("the code was redeemed more than once")
			}
			winner = results[i]
			continue
		}
		assertOAuthError(t, errs[i], "invalid_grant")
	}
	if winner == nil {
		t.Fatal("no exchange succeeded")
	}

	// The losers were replays, so the winner's tokens are revoked too.
	if resp, _ := e.userinfo(winner.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after code replay: %d, want 401", resp.StatusCode)
	}
	_, err := e.refresh(r, winner.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo before replay: %d", resp.StatusCode)
	}

	_, err = r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	assertOAuthError(t, err, "invalid_grant")
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after replay: %d, want 401", resp.StatusCode)
	}
}

func TestCodeExpired(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	e.clock.Advance(idp.DefaultCodeLifetime + time.Second)
	_, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	assertOAuthError(t, err, "invalid_grant")
}

func TestCallbackReloadMintsNoCode(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	id := e.authorize(r.conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err := e.st.BindAuthRequest(e.ctx, id, "browser"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CompleteAuthRequest(e.ctx, id, "browser", e.completion(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if resp := e.get(e.p.CallbackURL(e.ctx, id)); resp.StatusCode != http.StatusFound {
		t.Fatalf("first callback: %d, want 302", resp.StatusCode)
	}

	resp := e.get(e.p.CallbackURL(e.ctx, id))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("second callback: %d, want 400", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("second callback redirected to %q", loc)
	}
}

func TestCallbackNotDone(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	id := e.authorize(r.conf.AuthCodeURL("s1"))
	resp := e.get(e.p.CallbackURL(e.ctx, id))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "interaction_required" || loc.Query().Get("code") != "" {
		t.Errorf("callback of an unfinished request: %d %s, want a redirect with interaction_required", resp.StatusCode, loc)
	}
}

func assertOAuthError(t *testing.T, err error, want string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want OAuth error %q", err, want)
	}
	if re.ErrorCode != want {
		t.Errorf("error code = %q (%s), want %q", re.ErrorCode, re.ErrorDescription, want)
	}
}

func TestNativeClientRefreshRotation(t *testing.T) {
	e := newEnv(t)
	r := e.nativeRP()
	first := e.tokens(r)
	if first.RefreshToken == "" {
		t.Fatal("no refresh token for the native client")
	}
	second, err := e.refresh(r, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken {
		t.Error("refresh token was not rotated")
	}
	_, err = e.refresh(r, first.RefreshToken)
	assertOAuthError(t, err, "invalid_grant")
}

func TestFormPostResponseMode(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	id := e.authorize(r.conf.AuthCodeURL("st-fp", oauth2.SetAuthURLParam("response_mode", "form_post")))
	if err := e.st.BindAuthRequest(e.ctx, id, "browser"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CompleteAuthRequest(e.ctx, id, "browser", e.completion(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := e.browser.Get(e.p.CallbackURL(e.ctx, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d, want 200 with an auto-submitting form", resp.StatusCode)
	}
	page := string(body)
	if !strings.Contains(page, `action="https://staff.example.com/callback"`) || !strings.Contains(page, `name="code"`) || !strings.Contains(page, "st-fp") {
		t.Errorf("form_post page lacks the action, code or state:\n%s", page)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}
