package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAuthorizeErrorPageTranslated(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	req, err := http.NewRequest(http.MethodGet, s.url+"/authorize?response_type=code&scope=openid&client_id=unknown&redirect_uri=https://evil.example/cb", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "de-AT")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	if resp.Header.Get("Location") != "" {
		t.Errorf("redirected to %q", resp.Header.Get("Location"))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want the HTML error page", ct)
	}
	if !strings.Contains(string(body), `lang="de"`) {
		t.Errorf("error page is not in German:\n%s", body)
	}
	if strings.Contains(string(body), "unable to retrieve client") {
		t.Error("the library's English error text leaked into the page")
	}
}
