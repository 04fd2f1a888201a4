package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWebAuthnAssertionThrottled(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	origin := auth.Origin

	b := e.browser()
	loginPath, keyPath := b.signInToKeyStep("ana@example.com", nil)
	auth.Origin = "https://id.example.net"
	for i := range 5 {
		if status, _, _ := b.useKey(keyPath, auth.Assert); status != http.StatusBadRequest {
			t.Fatalf("failure %d: status %d, want 400", i+1, status)
		}
	}

	// The right key is not even checked while the step is throttled.
	auth.Origin = origin
	status, _, msg := b.useKey(keyPath, auth.Assert)
	if status != http.StatusTooManyRequests || msg == "" {
		t.Fatalf("after 5 failures: status %d, error %q; want 429 with a message", status, msg)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("auth request completed while throttled")
	}
	if e.auditCount("sign_in.throttled") == 0 {
		t.Error("no sign_in.throttled audit event")
	}

	e.clock.Advance(10 * time.Second)
	if status, next, msg := b.useKey(keyPath, auth.Assert); status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("after the delay: status %d, next %q, error %q", status, next, msg)
	}
}

func TestPasskeyAssertionThrottled(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	origin := auth.Origin

	b := e.browser()
	loginPath, _ := b.authorize(nil)
	auth.Origin = "https://id.example.net"
	for i := range 5 {
		if status, _, _ := b.useKey(loginPath, auth.Assert); status != http.StatusBadRequest {
			t.Fatalf("failure %d: status %d, want 400", i+1, status)
		}
	}
	auth.Origin = origin
	if status, _, _ := b.useKey(loginPath, auth.Assert); status != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures: status %d, want 429", status)
	}

	// The password step of the same user has its own counter.
	b.signInPassword(loginPath, "ana@example.com", testPassword).wantStatus(t, http.StatusSeeOther)

	e.clock.Advance(10 * time.Second)
	b = e.browser()
	loginPath, _ = b.authorize(url.Values{})
	if status, next, msg := b.useKey(loginPath, auth.Assert); status != http.StatusOK || !strings.Contains(next, "/authorize/callback?id=") {
		t.Fatalf("after the delay: status %d, next %q, error %q", status, next, msg)
	}
}
