package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// twoFactorEmails counts the email-2FA messages queued or sent to email.
func twoFactorEmails(t *testing.T, s *testServer, email string) int {
	t.Helper()
	all, err := s.app.store.OutboxEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range all {
		if e.Kind == store.EmailTwoFactor && strings.EqualFold(e.Recipient, email) {
			n++
		}
	}
	return n
}

// TestEmailCooldownAcrossSignIns signs in with the password twice within
// a minute, in two browsers: the second sign-in sends no email and says
// one went out moments ago; after the cooldown, asking again sends one.
func TestEmailCooldownAcrossSignIns(t *testing.T) {
	s, _ := startMailServer(t, sqliteURL(t))
	const email = "carla@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)

	toCheckPage(t, newBrowser(t, s.url), rp.start(), email)
	if n := twoFactorEmails(t, s, email); n != 1 {
		t.Fatalf("first sign-in sent %d emails, want 1", n)
	}
	b := newBrowser(t, s.url)
	p := toCheckPage(t, b, rp.start(), email)
	if n := twoFactorEmails(t, s, email); n != 1 {
		t.Errorf("second sign-in within the cooldown: %d emails, want 1", n)
	}
	if p.Status != http.StatusOK || !strings.Contains(p.alert(), "60") {
		t.Errorf("second sign-in: status %d, alert %q, want 200 and the wait message", p.Status, p.alert())
	}
	// A resend within the cooldown is refused too.
	if again := b.submit(p, map[string]string{"resend": "1"}); again.Status != http.StatusTooManyRequests {
		t.Errorf("resend within the cooldown: %d, want 429", again.Status)
	}

	s.clock.Advance(61 * time.Second)
	if p := b.submit(p, map[string]string{"resend": "1"}); p.Status != http.StatusOK {
		t.Errorf("resend after the cooldown: %d", p.Status)
	}
	if n := twoFactorEmails(t, s, email); n != 2 {
		t.Errorf("after the cooldown: %d emails, want 2", n)
	}
}
