package main

import (
	"context"
	"net/url"
	"testing"
)

// TestMailboxProofGoesOn checks that a user who chose the authenticator
// app goes straight on to its set-up after the mailbox proof, and that an
// unknown next step falls back to the method choice.
func TestMailboxProofGoesOn(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrolStaff(t, s, rp, "ivo@a.example", "")
	if err := s.app.adminService().Reset2FA(context.Background(), operator(), s.user(t, u.email).ID); err != nil {
		t.Fatal(err)
	}
	smtp.Wait(t, u.email, "notification")

	b := newBrowser(t, s.url)
	p := signInWithPassword(t, b, rp.start(), u.email, testPassword)
	if p.has("method") {
		p = b.submit(p, map[string]string{"method": "totp"})
	}
	wantPath(t, p, "/login/2fa/confirm-email")
	code := smtp.Wait(t, u.email, "email-2fa").Code(t)

	// A forged next step changes nothing.
	q := p.URL.Query()
	q.Set("then", "//evil.example")
	forged := b.get(s.url + "/login/2fa/confirm-email?" + q.Encode())
	wantPath(t, forged, "/login/2fa/confirm-email")
	if a := forged.byID("code"); a == nil {
		t.Fatal("no code field on the proof page")
	}

	done := b.submit(p, map[string]string{"code": code})
	wantPath(t, done, "/login/2fa/totp")
	if done.URL.Query().Get("id") == "" {
		t.Errorf("the set-up page lost the auth request: %s", done.URL)
	}
	back := b.get(s.url + "/login/2fa/confirm-email?" + url.Values{"id": {done.URL.Query().Get("id")}, "then": {"nothing"}}.Encode())
	wantPath(t, back, "/login/2fa/method")
}
