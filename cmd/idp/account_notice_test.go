package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// notifications counts the notification emails to email in the outbox,
// sent or not.
func (s *testServer) notifications(t *testing.T, email string) int {
	t.Helper()
	emails, err := s.app.store.OutboxEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range emails {
		if e.Kind == store.EmailNotification && store.NormalizeEmail(e.Recipient) == store.NormalizeEmail(email) {
			n++
		}
	}
	return n
}

// TestAccountNoticeCount checks that each change on the account page
// queues exactly one notification and a refused change queues none.
func TestAccountNoticeCount(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "nora@example.com")
	s.addKey(t, u.email, "key-1", "Blue key")
	s.addKey(t, u.email, "key-2", "Laptop")

	p := b.get(s.url + "/account")
	csrf := csrfOf(t, p)
	post := func(path string, form url.Values) *page {
		form.Set("csrf_token", csrf)
		return b.post(s.url+path, form)
	}
	steps := []struct {
		name   string
		path   string
		form   url.Values
		status int
		notes  int
	}{
		{"unknown key", "/account/keys/remove", url.Values{"id": {"missing"}}, http.StatusBadRequest, 0},
		{"key", "/account/keys/remove", url.Values{"id": {"key-1"}}, http.StatusOK, 1},
		{"unknown method", "/account/methods/remove", url.Values{"method": {"sms"}}, http.StatusBadRequest, 0},
		{"app", "/account/methods/remove", url.Values{"method": {"totp"}}, http.StatusOK, 1},
		{"wrong password", "/account/password", url.Values{"current_password": {"not it"},
			"password": {newTestPassword}, "password_confirm": {newTestPassword}}, http.StatusBadRequest, 0},
		{"password", "/account/password", url.Values{"current_password": {testPassword},
			"password": {newTestPassword}, "password_confirm": {newTestPassword}}, http.StatusOK, 1},
	}
	for _, step := range steps {
		before := s.notifications(t, u.email)
		if p := post(step.path, step.form); p.Status != step.status {
			t.Fatalf("%s: status %d, want %d:\n%s", step.name, p.Status, step.status, p.Body)
		}
		if got := s.notifications(t, u.email) - before; got != step.notes {
			t.Errorf("%s: %d notifications, want %d", step.name, got, step.notes)
		}
	}
}

// TestAccountEmailWrongCodeAlert checks that a wrong code while adding the
// email method is reported with the email message, not the app's.
func TestAccountEmailWrongCodeAlert(t *testing.T) {
	s, smtp := startKeyMailServer(t)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "olga@example.com")
	p := b.get(s.url + "/account/email")
	code := smtp.Wait(t, u.email, "email-2fa").Code(t)

	wrong := b.submit(p, map[string]string{"code": otherCode(code)})
	if wrong.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: status %d, want 400", wrong.Status)
	}
	if got, want := wrong.alert(), englishMessage(t, "AlertEmailCodeInvalid"); got != want {
		t.Errorf("alert = %q, want %q", got, want)
	}
}
