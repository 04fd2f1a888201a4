package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// An access token is accepted in the Authorization header and the form
// body, never in the URL query (RFC 6750, section 2.3).
func TestUserinfoRejectsQueryToken(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens(e.webRP())

	if resp, _ := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("token in header: %d, want 200", resp.StatusCode)
	}
	resp, _ := e.postForm("/userinfo", url.Values{"access_token": {tok.AccessToken}}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token in form body: %d, want 200", resp.StatusCode)
	}

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, e.issuer+"/userinfo?access_token="+url.QueryEscape(tok.AccessToken), nil)
		resp, err := e.browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s with token in query: %d, want 400", method, resp.StatusCode)
		}
		if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, "invalid_request") {
			t.Errorf("%s with token in query: WWW-Authenticate = %q, want invalid_request", method, got)
		}
	}
}
