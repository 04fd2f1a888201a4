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

// codeForm is the body of an authorization_code token request.
func codeForm(r *rp, code, verifier string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {r.conf.RedirectURL},
		"code_verifier": {verifier},
	}
}

// wantTokenError checks a rejected token request: the OAuth error code, the
// status that goes with it, and no caching.
func wantTokenError(t *testing.T, resp *http.Response, body map[string]any, want string) {
	t.Helper()
	status := http.StatusBadRequest
	if want == "invalid_client" {
		status = http.StatusUnauthorized
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
			t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
		}
	}
	if resp.StatusCode != status || body["error"] != want {
		t.Errorf("got %d %v, want %d %s", resp.StatusCode, body, status, want)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

// A used code replayed without the client's secret must neither reach the
// library nor revoke the tokens issued from it.
func TestCodeReplayNeedsClientAuth(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	code, verifier := e.codeFlow(r, e.completion())
	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}

	noSecret := codeForm(r, code, verifier)
	noSecret.Set("client_id", r.client.ID)
	resp, body := e.postForm("/oauth/token", noSecret, "", "")
	wantTokenError(t, resp, body, "invalid_client")
	resp, body = e.postForm("/oauth/token", codeForm(r, code, verifier), r.client.ID, "wrong-secret")
	wantTokenError(t, resp, body, "invalid_client")
	wrongPost := codeForm(r, code, verifier)
	wrongPost.Set("client_id", r.client.ID)
	wrongPost.Set("client_secret", "wrong-secret")
	resp, body = e.postForm("/oauth/token", wrongPost, "", "")
	wantTokenError(t, resp, body, "invalid_client")

	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("userinfo after unauthenticated replays: %d, want 200", resp.StatusCode)
	}
	if _, err := e.refresh(r, tok.RefreshToken); err != nil {
		t.Errorf("refresh after unauthenticated replays: %v", err)
	}
}

// A fresh code survives every rejected attempt to redeem it.
func TestCodeSurvivesRejectedExchange(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	other := e.newRP(idp.ClientSpec{
		Name:         "Other app",
		Type:         store.AppTypeWeb,
		RedirectURIs: []string{"https://staff.example.com/callback"},
	})
	code, verifier := e.codeFlow(r, e.completion())

	wrongRedirect := codeForm(r, code, verifier)
	wrongRedirect.Set("redirect_uri", "https://staff.example.com/other")
	repeated := codeForm(r, code, verifier)
	repeated.Add("code", "another")
	noVerifier := codeForm(r, code, "")
	tests := []struct {
		name         string
		form         url.Values
		user, secret string
		want         string
	}{
		{"WrongSecret", codeForm(r, code, verifier), r.client.ID, "wrong-secret", "invalid_client"},
		{"NoSecret", codeForm(r, code, verifier), r.client.ID, "", "invalid_client"},
		{"UnknownClient", codeForm(r, code, verifier), "unknown", "secret", "invalid_client"},
		{"WrongVerifier", codeForm(r, code, oauth2.GenerateVerifier()), r.client.ID, r.secret, "invalid_grant"},
		{"NoVerifier", noVerifier, r.client.ID, r.secret, "invalid_grant"},
		{"WrongRedirect", wrongRedirect, r.client.ID, r.secret, "invalid_grant"},
		{"OtherClient", codeForm(r, code, verifier), other.client.ID, other.secret, "invalid_grant"},
		{"RepeatedCode", repeated, r.client.ID, r.secret, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.postForm("/oauth/token", tc.form, tc.user, tc.secret)
			wantTokenError(t, resp, body, tc.want)
		})
	}

	// The library reads the grant type from the query too.
	inQuery := codeForm(r, code, verifier)
	inQuery.Del("grant_type")
	resp, body := e.postForm("/oauth/token?grant_type=authorization_code", inQuery, r.client.ID, "wrong-secret")
	wantTokenError(t, resp, body, "invalid_client")

	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange after rejected attempts: %v", err)
	}
	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("userinfo: %d, want 200", resp.StatusCode)
	}
}

// A public client authenticates with its client_id alone, so the PKCE
// verifier is what keeps a seen code from being burnt.
func TestPublicClientCodeNeedsVerifier(t *testing.T) {
	e := newEnv(t)
	r := e.nativeRP()
	code, verifier := e.codeFlow(r, e.completion())

	for _, v := range []string{"", oauth2.GenerateVerifier()} {
		form := codeForm(r, code, v)
		form.Set("client_id", r.client.ID)
		resp, body := e.postForm("/oauth/token", form, "", "")
		wantTokenError(t, resp, body, "invalid_grant")
	}
	if _, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after rejected attempts: %v", err)
	}
}

// The library reads grant_type from the query as well as the body, so the
// grant type check reads both.
func TestGrantTypeInQueryChecked(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	resp, body := e.postForm("/oauth/token?grant_type="+url.QueryEscape("urn:ietf:params:oauth:grant-type:jwt-bearer"),
		url.Values{"assertion": {"x"}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
		t.Errorf("jwt-bearer in the query: %d %v, want 400 unsupported_grant_type", resp.StatusCode, body)
	}
}
