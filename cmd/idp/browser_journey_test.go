package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"golang.org/x/oauth2"
)

// acceptInvitationIn opens the invitation link in the tab, sets the
// password and accepts the Terms.
func acceptInvitationIn(t *testing.T, b *tab, link string) {
	t.Helper()
	b.open(link)
	b.see("Set your password")
	b.axe()
	if b.attr("#password", "autocomplete") != "new-password" || b.attr("#email", "autocomplete") != "username" {
		t.Errorf("invitation page: password managers cannot tell the new password from the user name")
	}
	b.fill("#password", testPassword)
	b.fill("#password_confirm", testPassword)
	b.do("accept the Terms", clickBox("#accept_terms"))
	b.click("form button[type=submit]")
	b.see("Your password is set")
}

// signInIn starts the authorization request r in the tab and passes the
// password step.
func signInIn(t *testing.T, b *tab, r authRequest, email string) {
	t.Helper()
	b.open(r.url)
	b.see("Sign in")
	b.fill("#email", email)
	b.fill("#password", testPassword)
	b.click("form button[type=submit]")
}

// enrolInBrowser takes a new user from the invitation to the relying
// party with an authenticator app, and returns the app's key and the
// recovery codes shown.
func enrolInBrowser(t *testing.T, s *testServer, rp *relyingParty, c *catcher, b *tab, email string) (*otp.Key, []string) {
	t.Helper()
	acceptInvitationIn(t, b, s.invite(t, email))
	r := rp.start()
	signInIn(t, b, r, email)

	b.see("Set up two-step verification")
	b.axe()
	b.do("choose the app", clickBox("#method-totp"))
	b.click("form button[type=submit]")

	b.see("Set up your authenticator app")
	b.axe()
	key := keyOnPage(t, b)
	if b.attr("#code", "inputmode") != "numeric" || b.attr("#code", "autocomplete") != "one-time-code" {
		t.Errorf("code field does not ask for the numeric keypad and one-time codes")
	}
	code := totpCode(t, key, s.clock.Now())
	b.fill("#code", code[:3]+" "+code[3:]) // pasted from an app that groups digits
	b.fill("#password", testPassword)
	b.click("form button[type=submit]")

	b.see("Save your recovery codes")
	b.axe()
	codes := strings.Fields(b.text("#recovery-codes"))
	if len(codes) != 10 {
		t.Fatalf("recovery codes page lists %d codes, want 10: %q", len(codes), codes)
	}
	b.click("form button[type=submit]")
	wantAMR(t, rp.arrived(t, b, c, r).claims(t).AMR, "pwd", "otp", "mfa")
	return key, codes
}

// keyOnPage reads the authenticator key from the otpauth link of the
// activation page.
func keyOnPage(t *testing.T, b *tab) *otp.Key {
	t.Helper()
	key, err := otp.NewKeyFromURL(b.attr(`a[href^="otpauth://"]`, "href"))
	if err != nil {
		t.Fatalf("activation page: %v", err)
	}
	return key
}

// clickBox ticks a checkbox or radio button by its label, as a user does.
func clickBox(selector string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(`label[for="` + strings.TrimPrefix(selector, "#") + `"]`))
}

func TestBrowserNewUser(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp, c := browserRelyingParty(t, s)
	ch := newChrome(t)
	const email = "anna@example.com"
	key, codes := enrolInBrowser(t, s, rp, c, ch.tab(), email)

	// Another computer: password and a code from the app.
	s.clock.Advance(31 * time.Second)
	b := ch.tab()
	r := rp.start()
	signInIn(t, b, r, email)
	b.see("Two-step verification")
	b.axe()
	b.fill("#code", totpCode(t, key, s.clock.Now()))
	b.click("form button[type=submit]")
	rp.arrived(t, b, c, r)

	// A wrong code is announced; a recovery code gets in.
	b = ch.tab()
	r = rp.start()
	signInIn(t, b, r, email)
	b.fill("#code", "000000")
	b.click("form button[type=submit]")
	if b.attr(".alert", "role") != "alert" || b.text(".alert") == "" {
		t.Errorf("a wrong code shows no alert for screen readers:\n%s", b.text("main"))
	}
	b.axe()
	b.click(`main a[href*="recovery"]`)
	b.fill("#code", codes[0])
	b.click("form button[type=submit]")
	wantAMR(t, rp.arrived(t, b, c, r).claims(t).AMR, "pwd", "otp", "recovery", "mfa")

	// Quick lock from the account page, and the password unlocks.
	b.open(s.url + "/account")
	b.see("Your account")
	b.axe()
	b.click(`form[action="/lock"] button`)
	b.see("Session locked")
	b.axe()
	b.open(s.url + "/account")
	b.see("Session locked")
	b.fill("#password", "wrong password")
	b.click(`form button[type=submit]`)
	b.see("Session locked")
	if b.text(".alert") == "" {
		t.Error("a wrong unlock password shows no alert")
	}
	b.fill("#password", testPassword)
	b.click(`form button[type=submit]`)
	b.see("Your account")
	s.wantAudit(t, email, "session.unlocked")
}

func TestBrowserEmailAndForgotPassword(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	rp, c := browserRelyingParty(t, s)
	ch := newChrome(t)
	const email = "ben@example.com"
	b := ch.tab()
	acceptInvitationIn(t, b, s.invite(t, email))

	// Email is preselected; the link from the email signs in.
	r := rp.start()
	signInIn(t, b, r, email)
	b.see("Set up two-step verification")
	if b.attr("#method-email", "checked") == "" && !eval[bool](b, `document.querySelector("#method-email").checked`) {
		t.Error("email is not preselected")
	}
	b.click("form button[type=submit]")
	b.see("Check your email")
	b.axe()
	m := smtp.Wait(t, email, "email-2fa")
	mailTab := b.sibling()
	mailTab.open(m.Link(t))
	checkAMR(t, rp.arrived(t, mailTab, c, r))

	// The first tab reloads by itself and notices.
	if !b.waitGone("#code", 15*time.Second) {
		t.Errorf("the check page did not notice the link opened in another tab:\n%s", b.text("main"))
	}

	// Forgot password, from the sign-in page to a new password.
	b = ch.tab()
	b.open(s.url + "/login")
	b.click(`a[href="/login/forgot"]`)
	b.see("Reset your password")
	b.axe()
	b.fill("#email", email)
	b.click("form button[type=submit]")
	b.see("Check your email")
	b.axe()
	b.open(smtp.Wait(t, email, "password-reset").Link(t))
	b.see("Choose a new password")
	b.axe()
	if b.attr(`input[autocomplete="username"]`, "value") != email || b.attr("#password", "autocomplete") != "new-password" {
		t.Error("reset page: a password manager cannot tell whose new password it is")
	}
	const newPassword = "a new long passphrase"
	b.fill("#password", newPassword)
	b.fill("#password_confirm", newPassword)
	b.click("form button[type=submit]")
	b.see("Password changed")
	b.axe()

	r = rp.start(oauth2.SetAuthURLParam("prompt", "login"))
	b.open(r.url)
	b.fill("#email", email)
	b.fill("#password", newPassword)
	b.click("form button[type=submit]")
	b.see("Check your email")
	// A focused code field stops the page's reload every 5 seconds.
	b.do("focus the code field", chromedp.Focus(chromedp.CSS("#code")))

	// The code from the email, pasted with a space, also signs in.
	code := smtp.Wait(t, email, "email-2fa").Code(t)
	b.fill("#code", code[:3]+" "+code[3:])
	b.click("form button[type=submit]")
	checkAMR(t, rp.arrived(t, b, c, r))
}
