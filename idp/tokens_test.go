package idp_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
)

func TestUserinfoAndIntrospection(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)

	resp, info := e.userinfo(tok.AccessToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %d", resp.StatusCode)
	}
	if info["sub"] != e.user.ID || info["email"] != e.user.Email || info["email_verified"] != true {
		t.Errorf("userinfo = %v", info)
	}
	if info["acr"] != idp.ACR2FA || info["sid"] == nil || info["amr"] == nil || info["auth_time"] == nil {
		t.Errorf("userinfo lacks acr, sid, amr or auth_time: %v", info)
	}

	in := e.introspect(r, tok.AccessToken)
	if in["active"] != true {
		t.Fatalf("introspection = %v, want active", in)
	}
	checks := map[string]any{"sub": e.user.ID, "client_id": r.client.ID, "acr": idp.ACR2FA, "iss": e.issuer, "token_type": "Bearer"}
	for k, want := range checks {
		if in[k] != want {
			t.Errorf("introspection %s = %v, want %v", k, in[k], want)
		}
	}
	if amr, _ := in["amr"].([]any); len(amr) != 3 {
		t.Errorf("introspection amr = %v, want 3 values", in["amr"])
	}
}

func TestIntrospectionOtherAudience(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	other := e.webRP()
	tok := e.tokens(r)
	if in := e.introspect(other, tok.AccessToken); in["active"] != false {
		t.Errorf("introspection by a client outside the audience = %v, want inactive", in)
	}
}

func TestIntrospectionRequiresClientAuth(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	resp, _ := e.postForm("/oauth/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {r.client.ID}}, "", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("introspection without credentials: %d, want 401", resp.StatusCode)
	}
}

func TestRevokeAccessToken(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	resp, _ := e.postForm("/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}

	resp, _ = e.userinfo(tok.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after revocation: %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got == "" {
		t.Error("401 without WWW-Authenticate")
	}
	if in := e.introspect(r, tok.AccessToken); in["active"] != false {
		t.Errorf("introspection after revocation = %v, want inactive", in)
	}
	// The refresh token is independent of the revoked access token.
	if _, err := e.refresh(r, tok.RefreshToken); err != nil {
		t.Errorf("refresh after access token revocation: %v", err)
	}
}

func TestRevokeRefreshTokenRevokesFamily(t *testing.T) {
	for _, hint := range []string{"refresh_token", "access_token", ""} {
		t.Run("hint "+hint, func(t *testing.T) {
			e := newEnv(t)
			r := e.webRP()
			first := e.tokens(r)
			second, err := e.refresh(r, first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"token": {second.RefreshToken}}
			if hint != "" {
				form.Set("token_type_hint", hint)
			}
			if resp, _ := e.postForm("/revoke", form, r.client.ID, r.secret); resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke: %d", resp.StatusCode)
			}
			_, err = e.refresh(r, second.RefreshToken)
			assertOAuthError(t, err, "invalid_grant")
			if resp, _ := e.userinfo(second.AccessToken); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("userinfo with access token of revoked family: %d, want 401", resp.StatusCode)
			}
		})
	}
}

func TestRevokeUnknownToken(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	for _, token := range []string{"unknown", "rt_unknown", "at_unknown", ""} {
		resp, body := e.postForm("/revoke", url.Values{"token": {token}}, r.client.ID, r.secret)
		if token == "" {
			// An empty token is a malformed request, not an unknown token.
			if resp.StatusCode >= 500 {
				t.Errorf("revoke empty token: %d", resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("revoke %q: %d %v, want 200", token, resp.StatusCode, body)
		}
	}
}

func TestRevokeOtherClientsToken(t *testing.T) {
	e := newEnv(t)
	owner := e.webRP()
	other := e.webRP()
	tok := e.tokens(owner)
	for _, token := range []string{tok.RefreshToken, tok.AccessToken} {
		resp, body := e.postForm("/revoke", url.Values{"token": {token}}, other.client.ID, other.secret)
		if resp.StatusCode == http.StatusOK || resp.StatusCode >= 500 {
			t.Errorf("revoke another client's token: %d %v, want a 4xx refusal", resp.StatusCode, body)
		}
	}
	if _, err := e.refresh(owner, tok.RefreshToken); err != nil {
		t.Errorf("the owner's refresh token no longer works: %v", err)
	}
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("the owner's access token no longer works: %d", resp.StatusCode)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	e.clock.Advance(idp.DefaultAccessTokenLifetime + time.Second)
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with expired token: %d, want 401", resp.StatusCode)
	}
	if in := e.introspect(r, tok.AccessToken); in["active"] != false {
		t.Errorf("introspection of expired token = %v, want inactive", in)
	}
}

func TestTokenResponseNoStore(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {r.conf.RedirectURL},
		"code_verifier": {verifier},
	}
	ok, body := e.postForm("/oauth/token", form, r.client.ID, r.secret)
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", ok.StatusCode, body)
	}
	failed, _ := e.postForm("/oauth/token", form, r.client.ID, r.secret)
	introspection, _ := e.postForm("/oauth/introspect", url.Values{"token": {"x"}}, r.client.ID, r.secret)
	revocation, _ := e.postForm("/revoke", url.Values{"token": {"x"}}, r.client.ID, r.secret)
	for name, resp := range map[string]*http.Response{"token": ok, "token error": failed, "introspection": introspection, "revocation": revocation} {
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", name, got)
		}
		if got := resp.Header.Get("Pragma"); got != "no-cache" {
			t.Errorf("%s: Pragma = %q, want no-cache", name, got)
		}
	}
}

func TestTokenEndpointRejectsGET(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	q := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.conf.RedirectURL},
		"code_verifier": {verifier}, "client_id": {r.client.ID}, "client_secret": {r.secret},
	}
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/revoke"} {
		resp := e.get(e.issuer + path + "?" + q.Encode())
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", path, resp.StatusCode)
		}
	}
	// The code survived the GET.
	if resp, body := e.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.conf.RedirectURL}, "code_verifier": {verifier}}, r.client.ID, r.secret); resp.StatusCode != http.StatusOK {
		t.Errorf("POST after GET: %d %v", resp.StatusCode, body)
	}
}

func TestTokenEndpointGrantTypes(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tests := []struct {
		grant      string
		wantStatus int
		wantError  string
	}{
		{"urn:ietf:params:oauth:grant-type:jwt-bearer", 400, "unsupported_grant_type"},
		{"client_credentials", 400, "unauthorized_client"},
		{"implicit", 400, "unsupported_grant_type"},
		{"", 400, "invalid_request"},
	}
	for _, tt := range tests {
		resp, body := e.postForm("/oauth/token", url.Values{"grant_type": {tt.grant}, "assertion": {"x.y.z"}}, r.client.ID, r.secret)
		if resp.StatusCode != tt.wantStatus || body["error"] != tt.wantError {
			t.Errorf("grant %q: %d %v, want %d %s", tt.grant, resp.StatusCode, body, tt.wantStatus, tt.wantError)
		}
	}
}

func TestTokenEndpointUnknownClient(t *testing.T) {
	e := newEnv(t)
	forms := []url.Values{
		{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"nope"}},
		{"grant_type": {"refresh_token"}, "refresh_token": {"x"}},
		{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {"nope"}},
	}
	for _, form := range forms {
		resp, body := e.postForm("/oauth/token", form, "", "")
		if resp.StatusCode >= 500 || resp.StatusCode < 400 {
			t.Errorf("%v: %d %v, want a 4xx", form, resp.StatusCode, body)
		}
	}
	resp, body := e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "nope", "secret")
	if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("unknown client with Basic: %d %v, want 401 invalid_client", resp.StatusCode, body)
	}
}

func TestRefreshScopeNarrowing(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	tok := e.tokens(r)
	resp, body := e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid offline_access"}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("narrowed refresh: %d %v", resp.StatusCode, body)
	}
	_, info := e.userinfo(body["access_token"].(string))
	if _, ok := info["email"]; ok {
		t.Errorf("narrowed access token still returns email: %v", info)
	}

	// The rotated token keeps the original grant.
	next := body["refresh_token"].(string)
	resp, body = e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}, "scope": {"openid email"}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh with the original scope: %d %v", resp.StatusCode, body)
	}
	scope, _ := body["scope"].(string)
	if scope != "openid email" {
		t.Errorf("scope = %q, want openid email", scope)
	}

	resp, body = e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}, "scope": {"openid phone"}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Errorf("refresh with a wider scope: %d %v, want invalid_scope", resp.StatusCode, body)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	preflight := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, e.issuer+path, nil)
		req.Header.Set("Origin", "https://spa.example.com")
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := e.browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/oauth/token", "/userinfo", "/keys", "/.well-known/openid-configuration"} {
		resp := preflight(path)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://spa.example.com" {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want the origin", path, got)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Credentials = %q, want none", path, got)
		}
	}
	for _, path := range []string{"/authorize", "/oauth/introspect", "/end_session", "/authorize/callback"} {
		if got := preflight(path).Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want none", path, got)
		}
	}
}

func TestDisabledEndpoints(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.postForm("/device_authorization", url.Values{"client_id": {"x"}, "scope": {"openid"}}, "", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("device authorization: %d, want 404", resp.StatusCode)
	}
}

func TestAMRValuesKeptInOrder(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	c := e.completion()
	c.AMR = []string{"pwd", "hwk", "user", "pin", "mfa"}
	c.ACR = idp.ACRPhishingResistant
	code, verifier := e.codeFlow(r, c)
	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, claims := e.verifyIDToken(r, tok)
	if !slices.Equal(claims.AMR, c.AMR) || claims.ACR != "phr" {
		t.Errorf("amr, acr = %v, %q; want %v, phr", claims.AMR, claims.ACR, c.AMR)
	}
}
