package main

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
)

// englishMessage returns message id of the English catalogue.
func englishMessage(t *testing.T, id string) string {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	text, err := c.Localizer(language.English).Translate(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// otherCode returns a six-digit code that is not code.
func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestEmailCodeWrongAlert checks that a wrong code on the email sign-in
// page is reported with the email message, which points to the latest
// email rather than to an authenticator app.
func TestEmailCodeWrongAlert(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "gus@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	p := toCheckPage(t, b, rp.start(), email)
	code := smtp.Wait(t, email, "email-2fa").Code(t)

	wrong := b.submit(p, map[string]string{"code": otherCode(code)})
	if wrong.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d, want 400", wrong.Status)
	}
	if got, want := wrong.alert(), englishMessage(t, "AlertEmailCodeInvalid"); got != want {
		t.Errorf("alert = %q, want %q", got, want)
	}
}

// TestMailboxProofWrongAlert checks the same for the code that proves the
// mailbox before a user without a method enrols one.
func TestMailboxProofWrongAlert(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrolStaff(t, s, rp, "hal@a.example", "")
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

	wrong := b.submit(p, map[string]string{"code": otherCode(code)})
	if wrong.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d, want 400", wrong.Status)
	}
	if got, want := wrong.alert(), englishMessage(t, "AlertEmailCodeInvalid"); got != want {
		t.Errorf("alert = %q, want %q", got, want)
	}
}

// TestEmailCodeDeadAlert checks that an attempt after five wrong codes
// says the code is no longer valid and offers a new email, rather than
// asking the user to wait.
func TestEmailCodeDeadAlert(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "hal@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	p := toCheckPage(t, b, rp.start(), email)
	code := smtp.Wait(t, email, "email-2fa").Code(t)
	for range 5 {
		b.submit(p, map[string]string{"code": otherCode(code)})
	}

	sixth := b.submit(p, map[string]string{"code": code})
	if sixth.Location != nil {
		t.Fatal("the right code worked after five wrong ones")
	}
	if got, want := sixth.alert(), englishMessage(t, "AlertEmailCodeExpired"); got != want {
		t.Errorf("alert = %q, want %q", got, want)
	}
	if !sixth.has("resend") {
		t.Error("no button to send a new email")
	}
}
