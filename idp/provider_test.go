package idp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
)

func TestNewIssuerRules(t *testing.T) {
	st := openStore(t)
	keys := mustKeys(t)
	tests := []struct {
		issuer string
		ok     bool
	}{
		{"https://id.example.com", true},
		{"http://localhost:8080", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://id.example.com", false},
		{"https://id.example.com/", false},
		{"https://id.example.com/oidc", false},
		{"https://id.example.com?x=1", false},
		{"ftp://id.example.com", false},
		{"id.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		_, err := idp.New(context.Background(), idp.Config{Issuer: tt.issuer, Store: st, Keys: keys})
		if (err == nil) != tt.ok {
			t.Errorf("issuer %q: err = %v, want ok %v", tt.issuer, err, tt.ok)
		}
	}
}

func TestNewReusesSigningKey(t *testing.T) {
	st := openStore(t)
	keys := mustKeys(t)
	cfg := idp.Config{Issuer: "https://id.example.com", Store: st, Keys: keys}
	first, err := idp.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := idp.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := first.SigningKeyIDs(context.Background())
	b, _ := second.SigningKeyIDs(context.Background())
	if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
		t.Errorf("key IDs %v and %v, want one shared key", a, b)
	}

	stored, err := st.SigningKeys(context.Background(), time.Now())
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored keys = %v, %v", stored, err)
	}
	if strings.Contains(string(stored[0].PrivateEncrypted), "PRIVATE KEY") || len(stored[0].PrivateEncrypted) < 1000 {
		t.Error("private key does not look sealed")
	}
	if _, err := idp.New(context.Background(), idp.Config{Issuer: cfg.Issuer, Store: st, Keys: mustKeys(t)}); err == nil {
		t.Error("New opened the signing key under another master key")
	}
}

func TestRotateSigningKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.webRP()
	before := e.tokens(r)
	oldIDs, _ := e.p.SigningKeyIDs(e.ctx)

	k, err := idp.RotateSigningKey(e.ctx, e.st, e.keys, e.clock.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5100 * time.Millisecond) // the key cache's lifetime

	ids, err := e.p.SigningKeyIDs(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != k.ID || ids[1] != oldIDs[0] {
		t.Fatalf("key IDs after rotation = %v, want new %s then old %s", ids, k.ID, oldIDs[0])
	}
	after := e.tokens(r)
	e.verifyIDToken(r, after)
	// The old token still verifies: its key stays published.
	e.verifyIDToken(r, before)
	if kid := tokenKeyID(t, after.Extra("id_token").(string)); kid != k.ID {
		t.Errorf("new token signed with %s, want %s", kid, k.ID)
	}
}

func tokenKeyID(t *testing.T, raw string) string {
	t.Helper()
	header, _, _ := strings.Cut(raw, ".")
	var h struct {
		KID string `json:"kid"`
	}
	if err := decodeSegment(header, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}

func TestAuthRequestError(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	id := e.authorize(r.conf.AuthCodeURL("st-9", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/login?id="+id, nil)
	e.p.AuthRequestError(rec, req, id, zoidc.ErrLoginRequired())
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || !strings.HasPrefix(loc.String(), r.conf.RedirectURL) {
		t.Fatalf("AuthRequestError: %d to %s, want a redirect to the client", rec.Code, loc)
	}
	if loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "st-9" {
		t.Errorf("redirect query = %v, want login_required and the state", loc.Query())
	}

	// The request is finished: a second error has nowhere to go.
	rec = httptest.NewRecorder()
	e.p.AuthRequestError(rec, req, id, zoidc.ErrAccessDenied())
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
		t.Errorf("second AuthRequestError: %d %q, want 400 without redirect", rec.Code, rec.Header().Get("Location"))
	}

	rec = httptest.NewRecorder()
	e.p.AuthRequestError(rec, req, "unknown", zoidc.ErrLoginRequired())
	if rec.Code != http.StatusBadRequest {
		t.Errorf("unknown request: %d, want 400", rec.Code)
	}
}

func TestCallbackURLAbsolute(t *testing.T) {
	e := newEnv(t)
	got := e.p.CallbackURL(context.Background(), "a b")
	if want := e.issuer + "/authorize/callback?id=a+b"; got != want {
		t.Errorf("CallbackURL = %q, want %q", got, want)
	}
}

func TestIssuerInterceptor(t *testing.T) {
	e := newEnv(t)
	var got string
	h := e.p.IssuerInterceptor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = e.p.CallbackURL(r.Context(), "x")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/login", nil))
	if got != e.issuer+"/authorize/callback?id=x" {
		t.Errorf("callback inside interceptor = %q", got)
	}
}

func TestDeletedClientRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	if err := e.st.DeleteClient(e.ctx, r.client.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5100 * time.Millisecond) // the client cache's lifetime
	_, err := e.refresh(r, tok.RefreshToken)
	assertOAuthError(t, err, "invalid_client")
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after client deletion: %d, want 401", resp.StatusCode)
	}
}

func TestACRHelpers(t *testing.T) {
	atLeast := []struct {
		have, want string
		ok         bool
	}{
		{"phr", "2fa", true}, {"2fa", "2fa", true}, {"1fa", "2fa", false}, {"2fa", "phr", false},
		{"", "1fa", false}, {"1fa", "unknown", true}, {"bogus", "1fa", false},
	}
	for _, tt := range atLeast {
		if got := idp.ACRAtLeast(tt.have, tt.want); got != tt.ok {
			t.Errorf("ACRAtLeast(%q, %q) = %v, want %v", tt.have, tt.want, got, tt.ok)
		}
	}
	required := []struct {
		requested []string
		want      string
	}{
		{nil, ""}, {[]string{"x"}, ""}, {[]string{"phr", "2fa"}, "2fa"}, {[]string{"phr"}, "phr"}, {[]string{"x", "1fa"}, "1fa"},
	}
	for _, tt := range required {
		if got := idp.RequiredACR(tt.requested); got != tt.want {
			t.Errorf("RequiredACR(%v) = %q, want %q", tt.requested, got, tt.want)
		}
	}
}
