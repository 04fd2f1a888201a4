package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// apiClient registers a confidential client with grants and returns its
// ID and secret.
func apiClient(t *testing.T, s *testServer, grants ...store.ClientGrant) (string, string) {
	t.Helper()
	c, secretValue, err := s.app.adminService().CreateClient(context.Background(), operator(), clientSpec("Back office"), grants)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, secretValue
}

func bearer(t *testing.T, s *testServer, id, secretValue, scope string) string {
	t.Helper()
	status, body := clientToken(t, s, id, secretValue, scope)
	token, _ := body["access_token"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("client credentials: %d %v", status, body)
	}
	return token
}

// TestAdminAPIInvite is a back end that invites a user of its hotel
// through the API with a client-credentials token.
func TestAdminAPIInvite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		s.hotels(t)
		id, secretValue := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: "hotel-a"})
		token := bearer(t, s, id, secretValue, "")

		var created map[string]string
		resp := apiCall(t, s, token, http.MethodPost, "/users", map[string]string{
			"email": "new.hire@a.example", "name": "New Hire", "locale": "de", "property_id": "hotel-a",
		}, &created)
		if resp.StatusCode != http.StatusCreated || created["user_id"] == "" {
			t.Fatalf("invite: %d %v", resp.StatusCode, created)
		}
		if created["invitation_url"] != "" {
			t.Error("the API returned the invitation link although the welcome email was sent")
		}
		wantOutbox(t, s, "new.hire@a.example", store.EmailInvitation)
		e := s.wantAudit(t, "new.hire@a.example", "admin.user_invited")
		if e.ClientID != id || e.Detail["via"] != "api" {
			t.Errorf("audit event %+v: want the client and via=api", e)
		}

		var page struct {
			Users []struct {
				UserID, Email, Authentication string
			} `json:"users"`
		}
		if resp := apiCall(t, s, token, http.MethodGet, "/users", nil, &page); resp.StatusCode != http.StatusOK {
			t.Fatalf("list: %d", resp.StatusCode)
		}
		if len(page.Users) != 1 || page.Users[0].Email != "new.hire@a.example" || page.Users[0].Authentication != "invited" {
			t.Errorf("list = %+v, want the invited user only", page.Users)
		}

		// The same address again is a conflict, and nothing changes.
		var problem map[string]any
		resp = apiCall(t, s, token, http.MethodPost, "/users", map[string]string{
			"email": "NEW.HIRE@a.example", "name": "Again", "property_id": "hotel-a",
		}, &problem)
		if resp.StatusCode != http.StatusConflict || resp.Header.Get("Content-Type") != "application/problem+json" || problem["status"] != float64(409) {
			t.Errorf("duplicate invite: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), problem)
		}
	})
}

func TestAdminAPIPermissions(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	ownStaff := enrolStaff(t, s, rp, "own@a.example", "hotel-a")
	otherStaff := enrolStaff(t, s, rp, "other@b.example", "hotel-b")
	ownID, otherID := s.user(t, ownStaff.email).ID, s.user(t, otherStaff.email).ID
	id, secretValue := apiClient(t, s,
		store.ClientGrant{Permission: store.PermManageUsers, PropertyID: "hotel-a"},
		store.ClientGrant{Permission: store.PermReset2FA, PropertyID: "hotel-a"})
	token := bearer(t, s, id, secretValue, "")
	usersOnly := bearer(t, s, id, secretValue, "admin:manage_users")

	cases := []struct {
		name, token, method, path string
		body                      any
		status                    int
	}{
		{"no token", "", http.MethodGet, "/users", nil, 401},
		{"garbage token", "x.y.z", http.MethodGet, "/users", nil, 401},
		{"user token", ownStaff.first.oauth.AccessToken, http.MethodGet, "/users", nil, 401},
		{"own hotel", token, http.MethodGet, "/users/" + ownID, nil, 200},
		{"other hotel", token, http.MethodGet, "/users/" + otherID, nil, 404},
		{"other hotel reset", token, http.MethodPost, "/users/" + otherID + "/reset-2fa", nil, 404},
		{"other hotel disable", token, http.MethodPost, "/users/" + otherID + "/disable", nil, 404},
		{"other hotel exempt", token, http.MethodPut, "/users/" + otherID + "/exemption", map[string]string{"reason": "x"}, 404},
		{"unknown user", token, http.MethodGet, "/users/nobody", nil, 404},
		{"scope missing", usersOnly, http.MethodPost, "/users/" + ownID + "/reset-2fa", nil, 403},
		{"clients without scope", token, http.MethodGet, "/clients", nil, 403},
		{"audit without scope", token, http.MethodGet, "/audit-events", nil, 403},
		{"unknown field", token, http.MethodPut, "/users/" + ownID + "/exemption", map[string]string{"reason": "x", "admin": "yes"}, 400},
		{"bad filter", token, http.MethodGet, "/users?filter=everyone", nil, 400},
		{"bad limit", token, http.MethodGet, "/users?limit=100000", nil, 400},
		{"unknown route", token, http.MethodGet, "/nothing", nil, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var problem map[string]any
			resp := apiCall(t, s, tc.token, tc.method, tc.path, tc.body, &problem)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %v, want %d", tc.method, tc.path, resp.StatusCode, problem, tc.status)
			}
			if tc.status >= 400 && (resp.Header.Get("Content-Type") != "application/problem+json" || problem["status"] != float64(tc.status)) {
				t.Errorf("not a problem document: %s %v", resp.Header.Get("Content-Type"), problem)
			}
		})
	}
	if len(s.methods(t, otherStaff.email)) == 0 || s.user(t, otherStaff.email).Status != store.UserActive {
		t.Error("a refused call changed the other hotel's user")
	}

	// A scope the client was not granted is refused at the token endpoint.
	if status, body := clientToken(t, s, id, secretValue, "admin:manage_clients"); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Errorf("ungranted scope: %d %v", status, body)
	}
	// A wrong secret gets no token.
	if status, _ := clientToken(t, s, id, "wrong", ""); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", status)
	}
	// Deleting the client ends its tokens.
	if err := s.app.store.DeleteClient(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if resp := apiCall(t, s, token, http.MethodGet, "/users", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token of a deleted client: %d, want 401", resp.StatusCode)
	}
}

func TestAdminAPIExemptAndReset(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	u := enrolStaff(t, s, rp, "desk@a.example", "hotel-a")
	uid := s.user(t, u.email).ID
	id, secretValue := apiClient(t, s,
		store.ClientGrant{Permission: store.PermReset2FA, PropertyID: "hotel-a"},
		store.ClientGrant{Permission: store.PermViewAudit, PropertyID: "hotel-a"})
	token := bearer(t, s, id, secretValue, "")

	if resp := apiCall(t, s, token, http.MethodPut, "/users/"+uid+"/exemption",
		map[string]any{"reason": "Shared desk terminal", "until": s.clock.Now().Add(48 * time.Hour).UTC()}, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("exempt: %d", resp.StatusCode)
	}
	var list []map[string]any
	if resp := apiCall(t, s, token, http.MethodGet, "/exemptions", nil, &list); resp.StatusCode != 200 || len(list) != 1 || list[0]["until"] == nil {
		t.Fatalf("exemptions: %d %v", resp.StatusCode, list)
	}
	if resp := apiCall(t, s, token, http.MethodPost, "/users/"+uid+"/reset-2fa", nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if !refreshFails(rp, u.first) || len(s.methods(t, u.email)) != 0 {
		t.Error("reset through the API left methods or tokens")
	}
	if resp := apiCall(t, s, token, http.MethodDelete, "/users/"+uid+"/exemption", nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("unexempt: %d", resp.StatusCode)
	}
	var events []map[string]any
	if resp := apiCall(t, s, token, http.MethodGet, "/audit-events?user_id="+uid, nil, &events); resp.StatusCode != 200 {
		t.Fatalf("audit: %d", resp.StatusCode)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e["event"].(string)] = true
	}
	for _, want := range []string{"admin.exemption_added", "admin.2fa_reset", "admin.exemption_removed"} {
		if !seen[want] {
			t.Errorf("audit events %v lack %s", seen, want)
		}
	}
}

func TestAdminOpenAPI(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	resp, err := http.Get(s.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := jsonDecode(resp, &doc); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(doc["openapi"].(string), "3.") {
		t.Fatalf("openapi.json: %d %v", resp.StatusCode, err)
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range []string{"/users", "/users/{id}/reset-2fa", "/users/{id}/exemption", "/exemptions", "/clients", "/audit-events"} {
		if paths[p] == nil {
			t.Errorf("the API description lacks %s", p)
		}
	}
}
