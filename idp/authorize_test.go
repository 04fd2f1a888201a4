package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// authorizeError sends an authorization request and returns the OAuth
// error that was redirected to the client, from the query or the fragment.
func (e *env) authorizeError(r *rp, params url.Values) url.Values {
	e.t.Helper()
	q := url.Values{
		"client_id":     {r.client.ID},
		"redirect_uri":  {r.conf.RedirectURL},
		"response_type": {"code"},
		"scope":         {"openid"},
		"state":         {"st"},
	}
	for k, v := range params {
		q[k] = v
	}
	resp := e.get(e.issuer + "/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), r.conf.RedirectURL) {
		e.t.Fatalf("authorize redirected to %s, want the client", loc)
	}
	if loc.Fragment != "" {
		v, _ := url.ParseQuery(loc.Fragment)
		return v
	}
	return loc.Query()
}

func TestAuthorizeRules(t *testing.T) {
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	tests := []struct {
		name   string
		public bool
		params url.Values
		want   string
	}{
		{"public without PKCE", true, nil, "invalid_request"},
		{"public plain PKCE", true, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"plain"}}, "invalid_request"},
		{"public PKCE without method", true, url.Values{"code_challenge": {challenge}}, "invalid_request"},
		{"confidential plain PKCE", false, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"plain"}}, "invalid_request"},
		{"malformed S256 challenge", false, url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}, "invalid_request"},
		{"implicit", false, url.Values{"response_type": {"id_token"}}, "unsupported_response_type"},
		{"hybrid", false, url.Values{"response_type": {"id_token token"}}, "unsupported_response_type"},
		{"no openid scope", false, url.Values{"scope": {"profile"}}, "invalid_scope"},
		{"unknown response mode", false, url.Values{"response_mode": {"web_message"}}, "invalid_request"},
		{"huge state", false, url.Values{"state": {strings.Repeat("s", 3000)}}, "invalid_request"},
		{"request object", false, url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}, "request_not_supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.newRP(clientSpec(tt.public))
			got := e.authorizeError(r, tt.params)
			if got.Get("error") != tt.want {
				t.Errorf("error = %q (%s), want %q", got.Get("error"), got.Get("error_description"), tt.want)
			}
			if got.Get("code") != "" {
				t.Error("a code was issued")
			}
		})
	}
}

func clientSpec(public bool) idp.ClientSpec {
	return idp.ClientSpec{
		Name:         "App",
		Type:         store.AppTypeWeb,
		RedirectURIs: []string{"https://app.example.com/cb"},
		Public:       public,
	}
}

func TestAuthorizeStoresParameters(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	verifier := oauth2.GenerateVerifier()
	authURL := r.conf.AuthCodeURL("st-1",
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "n-1"),
		oauth2.SetAuthURLParam("prompt", "login"),
		oauth2.SetAuthURLParam("max_age", "300"),
		oauth2.SetAuthURLParam("acr_values", "phr 2fa"),
		oauth2.SetAuthURLParam("ui_locales", "nl-NL fr"),
		oauth2.SetAuthURLParam("login_hint", "ana@example.com"),
		oauth2.SetAuthURLParam("response_mode", "form_post"),
	)
	id := e.authorize(authURL)
	got, err := e.st.AuthRequestByID(e.ctx, id, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name      string
		got, want any
	}{
		{"client_id", got.ClientID, r.client.ID},
		{"redirect_uri", got.RedirectURI, r.conf.RedirectURL},
		{"state", got.State, "st-1"},
		{"nonce", got.Nonce, "n-1"},
		{"prompt", strings.Join(got.Prompt, " "), "login"},
		{"acr_values", strings.Join(got.ACRValues, " "), "phr 2fa"},
		{"ui_locales", strings.Join(got.UILocales, " "), "nl-NL fr"},
		{"login_hint", got.LoginHint, "ana@example.com"},
		{"response_mode", got.ResponseMode, "form_post"},
		{"code_challenge", got.CodeChallenge, oauth2.S256ChallengeFromVerifier(verifier)},
		{"code_challenge_method", got.CodeChallengeMethod, "S256"},
		{"scopes", strings.Join(got.Scopes, " "), "openid profile email offline_access"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// prompt=login forces a fresh sign-in, which the library records as
	// max_age=0.
	if got.MaxAge == nil || *got.MaxAge != 0 {
		t.Errorf("max_age = %v, want 0 because of prompt=login", got.MaxAge)
	}
	if !got.ExpiresAt.After(e.clock.Now()) {
		t.Error("auth request already expired")
	}
}

func TestAuthorizeIDTokenHint(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	raw, _ := tok.Extra("id_token").(string)
	id := e.authorize(r.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("id_token_hint", raw), oauth2.SetAuthURLParam("max_age", "60")))
	got, err := e.st.AuthRequestByID(e.ctx, id, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got.HintSubject != e.user.ID {
		t.Errorf("hint subject = %q, want %q", got.HintSubject, e.user.ID)
	}
	if got.MaxAge == nil || *got.MaxAge != 60 {
		t.Errorf("max_age = %v, want 60", got.MaxAge)
	}
}

func TestAuthorizeUnknownRedirectURI(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	q := url.Values{
		"client_id":     {r.client.ID},
		"redirect_uri":  {"https://evil.example.com/cb"},
		"response_type": {"code"},
		"scope":         {"openid"},
	}
	resp := e.get(e.issuer + "/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered redirect_uri: %d Location %q, want 400 without redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	q.Set("client_id", "nope")
	resp = e.get(e.issuer + "/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unknown client: %d Location %q, want 400 without redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestNativeLoopbackAnyPort(t *testing.T) {
	e := newEnv(t)
	r := e.newRP(idp.ClientSpec{Name: "CLI", Type: store.AppTypeNative, RedirectURIs: []string{"http://127.0.0.1/cb"}})
	if r.secret != "" || r.client.AuthMethod != "none" {
		t.Fatalf("native client got a secret or auth method %q", r.client.AuthMethod)
	}
	r.conf.RedirectURL = "http://127.0.0.1:49152/cb"
	r.conf.ClientSecret = ""
	code, verifier := e.codeFlow(r, e.completion())
	if _, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange: %v", err)
	}
}

func TestPublicClientWrongVerifier(t *testing.T) {
	e := newEnv(t)
	r := e.nativeRP()
	code, _ := e.codeFlow(r, e.completion())
	_, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	assertOAuthError(t, err, "invalid_grant")
}

func TestConfidentialClientWithoutPKCE(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	back := e.signIn(r.conf.AuthCodeURL("s"), e.completion())
	if _, err := r.conf.Exchange(e.rpContext(), back.Query().Get("code")); err != nil {
		t.Fatalf("exchange without PKCE: %v", err)
	}
}

func TestConfidentialClientWrongSecret(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	r.conf.ClientSecret = "wrong"
	_, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	assertOAuthError(t, err, "invalid_client")
}
