package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// TestAdminExemptionLapse exempts a user until a date: they sign in with
// the password alone until then; when the date passes the entry lapses,
// their sessions and tokens end, and the next sign-in asks for 2FA again.
func TestAdminExemptionLapse(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "lead@a.example", "hotel-a")
	s.grant(t, admin.email, store.PermReset2FA, "hotel-a")
	temp := enrolStaff(t, s, rp, "temp@a.example", "hotel-a")
	tempID := s.user(t, temp.email).ID

	day := s.clock.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	p := action(t, admin.b, adminPage(t, s, admin.b, "/admin/users/"+tempID), "/exempt",
		map[string]string{"reason": "Phone being repaired", "until": day})
	if p.Status != http.StatusOK {
		t.Fatalf("exempt until %s: %d\n%s", day, p.Status, p.Body)
	}
	list := adminPage(t, s, admin.b, "/admin/exemptions")
	if ids := rowIDs(list, "exemptions"); !slices.Contains(ids, tempID) || !strings.Contains(list.Body, "Phone being repaired") {
		t.Fatalf("exception list rows %v lack the entry", ids)
	}

	r := rp.start()
	tk := rp.exchange(t, signInWithPassword(t, newBrowser(t, s.url), r, temp.email, testPassword), r)
	wantAMR(t, tk.claims(t).AMR, "pwd")

	s.clock.Advance(72 * time.Hour)
	if err := s.app.adminService().LapseExemptions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !refreshFails(rp, tk) {
		t.Error("password-only tokens survived the lapse")
	}
	s.wantAudit(t, temp.email, "exemption.lapsed")
	next := signInWithPassword(t, newBrowser(t, s.url), rp.start(), temp.email, testPassword)
	if next.Location != nil || !next.has("code") {
		t.Fatalf("after the lapse: at %s, want the 2FA code page", next.URL)
	}
	// The admin's session expired meanwhile; they sign in at the provider.
	again := admin.b.submit(admin.b.get(s.url+"/login"), map[string]string{"email": admin.email, "password": testPassword})
	admin.b.submit(again, map[string]string{"code": totpCode(t, admin.key, s.clock.Now())})
	if p := adminPage(t, s, admin.b, "/admin/exemptions"); slices.Contains(rowIDs(p, "exemptions"), tempID) {
		t.Error("the lapsed entry is still listed")
	}

	// Dates in the past and missing reasons are refused.
	userPage := adminPage(t, s, admin.b, "/admin/users/"+tempID)
	for _, f := range []map[string]string{
		{"reason": "x", "until": "2001-01-01"},
		{"reason": " ", "until": ""},
		{"reason": "x", "until": "soon"},
	} {
		if p := action(t, admin.b, userPage, "/exempt", f); p.Status != http.StatusBadRequest || p.alert() == "" {
			t.Errorf("exempt %v: %d, want 400 with a message", f, p.Status)
		}
	}
}

// TestAdminFirstEnrolmentCode resets a user's 2FA. With no method left,
// the user must enter a code emailed to them before enrolling an
// authenticator app, so the password alone enrols nothing.
func TestAdminFirstEnrolmentCode(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrolStaff(t, s, rp, "reset.me@a.example", "")
	if err := s.app.adminService().Reset2FA(context.Background(), operator(), s.user(t, u.email).ID); err != nil {
		t.Fatal(err)
	}
	smtp.Wait(t, u.email, "notification")

	b := newBrowser(t, s.url)
	r := rp.start()
	p := signInWithPassword(t, b, r, u.email, testPassword)
	if p.has("method") {
		p = b.submit(p, map[string]string{"method": "totp"})
	}
	wantPath(t, p, "/login/2fa/confirm-email")
	// The activation page cannot be reached around the proof.
	if direct := b.get(s.url + "/login/2fa/totp?id=" + authRequestID(t, p)); direct.URL.Path != "/login/2fa/confirm-email" {
		t.Fatalf("activation page without the proof: at %s", direct.URL.Path)
	}
	if wrong := b.submit(p, map[string]string{"code": "000000"}); wrong.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: %d, want 400", wrong.Status)
	}
	m := smtp.Wait(t, u.email, "email-2fa")
	p = b.submit(p, map[string]string{"code": m.Code(t)})
	if p.has("method") {
		p = b.submit(p, map[string]string{"method": "totp"})
	}
	key, p := activateTOTP(t, s, b, p, testPassword)
	if key == nil || p.byID("recovery-codes") == nil {
		t.Fatalf("no activation after the proof:\n%s", p.Body)
	}
	tk := rp.exchange(t, b.submit(p, map[string]string{}), r)
	wantAMR(t, tk.claims(t).AMR, "pwd", "otp", "mfa")
	s.wantAudit(t, u.email, "mailbox_proof.verified")
}

// TestAdminInviteAndColumn invites through the console and checks the
// Authentication column of each state the list can show.
func TestAdminInviteAndColumn(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "hr@a.example", "hotel-a")
	s.grant(t, admin.email, store.PermManageUsers, "hotel-a")
	s.grant(t, admin.email, store.PermReset2FA, "hotel-a")

	form := adminPage(t, s, admin.b, "/admin/users/invite")
	p := admin.b.submit(form, map[string]string{"email": "Invitee@A.example", "name": "In Vitee", "locale": "es", "property": "hotel-a"})
	if p.Status != http.StatusOK || p.byID("invited") == nil {
		t.Fatalf("invite: %d\n%s", p.Status, p.Body)
	}
	wantOutbox(t, s, "Invitee@A.example", store.EmailInvitation)
	wantActorAudit(t, s, "invitee@a.example", "admin.user_invited", admin.email)
	dup := admin.b.submit(form, map[string]string{"email": "invitee@a.example", "name": "Again", "property": "hotel-a"})
	if dup.Status != http.StatusBadRequest || !strings.Contains(dup.alert(), "already exists") {
		t.Errorf("existing address: %d %q, want 400 with a clear message", dup.Status, dup.alert())
	}
	if other := admin.b.submit(form, map[string]string{"email": "x@b.example", "name": "X", "property": "hotel-b"}); other.Status != http.StatusBadRequest {
		t.Errorf("invite into another hotel: %d, want 400", other.Status)
	}

	inviteeID := s.user(t, "invitee@a.example").ID
	resent := action(t, admin.b, adminPage(t, s, admin.b, "/admin/users/"+inviteeID), "/resend-invitation", nil)
	if resent.Status != http.StatusOK {
		t.Fatalf("resend invitation: %d\n%s", resent.Status, resent.Body)
	}
	wantActorAudit(t, s, "invitee@a.example", "admin.invitation_resent", admin.email)

	none := enrolStaff(t, s, rp, "none@a.example", "hotel-a")
	exempt := enrolStaff(t, s, rp, "exempt@a.example", "hotel-a")
	off := enrolStaff(t, s, rp, "off@a.example", "hotel-a")
	ctx, svc := context.Background(), s.app.adminService()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.Reset2FA(ctx, operator(), s.user(t, none.email).ID))
	must(svc.Exempt(ctx, operator(), s.user(t, exempt.email).ID, "r", s.clock.Now().Add(48*time.Hour)))
	must(svc.SetDisabled(ctx, operator(), s.user(t, off.email).ID, true))

	list := adminPage(t, s, admin.b, "/admin/users")
	want := map[string]string{
		"invitee@a.example": "invited", none.email: "none", exempt.email: "exempt", admin.email: "totp", off.email: "totp",
	}
	for email, auth := range want {
		if got := authOf(list, s.user(t, email).ID); got != auth {
			t.Errorf("%s: authentication %q, want %q", email, got, auth)
		}
	}
	if !strings.Contains(list.Body, englishDate(t, s.clock.Now().Add(48*time.Hour).UTC())) {
		t.Error("the exemption's end date is not shown")
	}
	filtered := adminPage(t, s, admin.b, "/admin/users?filter=no_2fa")
	if ids := rowIDs(filtered, "users"); len(ids) != 1 || ids[0] != s.user(t, none.email).ID {
		t.Errorf("filter no_2fa: %v, want only the reset user", ids)
	}
	searched := adminPage(t, s, admin.b, "/admin/users?q=EXEMPT")
	if ids := rowIDs(searched, "users"); len(ids) != 1 {
		t.Errorf("search: %v, want one row", ids)
	}
	if bad := adminPage(t, s, admin.b, "/admin/users?filter=%3Cscript%3E"); bad.Status != http.StatusBadRequest {
		t.Errorf("unknown filter: %d, want 400", bad.Status)
	}
}
