package main

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"testing"

	"github.com/hotelsoft/idp/login/webauthntest"
)

// rejectedKey runs a registration ceremony on the security key page p
// with an authenticator whose responses name another origin, and returns
// the status of its finish request.
func rejectedKey(t *testing.T, b *browser, p *page) int {
	t.Helper()
	data := map[string]string{}
	for _, m := range keyDataPattern.FindAllStringSubmatch(p.Body, 3) {
		data[m[1]] = html.UnescapeString(m[2])
	}
	options := postKeyJSON(t, b, p.URL.ResolveReference(mustURL(t, data["begin"])).String(), data["csrf"], []byte(`{}`))
	response, _, err := webauthntest.New("https://elsewhere.example").Register(options)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "Forged", "credential": json.RawMessage(response)})
	req, err := http.NewRequest(http.MethodPost, p.URL.ResolveReference(mustURL(t, data["finish"])).String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", data["csrf"])
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNoticeWithKeyAtSignIn checks that a security key registered as the
// second factor of a sign-in queues one notification, and a rejected
// registration none.
func TestNoticeWithKeyAtSignIn(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), onLocalhost)
			rp := s.relyingParty(t)
			b := newBrowser(t, s.url)
			acceptInvitation(t, b, s.invite(t, "lea@example.com"), testPassword)
			r := rp.start()
			p := signInWithPassword(t, b, r, "lea@example.com", testPassword)
			p = b.submit(p, map[string]string{"method": "webauthn"})

			if status := rejectedKey(t, b, p); status != http.StatusBadRequest {
				t.Fatalf("registration for another origin: status %d, want 400", status)
			}
			if n := notifications(t, s); n != 0 {
				t.Fatalf("notifications after a rejected registration = %d, want 0", n)
			}

			auth := webauthntest.New(s.url)
			rp.exchange(t, keyCeremony(t, b, p, func(o []byte) ([]byte, error) {
				out, _, err := auth.Register(o)
				return out, err
			}, "Green key"), r)
			if n := notifications(t, s); n != 1 {
				t.Errorf("notifications after registering a key = %d, want 1", n)
			}
		})
	}
}
