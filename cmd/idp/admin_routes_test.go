package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// TestAdminRoutesDenied sends every console route about a user of
// hotel-a, and every client and audit route, as an admin of hotel-b only
// and as a user without grants. Each answers 404 and changes nothing.
func TestAdminRoutesDenied(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	target := enrolStaff(t, s, rp, "target@a.example", "hotel-a")
	targetID := s.user(t, target.email).ID
	outsider := enrolStaff(t, s, rp, "outsider@b.example", "hotel-b")
	s.grant(t, outsider.email, store.PermManageUsers, "hotel-b")
	s.grant(t, outsider.email, store.PermReset2FA, "hotel-b")
	nobody := enrolStaff(t, s, rp, "nobody@a.example", "hotel-a")
	c, _, err := s.app.adminService().CreateClient(context.Background(), operator(), clientSpec("Kept"), nil)
	if err != nil {
		t.Fatal(err)
	}

	user := "/admin/users/" + targetID
	gets := []string{user, "/admin/clients", "/admin/clients/new", "/admin/clients/" + c.ID, "/admin/audit"}
	posts := []string{
		user + "/reset-2fa", user + "/exempt", user + "/unexempt", user + "/disable", user + "/enable",
		user + "/end-sessions", user + "/locale", user + "/resend-invitation", user + "/nonsense",
		"/admin/clients/new", "/admin/clients/" + c.ID, "/admin/clients/" + c.ID + "/rotate", "/admin/clients/" + c.ID + "/delete",
	}
	for _, who := range []staff{outsider, nobody} {
		token := csrfOf(t, who.b.get(s.url+"/login"))
		for _, path := range gets {
			if p := who.b.get(s.url + path); p.Status != http.StatusNotFound {
				t.Errorf("%s GET %s: %d, want 404", who.email, path, p.Status)
			}
		}
		for _, path := range posts {
			form := url.Values{"csrf_token": {token}, "reason": {"r"}, "locale": {"de"}, "name": {"Stolen"},
				"type": {"web"}, "redirect_uris": {"http://127.0.0.1:9/x"}}
			if p := who.b.post(s.url+path, form); p.Status != http.StatusNotFound {
				t.Errorf("%s POST %s: %d, want 404", who.email, path, p.Status)
			}
		}
	}
	if p := nobody.b.get(s.url + "/admin/users"); p.Status != http.StatusNotFound {
		t.Errorf("user list without grants: %d, want 404", p.Status)
	}
	list := outsider.b.get(s.url + "/admin/users")
	if ids := rowIDs(list, "users"); len(ids) != 1 || ids[0] != s.user(t, outsider.email).ID {
		t.Errorf("hotel-b admin sees %v, want only themself", ids)
	}

	u := s.user(t, target.email)
	if u.Status != store.UserActive || u.Locale != "en" || len(s.methods(t, target.email)) == 0 || len(mustSessions(t, s, targetID)) == 0 {
		t.Errorf("a denied request changed the target: %+v", u)
	}
	clients, err := s.app.store.ListClients(context.Background())
	if err != nil || len(clients) != 2 {
		t.Errorf("clients after denied requests: %d %v, want the two registered", len(clients), err)
	}
}
