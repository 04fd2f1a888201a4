package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
)

// endSession calls /end_session and returns the redirect target.
func (e *env) endSession(q url.Values) *http.Response {
	e.t.Helper()
	return e.get(e.issuer + "/end_session?" + q.Encode())
}

// logoutRedirect checks that loc is a signed URL of the sign-out page and
// returns the redirect it carries.
func (e *env) logoutRedirect(loc string) string {
	e.t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != e.issuer+"/logout" {
		e.t.Fatalf("end_session redirected to %s, want the sign-out page", loc)
	}
	redirect := u.Query().Get("redirect")
	if !idp.VerifyLogoutRedirect(e.keys, redirect, u.Query().Get("sig")) {
		e.t.Errorf("signature of redirect %q does not verify", redirect)
	}
	return redirect
}

func TestEndSessionRegisteredRedirect(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	resp := e.endSession(url.Values{
		"id_token_hint":            {tok.Extra("id_token").(string)},
		"post_logout_redirect_uri": {"https://staff.example.com/bye"},
		"state":                    {"bye-1"},
	})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("end_session: %d", resp.StatusCode)
	}
	if got := e.logoutRedirect(resp.Header.Get("Location")); got != "https://staff.example.com/bye?state=bye-1" {
		t.Errorf("redirect = %q, want the registered URI with state", got)
	}
}

func TestEndSessionClientIDOnly(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	resp := e.endSession(url.Values{"client_id": {r.client.ID}, "post_logout_redirect_uri": {"https://staff.example.com/bye"}})
	if got := e.logoutRedirect(resp.Header.Get("Location")); got != "https://staff.example.com/bye" {
		t.Errorf("redirect = %q, want the registered URI", got)
	}
}

func TestEndSessionUnregisteredRedirect(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	resp := e.endSession(url.Values{
		"id_token_hint":            {tok.Extra("id_token").(string)},
		"post_logout_redirect_uri": {"https://evil.example.com/"},
	})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("end_session with unregistered URI: %d, want 400", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("end_session redirected to %q", loc)
	}
}

func TestEndSessionWithoutClient(t *testing.T) {
	e := newEnv(t)
	// Without id_token_hint or client_id no client is known, so the
	// post_logout_redirect_uri cannot be checked and the default is used.
	resp := e.endSession(url.Values{"post_logout_redirect_uri": {"https://evil.example.com/"}})
	if got := e.logoutRedirect(resp.Header.Get("Location")); got != "/logged-out" {
		t.Errorf("redirect = %q, want /logged-out", got)
	}
}

func TestEndSessionBadHint(t *testing.T) {
	e := newEnv(t)
	resp := e.endSession(url.Values{"id_token_hint": {"not.a.token"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("end_session with a forged hint: %d, want 400", resp.StatusCode)
	}
}

func TestLogoutSignature(t *testing.T) {
	keys := mustKeys(t)
	link := idp.LogoutURL(keys, "https://id.example.com", "https://app.example.com/bye?state=a&b=c")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://id.example.com/logout?") {
		t.Errorf("LogoutURL = %s", link)
	}
	redirect, sig := u.Query().Get("redirect"), u.Query().Get("sig")
	if !idp.VerifyLogoutRedirect(keys, redirect, sig) {
		t.Error("own signature rejected")
	}
	if idp.VerifyLogoutRedirect(keys, "https://evil.example.com/", sig) {
		t.Error("signature accepted for another redirect")
	}
	if idp.VerifyLogoutRedirect(keys, redirect, "") {
		t.Error("empty signature accepted")
	}
	if idp.VerifyLogoutRedirect(mustKeys(t), redirect, sig) {
		t.Error("signature accepted under another master key")
	}
}

func mustKeys(t *testing.T) *secret.Keys {
	t.Helper()
	master := make([]byte, secret.MasterKeySize)
	copy(master, secret.Token())
	k, err := secret.NewKeys(master)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
