package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/store"
)

// TestAdminContainment adds the global admin to a property: that
// property's admin still cannot exempt them, reset their 2FA or touch
// them otherwise, and gets the same "not found" as for a user of another
// property. Ordinary staff of the property stay within reach.
func TestAdminContainment(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	lead := enrolStaff(t, s, rp, "lead@a.example", "hotel-a")
	s.grant(t, lead.email, store.PermReset2FA, "hotel-a")
	s.grant(t, lead.email, store.PermManageUsers, "hotel-a")
	global := enrolStaff(t, s, rp, "root@hq.example", "")
	s.grant(t, global.email, store.PermReset2FA, store.AllProperties)
	s.grant(t, global.email, store.PermManageUsers, store.AllProperties)
	s.member(t, global.email, "hotel-a")
	clerk := enrolStaff(t, s, rp, "clerk@a.example", "hotel-a")
	globalID, clerkID := s.user(t, global.email).ID, s.user(t, clerk.email).ID

	// The console responds to the exemption of the global admin with 404.
	clerkPage := adminPage(t, s, lead.b, "/admin/users/"+clerkID)
	var form *htmlNode
	walk(clerkPage.Doc, func(n *htmlNode) bool {
		if isElement(n, "form") && strings.HasSuffix(attr(n, "action"), "/exempt") {
			form = n
		}
		return form == nil
	})
	if form == nil {
		t.Fatalf("no exempt form on the clerk's page:\n%s", clerkPage.Body)
	}
	values := formValues(form)
	values.Set("reason", "Lost phone")
	target, err := clerkPage.URL.Parse(strings.Replace(attr(form, "action"), clerkID, globalID, 1))
	if err != nil {
		t.Fatal(err)
	}
	if p := lead.b.post(target.String(), values); p.Status != http.StatusNotFound {
		t.Errorf("console exempt of the global admin: %d, want 404", p.Status)
	}

	// The API responds to a client of the property with 404 too.
	out, code := runCLI(t, s, "client", "create", "--name", "Hotel A back end", "--type", "web", "--redirect-uri", "http://127.0.0.1:9/cb", "--json")
	var c map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("client create: %d %s", code, out)
	}
	if _, code := runCLI(t, s, "client", "grant", "--client-id", c["client_id"], "--grant", "reset_2fa@hotel-a"); code != 0 {
		t.Fatalf("client grant: exit %d", code)
	}
	token := bearer(t, s, c["client_id"], c["client_secret"], "")
	body := map[string]any{"reason": "Lost phone"}
	if resp := apiCall(t, s, token, http.MethodPut, "/users/"+globalID+"/exemption", body, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("API exempt of the global admin: %d, want 404", resp.StatusCode)
	}
	if resp := apiCall(t, s, token, http.MethodPut, "/users/"+clerkID+"/exemption", body, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("API exempt of the clerk: %d, want 204", resp.StatusCode)
	}

	ctx := context.Background()
	grants, err := s.app.store.Grants(ctx, s.user(t, lead.email).ID)
	if err != nil {
		t.Fatal(err)
	}
	svc := s.app.adminService()
	a := admin.UserActor(s.user(t, lead.email).ID, "", grants)
	for name, act := range map[string]func() error{
		"exempt":       func() error { return svc.Exempt(ctx, a, globalID, "Lost phone", time.Time{}) },
		"reset 2FA":    func() error { return svc.Reset2FA(ctx, a, globalID) },
		"disable":      func() error { return svc.SetDisabled(ctx, a, globalID, true) },
		"end sessions": func() error { return svc.EndSessions(ctx, a, globalID) },
		"language":     func() error { return svc.SetLocale(ctx, a, globalID, "nl") },
	} {
		if err := act(); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("%s of the global admin: %v, want not found", name, err)
		}
	}
	events, err := s.app.store.AuditEvents(ctx, store.AuditFilter{UserID: globalID})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.ActorID == s.user(t, lead.email).ID {
			t.Errorf("audit event %s by the property admin", e.Event)
		}
	}
	if _, err := s.app.store.Exemption(ctx, globalID, s.clock.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the global admin is on the exception list: %v", err)
	}

	if err := svc.Exempt(ctx, a, clerkID, "Lost phone", time.Time{}); err != nil {
		t.Errorf("exempt the clerk: %v", err)
	}
	if err := svc.Reset2FA(ctx, a, clerkID); err != nil {
		t.Errorf("reset the clerk's 2FA: %v", err)
	}
	if err := svc.Exempt(ctx, admin.OperatorActor(), globalID, "Operator says so", time.Time{}); err != nil {
		t.Errorf("operator exempts the global admin: %v", err)
	}
}
