package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/store"
)

// addAuthenticator gives the tab a virtual platform authenticator that
// keeps passkeys and verifies the user, as a phone or laptop with a PIN
// or fingerprint does.
func (b *tab) addAuthenticator() {
	b.t.Helper()
	b.do("add a virtual authenticator", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		return err
	}))
}

func TestBrowserSecurityKey(t *testing.T) {
	s := startServer(t, sqliteURL(t), onLocalhost)
	rp, c := browserRelyingParty(t, s)
	b := newChrome(t).tab()
	b.addAuthenticator()
	const email = "kim@example.com"
	acceptInvitationIn(t, b, s.invite(t, email))

	// Registration as the second factor.
	r := rp.start()
	signInIn(t, b, r, email)
	b.do("choose a security key", clickBox("#method-webauthn"))
	b.click("form button[type=submit]")
	b.see("Add a security key or passkey")
	b.axe()
	b.fill("#key-name", "Laptop")
	b.click("[data-webauthn-start]")
	if tk := rp.arrived(t, b, c, r).claims(t); tk.ACR != "phr" {
		t.Errorf("after registration: acr %q, want phr", tk.ACR)
	}

	// Password and key.
	s.clock.Advance(time.Minute)
	r = rp.start(oauth2.SetAuthURLParam("prompt", "login"))
	signInIn(t, b, r, email)
	b.see("Confirm with your security key")
	b.axe()
	b.click("[data-webauthn-start]")
	wantAMR(t, rp.arrived(t, b, c, r).claims(t).AMR, "pwd", "hwk", "user", "pin", "mfa")

	// A passkey alone.
	s.clock.Advance(time.Minute)
	r = rp.start(oauth2.SetAuthURLParam("prompt", "login"))
	b.open(r.url)
	b.see("Sign in")
	b.do("wait for the passkey button", chromedp.WaitVisible(chromedp.CSS(".passkey [data-webauthn-start]")))
	b.axe()
	b.click(".passkey [data-webauthn-start]")
	wantAMR(t, rp.arrived(t, b, c, r).claims(t).AMR, "hwk", "user", "pin", "mfa")
}

func TestBrowserAdminConsole(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp, c := browserRelyingParty(t, s)
	ch := newChrome(t)
	b := ch.tab()
	const lead = "lead@example.com"
	enrolInBrowser(t, s, rp, c, b, lead)
	for _, p := range []store.Permission{store.PermManageUsers, store.PermReset2FA, store.PermManageClients, store.PermViewAudit} {
		s.grant(t, lead, p, "*")
	}

	// Invite a user from the console.
	b.open(s.url + "/admin")
	b.see("Users")
	b.axe()
	b.click(`a[href="/admin/users/invite"]`)
	b.see("Invite a user")
	b.axe()
	b.fill("#email", "new.hire@example.com")
	b.fill("#name", "New Hire")
	b.click("form button[type=submit]")
	b.seeText("new.hire@example.com has been invited.")

	// Find them, open their page and disable the account.
	b.open(s.url + "/admin/users")
	b.fill("#q", "hire")
	b.click("form.filters button")
	if got := b.text("#users tbody"); !strings.Contains(got, "New Hire") || strings.Contains(got, lead) {
		t.Fatalf("search for hire lists:\n%s", got)
	}
	b.click("#users tbody a")
	b.see("User")
	b.axe()
	if got := b.text("#user-status"); got != "Invited" {
		t.Errorf("status %q, want Invited", got)
	}
	b.click(`form[action$="/disable"] button`)
	b.seeText("Done.")
	if got := b.text("#user-status"); got != "Disabled" {
		t.Errorf("after disabling: status %q, want Disabled", got)
	}

	// The other sections open.
	for _, page := range []struct{ path, heading string }{
		{"/admin/exemptions", ""}, {"/admin/clients", ""}, {"/admin/audit", ""},
	} {
		b.open(s.url + page.path)
		if b.path() != page.path || b.text("h1") == "" {
			t.Errorf("%s: at %s, heading %q", page.path, b.path(), b.text("h1"))
		}
		b.axe()
	}
	s.wantAudit(t, "new.hire@example.com", admin.EventUserDisabled)
}
