package main

import (
	"context"
	"encoding/base64"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/mail/smtptest"
	"github.com/hotelsoft/idp/store"
)

// Widths the pages are checked at: a desktop, a common phone and the
// narrowest phone still in use.
const (
	desktopWidth = 1280
	phoneWidth   = 375
	narrowWidth  = 320
)

// shooter saves screenshots of the pages a tab passes through.
type shooter struct {
	t    *testing.T
	b    *tab
	dir  string
	lang string
}

// shot saves the page at desktop and phone widths as
// DIR/NAME/LANG-desktop.png and LANG-phone.png, and fails the test when
// the page is wider than a 320 px screen or is not in the shooter's
// language.
func (sh *shooter) shot(name string) {
	t := sh.t
	t.Helper()
	if got := eval[string](sh.b, `document.documentElement.lang`); got != sh.lang {
		t.Errorf("%s: <html lang=%q>, want %q", name, got, sh.lang)
	}
	if err := os.MkdirAll(filepath.Join(sh.dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"desktop", desktopWidth, 900, false}, {"phone", phoneWidth, 740, true}} {
		png := sh.capture(size.width, size.height, size.mobile)
		if err := os.WriteFile(filepath.Join(sh.dir, name, sh.lang+"-"+size.label+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Without phone emulation: a phone would zoom out to fit a wide page,
	// which hides the overflow this measures.
	sh.viewport(narrowWidth, 640, false)
	if overflow := eval[int](sh.b, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
		t.Errorf("%s (%s): %d px wider than a %d px screen", name, sh.lang, overflow, narrowWidth)
	}
	sh.viewport(desktopWidth, 900, false)
}

// viewport resizes the tab's page, emulating a phone when mobile is set.
func (sh *shooter) viewport(width, height int64, mobile bool) {
	sh.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	sh.b.do("resize", chromedp.EmulateViewport(width, height, opts...))
}

// capture resizes the page and returns a PNG of all of it.
func (sh *shooter) capture(width, height int64, mobile bool) []byte {
	sh.t.Helper()
	sh.viewport(width, height, mobile)
	ctx, cancel := context.WithTimeout(sh.b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		sh.t.Fatalf("screenshot: %v", err)
	}
	return png
}

// email shows the HTML part of a message in the tab and saves it.
func (sh *shooter) email(name string, m smtptest.Message) {
	sh.t.Helper()
	if m.HTML == "" {
		sh.t.Errorf("%s email (%s) has no HTML part", name, sh.lang)
		return
	}
	sh.b.open("data:text/html;charset=utf-8;base64," + base64.StdEncoding.EncodeToString([]byte(m.HTML)))
	sh.shot("email-" + name)
}

// TestScreenshots renders every hosted page and email in every language
// at desktop and phone widths into the folder IDP_SCREENSHOTS names:
//
//	IDP_SCREENSHOTS=screenshots go test ./cmd/idp -run TestScreenshots
//
// A relative folder is taken from the repository root.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("IDP_SCREENSHOTS")
	if dir == "" {
		t.Skip("set IDP_SCREENSHOTS=DIR to write screenshots of every page")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir)
	}
	ch := newChrome(t)
	for _, lang := range []string{"en", "nl", "fr", "de", "es"} {
		t.Run(lang, func(t *testing.T) {
			// A server of its own per language, so that each walk starts
			// at the same time on the server's clock.
			smtp := smtptest.Start(t)
			s := startServer(t, sqliteURL(t), onLocalhost, func(c *config) {
				c.SMTPURL = smtp.URL("Hotel ID <no-reply@hotel.test>")
				c.mailPoll = 50 * time.Millisecond
			})
			t.Cleanup(s.app.startSender(context.Background()))
			rp, c := browserRelyingParty(t, s)
			screenshotLanguage(t, s, smtp, rp, c, ch, dir, lang)
		})
	}
}

// screenshotLanguage walks every journey in one language.
func screenshotLanguage(t *testing.T, s *testServer, smtp *smtptest.Server, rp *relyingParty, c *catcher, ch *chrome, dir, lang string) {
	newTab := func() *shooter {
		b := ch.tab()
		b.t = t
		b.setLanguage(lang)
		return &shooter{t: t, b: b, dir: dir, lang: lang}
	}
	sh := newTab()
	b := sh.b
	totpUser, emailUser := "totp-"+lang+"@example.com", "email-"+lang+"@example.com"

	// Anonymous pages.
	b.open(s.url + "/terms")
	sh.shot("terms")
	b.open(s.url + "/invite?token=not-a-token")
	sh.shot("error")
	r := rp.start()
	b.open(r.url)
	sh.shot("signin")
	b.fill("#email", "nobody@example.com")
	b.fill("#password", "wrong password")
	b.click("form button[type=submit]")
	sh.shot("signin-error")
	b.open(s.url + "/login/forgot")
	sh.shot("forgot")

	// A new user with an authenticator app.
	b.open(inviteIn(t, s, totpUser, lang))
	sh.shot("invite")
	b.fill("#password", testPassword)
	b.fill("#password_confirm", testPassword)
	b.do("accept the Terms", clickBox("#accept_terms"))
	b.click("form button[type=submit]")
	sh.shot("invite-done")
	signInIn(t, b, r, totpUser)
	sh.shot("method")
	b.do("choose the app", clickBox("#method-totp"))
	b.click("form button[type=submit]")
	sh.shot("totp-activate")
	key := keyOnPage(t, b)
	s.clock.Advance(31 * time.Second)
	b.fill("#code", totpCode(t, key, s.clock.Now()))
	b.fill("#password", testPassword)
	b.click("form button[type=submit]")
	sh.shot("recovery-codes")
	b.click("form button[type=submit]")
	rp.arrived(t, b, c, r)
	b.open(s.url + "/")
	sh.shot("home")
	b.open(s.url + "/account")
	sh.shot("account")
	sh.email("notification", smtp.Wait(t, totpUser, "notification"))

	// The admin console, for a user who may do everything.
	for _, p := range []store.Permission{store.PermManageUsers, store.PermReset2FA, store.PermManageClients, store.PermViewAudit} {
		s.grant(t, totpUser, p, "*")
	}
	for _, page := range []struct{ name, path string }{
		{"admin-users", "/admin/users"},
		{"admin-user", "/admin/users/" + userID(t, s, totpUser)},
		{"admin-invite", "/admin/users/invite"},
		{"admin-exemptions", "/admin/exemptions"},
		{"admin-clients", "/admin/clients"},
		{"admin-client", "/admin/clients/" + rp.config.ClientID},
		{"admin-audit", "/admin/audit"},
	} {
		b.open(s.url + page.path)
		sh.shot(page.name)
	}

	// A relying party on another site sends the browser to /lock, which
	// shows a confirmation form instead of locking at once.
	b.open(linkPage(s.url + "/lock?" + url.Values{"client_id": {rp.config.ClientID}}.Encode()))
	b.click("a")
	sh.shot("lock")

	// Quick lock.
	b.open(s.url + "/account")
	b.click(`form[action="/lock"] button`)
	sh.shot("unlock")
	b.fill("#password", testPassword)
	b.click("form button[type=submit]")

	// Changes after 15 minutes ask for the password and a code again.
	s.clock.Advance(16 * time.Minute)
	b.open(s.url + "/account")
	b.click(`form[action="/account/recovery-codes"] button`)
	sh.shot("account-verify")
	b.open(s.url + "/admin/users/" + userID(t, s, totpUser))
	b.click(`form[action$="/locale"] button`)
	sh.shot("admin-confirm")

	// Sign-in with the app and a recovery code, on another computer.
	sh = newTab()
	b = sh.b
	r = rp.start()
	signInIn(t, b, r, totpUser)
	sh.shot("verify")
	b.fill("#code", "000000")
	b.click("form button[type=submit]")
	sh.shot("verify-error")
	b.click(`main a[href*="recovery"]`)
	sh.shot("verify-recovery")

	// Forgot password for a user with an app: the code, then the password.
	sh = newTab()
	b = sh.b
	b.open(s.url + "/login/forgot")
	b.fill("#email", totpUser)
	b.click("form button[type=submit]")
	sh.shot("forgot-sent")
	reset := smtp.Wait(t, totpUser, "password-reset")
	sh.email("password-reset", reset)
	b.open(reset.Link(t))
	sh.shot("reset-factor")
	s.clock.Advance(31 * time.Second)
	b.fill("#code", totpCode(t, key, s.clock.Now()))
	b.click("form button[type=submit]")
	sh.shot("reset")
	b.fill("#password", testPassword+" 2")
	b.fill("#password_confirm", testPassword+" 2")
	b.click("form button[type=submit]")
	sh.shot("reset-done")

	// A user with email as the second factor, and the invitation email.
	b.open(s.url + "/login/forgot")
	inviteIn(t, s, emailUser, lang)
	b.fill("#email", emailUser)
	b.click("form button[type=submit]")
	invitation := smtp.Wait(t, emailUser, "invitation")
	sh.email("invitation", invitation)
	acceptInvitationIn(t, newTab().b, invitation.Link(t))
	r = rp.start()
	signInIn(t, b, r, emailUser)
	b.click("form button[type=submit]")
	sh.shot("email-check")
	m := smtp.Wait(t, emailUser, "email-2fa")
	sh.email("email-2fa", m)
	other := newTab()
	other.b.open(m.Link(t))
	other.shot("email-link-elsewhere")

	// A security key as the second factor.
	keyUser := "key-" + lang + "@example.com"
	acceptInvitationIn(t, newTab().b, inviteIn(t, s, keyUser, lang))
	sh = newTab()
	b = sh.b
	signInIn(t, b, rp.start(), keyUser)
	b.do("choose a security key", clickBox("#method-webauthn"))
	b.click("form button[type=submit]")
	sh.shot("webauthn-register")

	// Signing out.
	b.open(s.url + "/logout")
	sh.shot("logout")
	if b.has(`form[action="/logout"] button`) {
		b.click(`form[action="/logout"] button`)
		sh.shot("logged-out")
	}

	// A user without a method, whose invitation is more than an hour
	// old, proves their mailbox before adding an app. Last, because it
	// moves the clock.
	proofUser := "proof-" + lang + "@example.com"
	acceptInvitationIn(t, newTab().b, inviteIn(t, s, proofUser, lang))
	s.clock.Advance(61 * time.Minute)
	sh = newTab()
	b = sh.b
	signInIn(t, b, rp.start(), proofUser)
	b.do("choose the app", clickBox("#method-totp"))
	b.click("form button[type=submit]")
	sh.shot("mailbox-proof")
	b.fill("#code", "000000")
	b.click("form button[type=submit]")
	sh.shot("mailbox-proof-error")
	sh.email("email-code", smtp.Wait(t, proofUser, store.EmailTwoFactor))
}

// linkPage returns a data: URL of a page on no site with one link to
// target, so that following it is a navigation from another site.
func linkPage(target string) string {
	page := `<!doctype html><a href="` + html.EscapeString(target) + `">link</a>`
	return "data:text/html;charset=utf-8;base64," + base64.StdEncoding.EncodeToString([]byte(page))
}

// inviteIn invites email with lang as the saved language and returns
// the invitation link.
func inviteIn(t *testing.T, s *testServer, email, lang string) string {
	t.Helper()
	_, link, err := login.InviteUser(context.Background(), s.app.store, s.url,
		login.Invite{Email: email, Name: "Test User", Locale: lang}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return link
}
