package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/store"
)

// rawAPICall sends body as it is, with contentType, to the admin API and
// returns the status code.
func rawAPICall(t *testing.T, s *testServer, token, method, path, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.url+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// grantsOf returns the user's grants as permission@property.
func (s *testServer) grantsOf(t *testing.T, email string) []string {
	t.Helper()
	grants, err := s.app.store.Grants(context.Background(), s.user(t, email).ID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, g := range grants {
		out = append(out, string(g.Permission)+"@"+g.PropertyID)
	}
	slices.Sort(out)
	return out
}

// propertiesOf returns the IDs of the user's properties.
func (s *testServer) propertiesOf(t *testing.T, email string) []string {
	t.Helper()
	props, err := s.app.store.UserProperties(context.Background(), s.user(t, email).ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(props)
	return props
}

// TestAdminAPIGrants grants and revokes a permission and adds and removes
// a membership through the API; the console follows each change.
func TestAdminAPIGrants(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	anna := enrolStaff(t, s, rp, "anna@a.example", "hotel-a")
	olga := enrolStaff(t, s, rp, "olga@b.example", "hotel-b")
	annaID, olgaID := s.user(t, anna.email).ID, s.user(t, olga.email).ID
	hotelID, hotelSecret := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: "hotel-a"})
	hotel := bearer(t, s, hotelID, hotelSecret, "")
	groupID, groupSecret := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: store.AllProperties})
	group := bearer(t, s, groupID, groupSecret, "")

	if p := adminPage(t, s, anna.b, "/admin/users"); p.Status != http.StatusNotFound {
		t.Fatalf("console before the grant: %d, want 404", p.Status)
	}
	grant := map[string]string{"permission": "manage_users", "property_id": "hotel-a"}
	for range 2 {
		if resp := apiCall(t, s, hotel, http.MethodPut, "/users/"+annaID+"/grants", grant, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("grant: %d, want 204", resp.StatusCode)
		}
	}
	if got := s.grantsOf(t, anna.email); !slices.Equal(got, []string{"manage_users@hotel-a"}) {
		t.Errorf("grants after granting twice = %v", got)
	}
	if p := adminPage(t, s, anna.b, "/admin/users"); p.Status != http.StatusOK {
		t.Errorf("console after the grant: %d, want 200", p.Status)
	}
	if events, err := s.app.store.AuditEvents(context.Background(), store.AuditFilter{UserID: annaID, Event: "admin.grant_added"}); err != nil || len(events) != 1 {
		t.Errorf("grant_added events after granting twice: %d (%v), want 1", len(events), err)
	}
	e := s.wantAudit(t, anna.email, "admin.grant_added")
	if e.ClientID != hotelID || e.Detail["via"] != "api" || e.Detail["permission"] != "manage_users" || e.Detail["property"] != "hotel-a" {
		t.Errorf("grant audit event %+v", e)
	}
	var detail struct {
		Grants []struct {
			Permission string `json:"permission"`
			PropertyID string `json:"property_id"`
		} `json:"grants"`
	}
	if resp := apiCall(t, s, hotel, http.MethodGet, "/users/"+annaID, nil, &detail); resp.StatusCode != http.StatusOK {
		t.Fatalf("get user: %d", resp.StatusCode)
	}
	if len(detail.Grants) != 1 || detail.Grants[0].Permission != "manage_users" || detail.Grants[0].PropertyID != "hotel-a" {
		t.Errorf("grants of GET /users/{id} = %+v", detail.Grants)
	}

	revoke := "/users/" + annaID + "/grants?permission=manage_users&property_id=hotel-a"
	if resp := apiCall(t, s, hotel, http.MethodDelete, revoke, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d, want 204", resp.StatusCode)
	}
	if resp := apiCall(t, s, hotel, http.MethodDelete, revoke, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoke again: %d, want 404", resp.StatusCode)
	}
	if p := adminPage(t, s, anna.b, "/admin/users"); p.Status != http.StatusNotFound {
		t.Errorf("console after the revoke: %d, want 404", p.Status)
	}
	if e := s.wantAudit(t, anna.email, "admin.grant_revoked"); e.ClientID != hotelID || e.Detail["via"] != "api" {
		t.Errorf("revoke audit event %+v", e)
	}

	// The group client adds olga to hotel-a, where the hotel client then
	// sees her, and removes her again.
	membership := "/users/" + olgaID + "/memberships/hotel-a"
	if resp := apiCall(t, s, group, http.MethodPut, membership, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("add member: %d, want 204", resp.StatusCode)
	}
	if resp := apiCall(t, s, hotel, http.MethodGet, "/users/"+olgaID, nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("hotel client after the membership: %d, want 200", resp.StatusCode)
	}
	if e := s.wantAudit(t, olga.email, "admin.member_added"); e.ClientID != groupID || e.Detail["property"] != "hotel-a" {
		t.Errorf("member audit event %+v", e)
	}
	if resp := apiCall(t, s, hotel, http.MethodDelete, membership, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove member: %d, want 204", resp.StatusCode)
	}
	if resp := apiCall(t, s, hotel, http.MethodDelete, membership, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("remove member again: %d, want 404", resp.StatusCode)
	}
	if resp := apiCall(t, s, hotel, http.MethodGet, "/users/"+olgaID, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("hotel client after the removal: %d, want 404", resp.StatusCode)
	}
	s.wantAudit(t, olga.email, "admin.member_removed")
	if got := s.propertiesOf(t, olga.email); !slices.Equal(got, []string{"hotel-b"}) {
		t.Errorf("olga's properties = %v, want hotel-b", got)
	}
}

// TestAdminAPIGrantsHostile sends grants and memberships beyond the
// client's reach and malformed bodies: each gets a problem response and
// changes nothing.
func TestAdminAPIGrantsHostile(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	anna := enrolStaff(t, s, rp, "anna@a.example", "hotel-a")
	olga := enrolStaff(t, s, rp, "olga@b.example", "hotel-b")
	root := enrolStaff(t, s, rp, "root@hq.example", "hotel-a")
	s.grant(t, root.email, store.PermManageUsers, store.AllProperties)
	annaID, olgaID, rootID := s.user(t, anna.email).ID, s.user(t, olga.email).ID, s.user(t, root.email).ID
	hotelID, hotelSecret := apiClient(t, s,
		store.ClientGrant{Permission: store.PermManageUsers, PropertyID: "hotel-a"},
		store.ClientGrant{Permission: store.PermReset2FA, PropertyID: "hotel-a"})
	hotel := bearer(t, s, hotelID, hotelSecret, "")
	usersOnly := bearer(t, s, hotelID, hotelSecret, "admin:manage_users")
	resetOnly := bearer(t, s, hotelID, hotelSecret, "admin:reset_2fa")
	groupID, groupSecret := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: store.AllProperties})
	group := bearer(t, s, groupID, groupSecret, "")

	grants := func(user string) string { return "/users/" + user + "/grants" }
	cases := []struct {
		name, token, method, path string
		body                      any
		status                    int
	}{
		{"other hotel's user", hotel, http.MethodPut, grants(olgaID), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a"}, 404},
		{"other property", hotel, http.MethodPut, grants(annaID), map[string]string{"permission": "manage_users", "property_id": "hotel-b"}, 404},
		{"every property", hotel, http.MethodPut, grants(annaID), map[string]string{"permission": "manage_users"}, 404},
		{"permission not held", hotel, http.MethodPut, grants(annaID), map[string]string{"permission": "view_audit", "property_id": "hotel-a"}, 404},
		{"scope not in token", usersOnly, http.MethodPut, grants(annaID), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a"}, 404},
		{"manage scope missing", resetOnly, http.MethodPut, grants(annaID), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a"}, 403},
		{"global admin", hotel, http.MethodPut, grants(rootID), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a"}, 404},
		{"global admin revoke", hotel, http.MethodDelete, grants(rootID) + "?permission=manage_users", nil, 404},
		{"unknown user", hotel, http.MethodPut, grants("nobody"), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a"}, 404},
		{"unknown permission", hotel, http.MethodPut, grants(annaID), map[string]string{"permission": "root", "property_id": "hotel-a"}, 400},
		{"unknown field", hotel, http.MethodPut, grants(annaID), map[string]string{"permission": "reset_2fa", "property_id": "hotel-a", "user_id": rootID}, 400},
		{"unknown property", group, http.MethodPut, grants(annaID), map[string]string{"permission": "manage_users", "property_id": "nope"}, 400},
		{"revoke without permission", hotel, http.MethodDelete, grants(annaID), nil, 400},
		{"steal a user", hotel, http.MethodPut, "/users/" + olgaID + "/memberships/hotel-a", nil, 404},
		{"other hotel's membership", hotel, http.MethodDelete, "/users/" + olgaID + "/memberships/hotel-b", nil, 404},
		{"membership of other property", hotel, http.MethodPut, "/users/" + annaID + "/memberships/hotel-b", nil, 404},
		{"unknown property membership", group, http.MethodPut, "/users/" + annaID + "/memberships/nope", nil, 400},
		{"global admin membership", hotel, http.MethodDelete, "/users/" + rootID + "/memberships/hotel-a", nil, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var problem map[string]any
			resp := apiCall(t, s, tc.token, tc.method, tc.path, tc.body, &problem)
			if resp.StatusCode != tc.status {
				t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, resp.StatusCode, problem, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q, want application/problem+json", ct)
			}
		})
	}

	bodies := []struct {
		name, contentType, body string
		status                  int
	}{
		{"malformed JSON", "application/json", `{"permission": "reset_2fa",`, 400},
		{"wrong type", "application/json", `{"permission": ["reset_2fa"]}`, 400},
		{"two values", "application/json", `{"permission": "reset_2fa", "property_id": "hotel-a"} {}`, 400},
		{"form body", "application/x-www-form-urlencoded", "permission=reset_2fa&property=hotel-a", 415},
		{"oversized", "application/json", `{"permission": "reset_2fa", "property_id": "` + strings.Repeat("a", 70<<10) + `"}`, 413},
	}
	for _, tc := range bodies {
		if got := rawAPICall(t, s, hotel, http.MethodPut, grants(annaID), tc.contentType, tc.body); got != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.status)
		}
	}

	if got := s.grantsOf(t, anna.email); len(got) != 0 {
		t.Errorf("anna's grants = %v, want none", got)
	}
	if got := s.grantsOf(t, olga.email); len(got) != 0 {
		t.Errorf("olga's grants = %v, want none", got)
	}
	if got := s.grantsOf(t, root.email); !slices.Equal(got, []string{"manage_users@*"}) {
		t.Errorf("root's grants = %v, want manage_users@*", got)
	}
	if got := s.propertiesOf(t, olga.email); !slices.Equal(got, []string{"hotel-b"}) {
		t.Errorf("olga's properties = %v, want hotel-b", got)
	}
	if got := s.propertiesOf(t, anna.email); !slices.Equal(got, []string{"hotel-a"}) {
		t.Errorf("anna's properties = %v, want hotel-a", got)
	}
	if got := s.propertiesOf(t, root.email); !slices.Equal(got, []string{"hotel-a"}) {
		t.Errorf("root's properties = %v, want hotel-a", got)
	}
}

// TestAdminConsoleGrants is a hotel manager who grants a clerk a
// permission, revokes it and removes the clerk from the hotel with the
// buttons of the user page. A global admin then adds the clerk to a hotel.
func TestAdminConsoleGrants(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	manager := enrolStaff(t, s, rp, "manager@a.example", "hotel-a")
	s.grant(t, manager.email, store.PermManageUsers, "hotel-a")
	s.grant(t, manager.email, store.PermReset2FA, "hotel-a")
	clerk := enrolStaff(t, s, rp, "clerk@a.example", "hotel-a")
	olga := enrolStaff(t, s, rp, "olga@b.example", "hotel-b")
	root := enrolStaff(t, s, rp, "root@hq.example", "hotel-a")
	s.grant(t, root.email, store.PermManageUsers, store.AllProperties)
	clerkID, olgaID, rootID := s.user(t, clerk.email).ID, s.user(t, olga.email).ID, s.user(t, root.email).ID
	clerkPath := "/admin/users/" + clerkID

	p := adminPage(t, s, manager.b, clerkPath)
	if !hasForm(p, "/grant") || !hasForm(p, "/remove-member") {
		t.Fatalf("the clerk's page lacks the grant or remove form:\n%s", p.Body)
	}
	if hasForm(p, "/add-member") {
		t.Error("the clerk's page offers a membership although no other property is the manager's")
	}

	// A missing CSRF token is rejected and grants nothing.
	if got := manager.b.post(s.url+clerkPath+"/grant", url.Values{"permission": {"reset_2fa"}, "property": {"hotel-a"}}); got.Status != http.StatusForbidden {
		t.Errorf("grant without CSRF token: %d, want 403", got.Status)
	}
	if got := s.grantsOf(t, clerk.email); len(got) != 0 {
		t.Fatalf("grants after the rejected form = %v", got)
	}

	p = action(t, manager.b, p, "/grant", map[string]string{"permission": "reset_2fa", "property": "hotel-a"})
	if p.Status != http.StatusOK || !strings.Contains(p.URL.RawQuery, "done") {
		t.Fatalf("grant: %d at %s\n%s", p.Status, p.URL, p.Body)
	}
	if got := s.grantsOf(t, clerk.email); !slices.Equal(got, []string{"reset_2fa@hotel-a"}) {
		t.Errorf("grants after the grant = %v", got)
	}
	wantActorAudit(t, s, clerk.email, "admin.grant_added", manager.email)
	if e := s.wantAudit(t, clerk.email, "admin.grant_added"); e.Detail["via"] != "console" {
		t.Errorf("grant audit event %+v: want via=console", e)
	}
	if got := adminPage(t, s, clerk.b, "/admin/exemptions"); got.Status != http.StatusOK {
		t.Errorf("the clerk's exception list after the grant: %d, want 200", got.Status)
	}

	// Grants the manager does not hold are shown as the page's alert.
	for name, fields := range map[string]map[string]string{
		"permission not held": {"permission": "view_audit", "property": "hotel-a"},
		"other property":      {"permission": "reset_2fa", "property": "hotel-b"},
		"every property":      {"permission": "reset_2fa", "property": "*"},
		"unknown permission":  {"permission": "root", "property": "hotel-a"},
	} {
		got := action(t, manager.b, p, "/grant", fields)
		if got.Status != http.StatusBadRequest || got.alert() == "" {
			t.Errorf("%s: %d alert %q, want 400 with an alert", name, got.Status, got.alert())
		}
	}

	p = action(t, manager.b, p, "/revoke-grant", nil)
	if p.Status != http.StatusOK || !strings.Contains(p.URL.RawQuery, "done") {
		t.Fatalf("revoke: %d at %s\n%s", p.Status, p.URL, p.Body)
	}
	if got := s.grantsOf(t, clerk.email); len(got) != 0 {
		t.Errorf("grants after the revoke = %v", got)
	}
	wantActorAudit(t, s, clerk.email, "admin.grant_revoked", manager.email)
	if got := adminPage(t, s, clerk.b, "/admin/exemptions"); got.Status != http.StatusNotFound {
		t.Errorf("the clerk's exception list after the revoke: %d, want 404", got.Status)
	}

	// Forms posted for users beyond the manager's reach are not found.
	csrf := csrfOf(t, p)
	for name, post := range map[string]struct {
		path   string
		fields url.Values
	}{
		"grant to other hotel":     {"/admin/users/" + olgaID + "/grant", url.Values{"permission": {"reset_2fa"}, "property": {"hotel-a"}}},
		"steal other hotel's user": {"/admin/users/" + olgaID + "/add-member", url.Values{"property": {"hotel-a"}}},
		"remove other membership":  {"/admin/users/" + olgaID + "/remove-member", url.Values{"property": {"hotel-b"}}},
		"grant to global admin":    {"/admin/users/" + rootID + "/grant", url.Values{"permission": {"reset_2fa"}, "property": {"hotel-a"}}},
		"revoke of global admin":   {"/admin/users/" + rootID + "/revoke-grant", url.Values{"permission": {"manage_users"}, "property": {"*"}}},
		"remove global admin":      {"/admin/users/" + rootID + "/remove-member", url.Values{"property": {"hotel-a"}}},
	} {
		post.fields.Set("csrf_token", csrf)
		if got := manager.b.post(s.url+post.path, post.fields); got.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", name, got.Status)
		}
	}
	if got := s.propertiesOf(t, olga.email); !slices.Equal(got, []string{"hotel-b"}) {
		t.Errorf("olga's properties = %v, want hotel-b", got)
	}
	if got := s.grantsOf(t, root.email); !slices.Equal(got, []string{"manage_users@*"}) {
		t.Errorf("root's grants = %v, want manage_users@*", got)
	}

	// The global admin's page shows the manager no button that changes
	// their grants or memberships.
	rootPage := adminPage(t, s, manager.b, "/admin/users/"+rootID)
	for _, suffix := range []string{"/grant", "/revoke-grant", "/add-member", "/remove-member"} {
		if hasForm(rootPage, suffix) {
			t.Errorf("the global admin's page offers ...%s to the hotel manager", suffix)
		}
	}

	p = action(t, manager.b, p, "/remove-member", nil)
	if p.Status != http.StatusOK || p.URL.Path != "/admin/users" {
		t.Fatalf("remove member: %d at %s, want the user list\n%s", p.Status, p.URL, p.Body)
	}
	if ids := rowIDs(p, "users"); slices.Contains(ids, clerkID) {
		t.Errorf("rows %v after the removal: want no clerk", ids)
	}
	wantActorAudit(t, s, clerk.email, "admin.member_removed", manager.email)
	if got := adminPage(t, s, manager.b, clerkPath); got.Status != http.StatusNotFound {
		t.Errorf("the clerk's page after the removal: %d, want 404", got.Status)
	}

	// The global admin adds the clerk, now of no property, to hotel-b.
	p = adminPage(t, s, root.b, clerkPath)
	p = action(t, root.b, p, "/add-member", map[string]string{"property": "hotel-b"})
	if p.Status != http.StatusOK || !strings.Contains(p.URL.RawQuery, "done") {
		t.Fatalf("add member: %d at %s\n%s", p.Status, p.URL, p.Body)
	}
	if got := s.propertiesOf(t, clerk.email); !slices.Equal(got, []string{"hotel-b"}) {
		t.Errorf("the clerk's properties = %v, want hotel-b", got)
	}
	wantActorAudit(t, s, clerk.email, "admin.member_added", root.email)
}

// TestAdminOpenAPIGrants checks that the API description lists the grant
// and membership routes with both methods.
func TestAdminOpenAPIGrants(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	resp, err := http.Get(s.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := jsonDecode(resp, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, path := range []string{"/users/{id}/grants", "/users/{id}/memberships/{property}"} {
		for _, method := range []string{"put", "delete"} {
			if doc.Paths[path][method] == nil {
				t.Errorf("the API description lacks %s %s", method, path)
			}
		}
	}
}

// TestAdminGrantNeedsMembership gives a clerk manage_users for hotel-a and
// then removes the clerk from hotel-a. The grant stays, but it reaches no
// users of hotel-a any more: the clerk's console is closed, so no admin
// the hotel cannot see is left behind.
func TestAdminGrantNeedsMembership(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	clerk := enrolStaff(t, s, rp, "clerk@a.example", "hotel-a")
	colleague := enrolStaff(t, s, rp, "colleague@a.example", "hotel-a")
	s.grant(t, clerk.email, store.PermManageUsers, "hotel-a")
	colleaguePath := "/admin/users/" + s.user(t, colleague.email).ID

	if p := adminPage(t, s, clerk.b, colleaguePath); p.Status != http.StatusOK {
		t.Fatalf("the clerk's console before the removal: %d, want 200", p.Status)
	}

	svc := s.app.adminService()
	if err := svc.RemoveMember(context.Background(), admin.OperatorActor(), s.user(t, clerk.email).ID, "hotel-a"); err != nil {
		t.Fatal(err)
	}
	if got := s.grantsOf(t, clerk.email); !slices.Equal(got, []string{"manage_users@hotel-a"}) {
		t.Fatalf("grants after the removal = %v, want the grant kept", got)
	}
	for _, path := range []string{"/admin/users", colleaguePath} {
		if p := adminPage(t, s, clerk.b, path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s by the removed clerk: %d, want 404", path, p.Status)
		}
	}
}

// TestAdminViewHidesOtherProperties shows a user who works in two hotels
// to hotel-a's API client. The user's hotel-b membership and grant stay
// hidden in the user list and on the user, while a client with access to
// every property gets both.
func TestAdminViewHidesOtherProperties(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	shared := enrolStaff(t, s, rp, "shared@a.example", "hotel-a")
	sharedID := s.user(t, shared.email).ID
	// Grant makes the user a member of hotel-b too.
	if err := s.app.adminService().Grant(context.Background(), admin.OperatorActor(), sharedID, store.PermManageUsers, "hotel-b"); err != nil {
		t.Fatal(err)
	}
	hotelID, hotelSecret := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: "hotel-a"})
	hotel := bearer(t, s, hotelID, hotelSecret, "")
	groupID, groupSecret := apiClient(t, s, store.ClientGrant{Permission: store.PermManageUsers, PropertyID: store.AllProperties})
	group := bearer(t, s, groupID, groupSecret, "")

	var detail struct {
		Properties []string `json:"properties"`
		Grants     []struct {
			Permission string `json:"permission"`
			PropertyID string `json:"property_id"`
		} `json:"grants"`
	}
	if resp := apiCall(t, s, hotel, http.MethodGet, "/users/"+sharedID, nil, &detail); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the shared user as hotel-a: %d", resp.StatusCode)
	}
	if !slices.Equal(detail.Properties, []string{"hotel-a"}) || len(detail.Grants) != 0 {
		t.Errorf("hotel-a sees properties %v and grants %v, want only hotel-a and no grant", detail.Properties, detail.Grants)
	}

	var page struct {
		Users []struct {
			UserID     string   `json:"user_id"`
			Properties []string `json:"properties"`
		} `json:"users"`
	}
	if resp := apiCall(t, s, hotel, http.MethodGet, "/users?search=shared", nil, &page); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /users as hotel-a: %d", resp.StatusCode)
	}
	if len(page.Users) != 1 || !slices.Equal(page.Users[0].Properties, []string{"hotel-a"}) {
		t.Errorf("hotel-a's user list = %+v, want the shared user with hotel-a only", page.Users)
	}

	// Acting on the user still needs every grant they hold.
	if got := rawAPICall(t, s, hotel, http.MethodPut, "/users/"+sharedID+"/grants", "application/json", `{"permission":"manage_users","property_id":"hotel-a"}`); got != http.StatusNotFound {
		t.Errorf("hotel-a granting to the shared user: %d, want 404", got)
	}

	detail.Properties, detail.Grants = nil, nil
	if resp := apiCall(t, s, group, http.MethodGet, "/users/"+sharedID, nil, &detail); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the shared user as the group: %d", resp.StatusCode)
	}
	if !slices.Equal(detail.Properties, []string{"hotel-a", "hotel-b"}) || len(detail.Grants) != 1 {
		t.Errorf("the group sees properties %v and grants %v, want both hotels and the hotel-b grant", detail.Properties, detail.Grants)
	}
}

// TestAdminGrantAuditsMembership grants a permission for a property the
// user is not yet a member of: both the new membership and the grant are
// audited, once each.
func TestAdminGrantAuditsMembership(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	anna := enrolStaff(t, s, rp, "anna@a.example", "hotel-a")
	annaID := s.user(t, anna.email).ID
	groupID, groupSecret := apiClient(t, s,
		store.ClientGrant{Permission: store.PermManageUsers, PropertyID: store.AllProperties},
		store.ClientGrant{Permission: store.PermReset2FA, PropertyID: store.AllProperties})
	group := bearer(t, s, groupID, groupSecret, "")

	grant := map[string]string{"permission": "reset_2fa", "property_id": "hotel-b"}
	if resp := apiCall(t, s, group, http.MethodPut, "/users/"+annaID+"/grants", grant, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("grant: %d, want 204", resp.StatusCode)
	}
	if got := s.propertiesOf(t, anna.email); !slices.Equal(got, []string{"hotel-a", "hotel-b"}) {
		t.Errorf("properties after the grant = %v, want hotel-a and hotel-b", got)
	}
	for _, event := range []string{"admin.member_added", "admin.grant_added"} {
		events, err := s.app.store.AuditEvents(context.Background(), store.AuditFilter{UserID: annaID, Event: event})
		if err != nil || len(events) != 1 {
			t.Errorf("%s events: %d (%v), want 1", event, len(events), err)
			continue
		}
		if events[0].Detail["property"] != "hotel-b" || events[0].ClientID != groupID {
			t.Errorf("%s event %+v, want property hotel-b by the group client", event, events[0])
		}
	}
}

// TestAdminAPIMethodNotAllowed sends methods a route does not accept. The
// response is 405 with the route's methods in Allow, while an unknown path
// remains 404.
func TestAdminAPIMethodNotAllowed(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	cases := []struct {
		method, path, allow string
		status              int
	}{
		{http.MethodPatch, "/users/someone/grants", "PUT, DELETE", http.StatusMethodNotAllowed},
		{http.MethodPost, "/users/someone", "GET", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/users", "GET, POST", http.StatusMethodNotAllowed},
		{http.MethodHead, "/audit-events", "GET", http.StatusMethodNotAllowed},
		{http.MethodGet, "/no-such-resource", "", http.StatusNotFound},
		{http.MethodPatch, "/users/someone/nothing", "", http.StatusNotFound},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, s.url+"/api/v1"+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d with Allow %q, want %d with %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.status, c.allow)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q, want application/problem+json", c.method, c.path, ct)
		}
	}
}
