package main

import (
	"html"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wantMessage fails the test unless p shows the English message id.
func wantMessage(t *testing.T, p *page, id string) {
	t.Helper()
	if want := englishMessage(t, id); !strings.Contains(html.UnescapeString(p.Body), want) {
		t.Errorf("page lacks %s %q:\n%s", id, want, p.Body)
	}
}

// TestEmailLinkDead checks that a dead link opened in the browser that
// requested it says so and offers a new email, while another browser is
// sent back to the original screen.
func TestEmailLinkDead(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "ida@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	r := rp.start()
	check := toCheckPage(t, b, r, email)
	link := smtp.Wait(t, email, "email-2fa").Link(t)
	s.clock.Advance(61 * time.Second)
	b.submit(check, map[string]string{"resend": "1"})
	smtp.Wait(t, email, "email-2fa")

	other := newBrowser(t, s.url).get(link)
	wantMessage(t, other, "EmailLinkElsewhere")
	wantMessage(t, other, "EmailLinkTitle")

	p := b.get(link)
	if p.Location != nil || p.Status != http.StatusBadRequest {
		t.Fatalf("replaced link: status %d, location %v", p.Status, p.Location)
	}
	wantMessage(t, p, "EmailLinkExpired")
	wantMessage(t, p, "EmailLinkExpiredTitle")
	if strings.Contains(html.UnescapeString(p.Body), englishMessage(t, "EmailLinkElsewhere")) {
		t.Error("the requesting browser is sent to another screen")
	}
	if !p.has("resend") {
		t.Fatal("no button to send a new email")
	}
	s.clock.Advance(61 * time.Second)
	b.submit(p, map[string]string{})
	fresh := smtp.Wait(t, email, "email-2fa")
	checkAMR(t, rp.exchange(t, b.get(fresh.Link(t)), r))

	// Used: the browser is signed in and no new email is offered.
	used := b.get(fresh.Link(t))
	wantMessage(t, used, "EmailLinkExpiredTitle")
	if used.has("resend") {
		t.Error("a signed-in browser is offered a new email")
	}
}
