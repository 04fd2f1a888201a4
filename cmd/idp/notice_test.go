package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// notifications returns how many notification emails the outbox holds.
func notifications(t *testing.T, s *testServer) int {
	t.Helper()
	all, err := s.app.store.OutboxEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range all {
		if e.Kind == store.EmailNotification {
			n++
		}
	}
	return n
}

// TestNoticeWithChange checks that activating the app and signing in with
// a recovery code each queue one notification, and that a wrong or reused
// recovery code queues none.
func TestNoticeWithChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "nina@example.com")
		if n := notifications(t, s); n != 1 {
			t.Fatalf("notifications after activating the app = %d, want 1", n)
		}

		b := newBrowser(t, s.url)
		r := rp.start()
		p := signInWithPassword(t, b, r, u.email, testPassword)
		p = b.submit(p, map[string]string{"code": "aaaaa-aaaaa"})
		if p.Location != nil || p.alert() == "" {
			t.Fatalf("a wrong recovery code was accepted (status %d)", p.Status)
		}
		if n := notifications(t, s); n != 1 {
			t.Fatalf("notifications after a wrong recovery code = %d, want 1", n)
		}
		p = b.submit(p, map[string]string{"code": u.recoveryCodes[0]})
		wantAMR(t, rp.exchange(t, p, r).claims(t).AMR, "pwd", "otp", "recovery", "mfa")
		if n := notifications(t, s); n != 2 {
			t.Fatalf("notifications after a recovery code = %d, want 2", n)
		}

		other := newBrowser(t, s.url)
		p = signInWithPassword(t, other, rp.start(), u.email, testPassword)
		p = other.submit(p, map[string]string{"code": u.recoveryCodes[0]})
		if p.Location != nil || p.alert() == "" {
			t.Fatal("a used recovery code was accepted again")
		}
		if n := notifications(t, s); n != 2 {
			t.Errorf("notifications after a reused recovery code = %d, want 2", n)
		}
	})
}

// TestNoticeWithResetFactor checks that a recovery code used as the
// second factor of a password reset is reported by email once.
func TestNoticeWithResetFactor(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	u := enrol(t, s, s.relyingParty(t), "otto@example.com")
	smtp.Wait(t, u.email, "notification")

	b := newBrowser(t, s.url)
	b.submit(b.get(s.url+"/login/forgot"), map[string]string{"email": u.email})
	p := b.get(smtp.Wait(t, u.email, "password-reset").Link(t))
	p = b.submit(p, map[string]string{"code": u.recoveryCodes[0]})
	if p.Status != http.StatusOK || !p.has("password_confirm") {
		t.Fatalf("reset with a recovery code: status %d, want the password form:\n%s", p.Status, p.Body)
	}
	if n := smtp.Wait(t, u.email, "notification"); !strings.Contains(n.Text, "recovery") {
		t.Errorf("notification does not mention the recovery code:\n%s", n.Text)
	}
	if n := notifications(t, s); n != 2 {
		t.Errorf("notifications = %d, want 2: the activation and the recovery code", n)
	}
}
