package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// TestUserRevokeCLI revokes a manager's only grant, after which the
// console responds to them with 404.
func TestUserRevokeCLI(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	manager := enrolStaff(t, s, rp, "manager@a.example", "hotel-a")
	s.grant(t, manager.email, store.PermManageUsers, "hotel-a")
	if p := adminPage(t, s, manager.b, "/admin/users"); p.Status != http.StatusOK {
		t.Fatalf("users page before the revoke: %d", p.Status)
	}

	if _, code := runCLI(t, s, "user", "revoke", "--email", manager.email, "--permission", "manage_users"); code == 0 {
		t.Error("revoke without --property matched the hotel-a grant")
	}
	out, code := runCLI(t, s, "user", "revoke", "--email", manager.email, "--permission", "manage_users", "--property", "hotel-a", "--json")
	if code != 0 {
		t.Fatalf("user revoke: %d %s", code, out)
	}
	var res map[string]string
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["user_id"] != s.user(t, manager.email).ID {
		t.Fatalf("user revoke --json = %q (%v)", out, err)
	}
	if p := adminPage(t, s, manager.b, "/admin/users"); p.Status != http.StatusNotFound {
		t.Errorf("users page after the revoke: %d, want 404", p.Status)
	}
	s.wantAudit(t, manager.email, "admin.grant_revoked")

	for _, args := range [][]string{
		{"user", "revoke", "--email", manager.email, "--permission", "manage_users", "--property", "hotel-a"},
		{"user", "revoke", "--email", manager.email, "--permission", "everything"},
		{"user", "revoke", "--email", "nobody@a.example", "--permission", "view_audit"},
		{"user", "revoke", "--email", manager.email},
	} {
		if _, code := runCLI(t, s, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}

// TestPropertyRemoveUserCLI removes a member from a property: the
// property's manager can no longer access them.
func TestPropertyRemoveUserCLI(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	manager := enrolStaff(t, s, rp, "manager@a.example", "hotel-a")
	s.grant(t, manager.email, store.PermManageUsers, "hotel-a")
	anna := enrolStaff(t, s, rp, "anna@a.example", "hotel-a")
	annaID := s.user(t, anna.email).ID
	if ids := rowIDs(adminPage(t, s, manager.b, "/admin/users"), "users"); !slices.Contains(ids, annaID) {
		t.Fatalf("rows %v before the removal: want anna", ids)
	}

	out, code := runCLI(t, s, "property", "remove-user", "--email", anna.email, "--property", "hotel-a", "--json")
	if code != 0 {
		t.Fatalf("property remove-user: %d %s", code, out)
	}
	if ids := rowIDs(adminPage(t, s, manager.b, "/admin/users"), "users"); slices.Contains(ids, annaID) {
		t.Errorf("rows %v after the removal: want no anna", ids)
	}
	if p := adminPage(t, s, manager.b, "/admin/users/"+annaID); p.Status != http.StatusNotFound {
		t.Errorf("anna's page after the removal: %d, want 404", p.Status)
	}
	s.wantAudit(t, anna.email, "admin.member_removed")

	for _, args := range [][]string{
		{"property", "remove-user", "--email", anna.email, "--property", "hotel-a"},
		{"property", "remove-user", "--email", anna.email, "--property", "nope"},
		{"property", "remove-user", "--email", anna.email},
	} {
		if _, code := runCLI(t, s, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}
