package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	r := e.webRP()
	huge := strings.Repeat("a", 100<<10)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		basic  bool
		want   int
	}{
		{"malformed query", http.MethodGet, "/authorize?%zz", "", false, http.StatusBadRequest},
		{"malformed end_session query", http.MethodGet, "/end_session?%zz", "", false, http.StatusBadRequest},
		{"end_session bad locale list", http.MethodGet, "/end_session?ui_locales=" + url.QueryEscape(strings.Repeat("x-", 50)), "", false, 0},
		{"oversized token body", http.MethodPost, "/oauth/token", "grant_type=authorization_code&code=" + huge, true, http.StatusRequestEntityTooLarge},
		{"callback unknown id", http.MethodGet, "/authorize/callback?id=nope", "", false, http.StatusBadRequest},
		{"callback without id", http.MethodGet, "/authorize/callback", "", false, http.StatusBadRequest},
		{"garbage code", http.MethodPost, "/oauth/token", "grant_type=authorization_code&code=garbage&redirect_uri=https://staff.example.com/callback", true, http.StatusBadRequest},
		{"huge refresh token", http.MethodPost, "/oauth/token", "grant_type=refresh_token&refresh_token=" + strings.Repeat("r", 4000), true, http.StatusBadRequest},
		{"userinfo without token", http.MethodGet, "/userinfo", "", false, http.StatusUnauthorized},
		{"userinfo token in query", http.MethodGet, "/userinfo?access_token=garbage", "", false, http.StatusBadRequest},
		{"introspect garbage", http.MethodPost, "/oauth/introspect", "token=garbage", true, http.StatusOK},
		{"revoke garbage", http.MethodPost, "/revoke", "token=" + strings.Repeat("g", 1000), true, http.StatusOK},
		{"authorize without client", http.MethodGet, "/authorize?response_type=code&scope=openid", "", false, http.StatusBadRequest},
		{"authorize bad max_age", http.MethodGet, "/authorize?" + authorizeQuery(r, "max_age", "-1"), "", false, 0},
		{"discovery POST", http.MethodPost, "/.well-known/openid-configuration", "", false, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.issuer+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.basic {
				req.SetBasicAuth(r.client.ID, r.secret)
			}
			resp, err := e.browser.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tt.want != 0 && resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func authorizeQuery(r *rp, extra ...string) string {
	q := url.Values{
		"client_id":     {r.client.ID},
		"redirect_uri":  {r.conf.RedirectURL},
		"response_type": {"code"},
		"scope":         {"openid"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

func TestUserinfoWWWAuthenticate(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.userinfo("garbage")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with garbage token: %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
		t.Errorf("challenge for a garbage token = %q", got)
	}

	resp = e.get(e.issuer + "/userinfo")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo without token: %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("challenge without a token = %q, want Bearer", got)
	}
}
