package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// refreshFails reports whether the refresh token of tk no longer works.
func refreshFails(rp *relyingParty, tk tokens) bool {
	old := *tk.oauth
	old.Expiry = time.Now().Add(-time.Minute)
	_, err := rp.config.TokenSource(context.Background(), &old).Token()
	return err != nil
}

// wantActorAudit checks that the latest event of the user was recorded
// with the admin as actor.
func wantActorAudit(t *testing.T, s *testServer, email, event, actorEmail string) {
	t.Helper()
	e := s.wantAudit(t, email, event)
	if actorEmail != "" && e.ActorID != s.user(t, actorEmail).ID {
		t.Fatalf("%s: actor %q, want %s", event, e.ActorID, actorEmail)
	}
}

// TestAdminHotelManager is the manager of one hotel with reset_2fa: they
// see their staff with the authentication status, exempt one, reset
// another's 2FA, and cannot see the other hotel's staff.
func TestAdminHotelManager(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		s.hotels(t)
		rp := s.relyingParty(t)
		manager := enrolStaff(t, s, rp, "manager@a.example", "hotel-a")
		s.grant(t, manager.email, store.PermReset2FA, "hotel-a")
		anna := enrolStaff(t, s, rp, "anna@a.example", "hotel-a")
		bob := enrolStaff(t, s, rp, "bob@a.example", "hotel-a")
		olga := enrolStaff(t, s, rp, "olga@b.example", "hotel-b")
		annaID, bobID, olgaID := s.user(t, anna.email).ID, s.user(t, bob.email).ID, s.user(t, olga.email).ID

		list := adminPage(t, s, manager.b, "/admin/users")
		if list.Status != http.StatusOK {
			t.Fatalf("users page: %d\n%s", list.Status, list.Body)
		}
		ids := rowIDs(list, "users")
		if !slices.Contains(ids, annaID) || !slices.Contains(ids, bobID) || slices.Contains(ids, olgaID) {
			t.Fatalf("rows %v: want anna and bob, not olga", ids)
		}
		if got := authOf(list, annaID); got != "totp" {
			t.Errorf("anna's authentication = %q, want totp", got)
		}

		// The other hotel's staff do not exist for this manager.
		if p := adminPage(t, s, manager.b, "/admin/users/"+olgaID); p.Status != http.StatusNotFound {
			t.Errorf("other hotel's user page: %d, want 404", p.Status)
		}
		annaPage := adminPage(t, s, manager.b, "/admin/users/"+annaID)
		csrf := csrfOf(t, annaPage)
		if p := manager.b.post(s.url+"/admin/users/"+olgaID+"/reset-2fa", url.Values{"csrf_token": {csrf}}); p.Status != http.StatusNotFound {
			t.Errorf("reset 2FA of the other hotel's user: %d, want 404", p.Status)
		}
		if len(s.methods(t, olga.email)) == 0 {
			t.Fatal("the other hotel's user lost their 2FA")
		}
		for _, path := range []string{"/admin/clients", "/admin/audit", "/admin/users/invite"} {
			if p := adminPage(t, s, manager.b, path); p.Status != http.StatusNotFound {
				t.Errorf("%s without its permission: %d, want 404", path, p.Status)
			}
		}

		// Exempt anna: she signs in with the password alone.
		p := action(t, manager.b, annaPage, "/exempt", map[string]string{"reason": "No phone at the front desk"})
		if p.Status != http.StatusOK || !strings.Contains(p.URL.RawQuery, "done") {
			t.Fatalf("exempt: %d at %s\n%s", p.Status, p.URL, p.Body)
		}
		wantActorAudit(t, s, anna.email, "admin.exemption_added", manager.email)
		if got := authOf(adminPage(t, s, manager.b, "/admin/users"), annaID); got != "exempt" {
			t.Errorf("anna's authentication after exemption = %q, want exempt", got)
		}
		r := rp.start()
		tk := rp.exchange(t, signInWithPassword(t, newBrowser(t, s.url), r, anna.email, testPassword), r)
		c := tk.claims(t)
		wantAMR(t, c.AMR, "pwd")
		if c.ACR != "1fa" {
			t.Errorf("acr = %q, want 1fa", c.ACR)
		}

		// Reset bob: methods and sessions gone, email sent, audited.
		bobPage := adminPage(t, s, manager.b, "/admin/users/"+bobID)
		if p := action(t, manager.b, bobPage, "/reset-2fa", nil); p.Status != http.StatusOK {
			t.Fatalf("reset 2FA: %d\n%s", p.Status, p.Body)
		}
		if m := s.methods(t, bob.email); len(m) != 0 {
			t.Errorf("bob's methods after reset: %v", m)
		}
		if !refreshFails(rp, bob.first) {
			t.Error("bob's refresh token survived the reset")
		}
		wantActorAudit(t, s, bob.email, "admin.2fa_reset", manager.email)
		wantOutbox(t, s, bob.email, store.EmailNotification)
		r = rp.start()
		next := signInWithPassword(t, newBrowser(t, s.url), r, bob.email, testPassword)
		if next.Location != nil || !next.has("method") {
			t.Fatalf("after the reset bob is at %s, want the choice of a new method", next.URL)
		}

		// Removing the exemption ends anna's password-only sessions.
		annaPage = adminPage(t, s, manager.b, "/admin/users/"+annaID)
		if p := action(t, manager.b, annaPage, "/unexempt", nil); p.Status != http.StatusOK {
			t.Fatalf("unexempt: %d\n%s", p.Status, p.Body)
		}
		if !refreshFails(rp, tk) {
			t.Error("anna's password-only tokens survived the removal")
		}
		wantActorAudit(t, s, anna.email, "admin.exemption_removed", manager.email)
	})
}

// wantOutbox checks that an email of kind to the address is queued or
// sent.
func wantOutbox(t *testing.T, s *testServer, to, kind string) {
	t.Helper()
	emails, err := s.app.store.OutboxEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		if e.Recipient == to && e.Kind == kind {
			return
		}
	}
	t.Fatalf("no %s email to %s in the outbox", kind, to)
}

func TestAdminConsoleAccess(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "admin@a.example", "hotel-a")
	s.grant(t, admin.email, store.PermManageUsers, "hotel-a")
	plain := enrolStaff(t, s, rp, "plain@a.example", "hotel-a")
	target := enrolStaff(t, s, rp, "target@a.example", "hotel-a")
	targetID := s.user(t, target.email).ID

	t.Run("no session", func(t *testing.T) {
		b := newBrowser(t, s.url)
		if p := adminPage(t, s, b, "/admin/users"); p.URL.Path != "/login" {
			t.Errorf("without a session: at %s (%d), want /login", p.URL.Path, p.Status)
		}
		if p := b.post(s.url+"/admin/users/"+targetID+"/disable", url.Values{}); p.Status != http.StatusForbidden {
			t.Errorf("POST without a session or CSRF token: %d, want 403", p.Status)
		}
	})
	t.Run("no permission", func(t *testing.T) {
		for _, path := range []string{"/admin/users", "/admin/users/" + targetID, "/admin/exemptions", "/admin/clients", "/admin/audit"} {
			if p := adminPage(t, s, plain.b, path); p.Status != http.StatusNotFound {
				t.Errorf("%s by a user without grants: %d, want 404", path, p.Status)
			}
		}
	})
	t.Run("password only session", func(t *testing.T) {
		exempt := enrolStaff(t, s, rp, "exempt@a.example", "hotel-a")
		s.grant(t, exempt.email, store.PermManageUsers, "hotel-a")
		if err := s.app.adminService().Exempt(context.Background(), operator(), s.user(t, exempt.email).ID, "test", time.Time{}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, s.url)
		r := rp.start()
		rp.exchange(t, signInWithPassword(t, b, r, exempt.email, testPassword), r)
		if p := adminPage(t, s, b, "/admin/users"); p.Status != http.StatusNotFound {
			t.Errorf("console with a 1fa session: %d, want 404", p.Status)
		}
	})
	t.Run("stale sign-in", func(t *testing.T) {
		p := adminPage(t, s, admin.b, "/admin/users/"+targetID)
		s.clock.Advance(16 * time.Minute)
		confirm := action(t, admin.b, p, "/end-sessions", nil)
		if confirm.Status != http.StatusUnauthorized || !confirm.has("reauth_password") {
			t.Fatalf("stale action: %d, want the password confirmation:\n%s", confirm.Status, confirm.Body)
		}
		wrong := admin.b.submit(confirm, map[string]string{"reauth_password": "not the password"})
		if wrong.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", wrong.Status)
		}
		if len(mustSessions(t, s, targetID)) == 0 {
			t.Fatal("the action ran with a wrong password")
		}
		done := admin.b.submit(wrong, map[string]string{"reauth_password": testPassword})
		if done.Status != http.StatusOK || !strings.Contains(done.URL.RawQuery, "done") {
			t.Fatalf("right password: %d at %s\n%s", done.Status, done.URL, done.Body)
		}
		if !refreshFails(rp, target.first) {
			t.Error("end sessions did not revoke the target's tokens")
		}
		wantActorAudit(t, s, target.email, "admin.sessions_ended", admin.email)
		// The confirmation renewed the sign-in: the next action runs at once.
		p = adminPage(t, s, admin.b, "/admin/users/"+targetID)
		if next := action(t, admin.b, p, "/locale", map[string]string{"locale": "nl"}); next.Status != http.StatusOK {
			t.Fatalf("action after confirmation: %d", next.Status)
		}
		if s.user(t, target.email).Locale != "nl" {
			t.Error("locale not changed")
		}
	})
	t.Run("disabled admin", func(t *testing.T) {
		other := enrolStaff(t, s, rp, "other@a.example", "hotel-a")
		s.grant(t, other.email, store.PermManageUsers, "hotel-a")
		p := adminPage(t, s, admin.b, "/admin/users/"+s.user(t, other.email).ID)
		if done := action(t, admin.b, p, "/disable", nil); done.Status != http.StatusOK {
			t.Fatalf("disable: %d\n%s", done.Status, done.Body)
		}
		wantActorAudit(t, s, other.email, "admin.user_disabled", admin.email)
		if p := adminPage(t, s, other.b, "/admin/users"); p.URL.Path == "/admin/users" && p.Status == http.StatusOK {
			t.Error("a disabled admin still reaches the console")
		}
	})
	t.Run("own account", func(t *testing.T) {
		self := adminPage(t, s, admin.b, "/admin/users/"+s.user(t, admin.email).ID)
		if hasForm(self, "/disable") || hasForm(self, "/exempt") {
			t.Error("the own user page offers disable or exempt")
		}
		selfPath := s.url + "/admin/users/" + s.user(t, admin.email).ID
		p := admin.b.post(selfPath+"/disable", url.Values{"csrf_token": {csrfOf(t, self)}})
		if p.Status != http.StatusForbidden {
			t.Errorf("disable oneself: %d, want 403", p.Status)
		}
		s.grant(t, admin.email, store.PermReset2FA, "hotel-a")
		p = admin.b.post(selfPath+"/exempt", url.Values{"csrf_token": {csrfOf(t, self)}, "reason": {"I am the boss"}})
		if p.Status != http.StatusForbidden {
			t.Errorf("exempt oneself: %d, want 403", p.Status)
		}
		if _, err := s.app.store.Exemption(context.Background(), s.user(t, admin.email).ID, s.clock.Now()); err == nil {
			t.Error("an admin put themself on the exception list")
		}
	})
}

func mustSessions(t *testing.T, s *testServer, userID string) []store.Session {
	t.Helper()
	list, err := s.app.store.UserSessions(context.Background(), userID, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAdminCSRF posts every console form without its CSRF token and with
// another browser's token; each is refused and changes nothing.
func TestAdminCSRF(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "admin@a.example", "hotel-a")
	for _, p := range []store.Permission{store.PermManageUsers, store.PermReset2FA, store.PermManageClients} {
		s.grant(t, admin.email, p, store.AllProperties)
	}
	target := enrolStaff(t, s, rp, "target@a.example", "hotel-a")
	targetID := s.user(t, target.email).ID
	stranger := newBrowser(t, s.url)
	strangerToken := csrfOf(t, stranger.get(s.url+"/login"))

	c, _, err := s.app.adminService().CreateClient(context.Background(), operator(), clientSpec("CSRF app"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin/users/" + targetID, "/admin/users/invite", "/admin/clients/new", "/admin/clients/" + c.ID}
	forms := 0
	for _, path := range pages {
		p := adminPage(t, s, admin.b, path)
		walk(p.Doc, func(n *htmlNode) bool {
			if !isElement(n, "form") || !strings.EqualFold(attr(n, "method"), "post") {
				return true
			}
			forms++
			values := formValues(n)
			target, _ := p.URL.Parse(attr(n, "action"))
			values.Del("csrf_token")
			if got := admin.b.post(target.String(), values); got.Status != http.StatusForbidden {
				t.Errorf("%s without CSRF token: %d, want 403", target.Path, got.Status)
			}
			values.Set("csrf_token", strangerToken)
			if got := admin.b.post(target.String(), values); got.Status != http.StatusForbidden {
				t.Errorf("%s with another browser's token: %d, want 403", target.Path, got.Status)
			}
			return true
		})
	}
	if forms < 10 {
		t.Errorf("checked %d forms, want every console form", forms)
	}
	if len(s.methods(t, target.email)) == 0 || s.user(t, target.email).Status != store.UserActive {
		t.Error("a refused form changed the target")
	}
	if _, err := s.app.store.ClientByID(context.Background(), c.ID); err != nil {
		t.Errorf("a refused form deleted the client: %v", err)
	}
}
