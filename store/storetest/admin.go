package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var adminTests = []test{
	{"AdminPropertiesAndMembers", testAdminProperties},
	{"AdminSearchUsers", testAdminSearchUsers},
	{"AdminSearchPaging", testAdminSearchPaging},
	{"AdminReset2FA", testAdminReset2FA},
	{"AdminExemptionLifecycle", testAdminExemption},
	{"AdminExemptionLapse", testAdminExemptionLapse},
	{"AdminDisableEndsSessions", testAdminDisable},
	{"AdminClientGrants", testAdminClientGrants},
	{"AdminRevokeAndRemove", testAdminRevokeAndRemove},
}

func createProperty(t *testing.T, s store.Store, id string) {
	t.Helper()
	must(t, s.CreateProperty(ctx(t), store.Property{ID: id, Name: "Hotel " + id, CreatedAt: t0}))
}

func testAdminProperties(t *testing.T, s store.Store) {
	createProperty(t, s, "p1")
	wantErr(t, s.CreateProperty(ctx(t), store.Property{ID: "p1", Name: "again"}), store.ErrAlreadyExists)
	wantAnyErr(t, s.CreateProperty(ctx(t), store.Property{ID: store.AllProperties, Name: "all"}))
	u := createUser(t, s, "ann")
	must(t, s.AddUserProperty(ctx(t), u.ID, "p1"))
	must(t, s.AddUserProperty(ctx(t), u.ID, "p1"))
	wantErr(t, s.AddUserProperty(ctx(t), u.ID, "nope"), store.ErrNotFound)
	wantErr(t, s.AddUserProperty(ctx(t), "nobody", "p1"), store.ErrNotFound)
	props, err := s.UserProperties(ctx(t), u.ID)
	must(t, err)
	if len(props) != 1 || props[0] != "p1" {
		t.Fatalf("properties = %v, want [p1]", props)
	}
	must(t, s.AddGrant(ctx(t), store.Grant{UserID: u.ID, Permission: store.PermReset2FA, PropertyID: "p1"}))
	must(t, s.AddGrant(ctx(t), store.Grant{UserID: u.ID, Permission: store.PermReset2FA, PropertyID: "p1"}))
	wantErr(t, s.AddGrant(ctx(t), store.Grant{UserID: "nobody", Permission: store.PermReset2FA, PropertyID: "p1"}), store.ErrNotFound)
	grants, err := s.Grants(ctx(t), u.ID)
	must(t, err)
	if len(grants) != 1 {
		t.Fatalf("grants = %v, want one", grants)
	}
}

func testAdminSearchUsers(t *testing.T, s store.Store) {
	createProperty(t, s, "p1")
	createProperty(t, s, "p2")
	totp := createUser(t, s, "totp")
	plain := createUser(t, s, "plain")
	exempt := createUser(t, s, "exempt")
	invited := invite(t, s, "invited")
	for _, u := range []store.User{totp, plain, exempt} {
		must(t, s.AddUserProperty(ctx(t), u.ID, "p1"))
	}
	must(t, s.AddUserProperty(ctx(t), invited.ID, "p2"))
	confirmTOTP(t, s, totp.ID)
	must(t, s.SetExemption(ctx(t), store.Exemption{UserID: exempt.ID, Reason: "no phone", CreatedAt: t0}))

	ids := func(q store.UserQuery) []string {
		t.Helper()
		q.Now = t0
		rows, err := s.SearchUsers(ctx(t), q)
		must(t, err)
		var out []string
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	cases := []struct {
		name string
		q    store.UserQuery
		want []string
	}{
		{"all", store.UserQuery{}, []string{exempt.ID, invited.ID, plain.ID, totp.ID}},
		{"property", store.UserQuery{Properties: []string{"p2"}}, []string{invited.ID}},
		{"no properties", store.UserQuery{Properties: []string{}}, nil},
		{"no 2fa", store.UserQuery{Filter: store.FilterNo2FA}, []string{plain.ID}},
		{"has 2fa", store.UserQuery{Filter: store.FilterHas2FA}, []string{totp.ID}},
		{"invited", store.UserQuery{Filter: store.FilterInvited}, []string{invited.ID}},
		{"exempt", store.UserQuery{Filter: store.FilterExempt}, []string{exempt.ID}},
		{"search email", store.UserQuery{Search: "PLAIN@"}, []string{plain.ID}},
		{"search name", store.UserQuery{Search: "user tot"}, []string{totp.ID}},
		{"search wildcard", store.UserQuery{Search: "%"}, nil},
	}
	for _, tc := range cases {
		got := ids(tc.q)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: ids = %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: ids = %v, want %v", tc.name, got, tc.want)
			}
		}
	}
	rows, err := s.SearchUsers(ctx(t), store.UserQuery{Search: "exempt", Now: t0})
	must(t, err)
	if len(rows) != 1 || rows[0].Exemption == nil || rows[0].Exemption.Reason != "no phone" || rows[0].PasswordHash != "" {
		t.Fatalf("exempt row = %+v, want its exemption and no password hash", rows)
	}
}

func testAdminSearchPaging(t *testing.T, s store.Store) {
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		createUser(t, s, n)
	}
	var seen []string
	after := ""
	for range 5 {
		rows, err := s.SearchUsers(ctx(t), store.UserQuery{After: after, Limit: 2, Now: t0})
		must(t, err)
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			seen = append(seen, r.ID)
		}
		after = rows[len(rows)-1].EmailKey
	}
	if len(seen) != 5 || seen[0] != "user-a" || seen[4] != "user-e" {
		t.Fatalf("pages = %v, want a to e once each", seen)
	}
}

func testAdminReset2FA(t *testing.T, s store.Store) {
	u := createUser(t, s, "reset")
	confirmTOTP(t, s, u.ID)
	sess := newSession("s-reset", u.ID)
	must(t, s.CreateSession(ctx(t), sess))
	must(t, s.Reset2FA(ctx(t), u.ID, t0, nil))
	methods, err := s.Methods(ctx(t), u.ID)
	must(t, err)
	n, err := s.CountRecoveryCodes(ctx(t), u.ID)
	must(t, err)
	if len(methods) != 0 || n != 0 {
		t.Fatalf("after reset: methods %v, %d recovery codes; want none", methods, n)
	}
	_, err = s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.Reset2FA(ctx(t), "nobody", t0, nil), store.ErrNotFound)
}

func testAdminExemption(t *testing.T, s store.Store) {
	u := createUser(t, s, "ex")
	wantAnyErr(t, s.SetExemption(ctx(t), store.Exemption{UserID: u.ID, Reason: " ", CreatedAt: t0}))
	wantErr(t, s.SetExemption(ctx(t), store.Exemption{UserID: "nobody", Reason: "r", CreatedAt: t0}), store.ErrNotFound)
	must(t, s.SetExemption(ctx(t), store.Exemption{UserID: u.ID, Reason: "r", AddedBy: "admin", CreatedAt: t0}))
	e, err := s.Exemption(ctx(t), u.ID, t0)
	must(t, err)
	if e.Reason != "r" || e.AddedBy != "admin" || !e.Until.IsZero() {
		t.Fatalf("exemption = %+v", e)
	}
	list, err := s.ListExemptions(ctx(t), t0)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("list = %v, want one entry", list)
	}
	sess := newSession("s-ex", u.ID)
	must(t, s.CreateSession(ctx(t), sess))
	must(t, s.RemoveExemption(ctx(t), u.ID, t0))
	_, err = s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RemoveExemption(ctx(t), u.ID, t0), store.ErrNotFound)
	_, err = s.Exemption(ctx(t), u.ID, t0)
	wantErr(t, err, store.ErrNotFound)
}

func testAdminExemptionLapse(t *testing.T, s store.Store) {
	u := createUser(t, s, "lapse")
	keep := createUser(t, s, "keep")
	until := t0.Add(time.Hour)
	must(t, s.SetExemption(ctx(t), store.Exemption{UserID: u.ID, Reason: "r", CreatedAt: t0, Until: until}))
	must(t, s.SetExemption(ctx(t), store.Exemption{UserID: keep.ID, Reason: "r", CreatedAt: t0}))
	sess := newSession("s-lapse", u.ID)
	must(t, s.CreateSession(ctx(t), sess))

	_, err := s.Exemption(ctx(t), u.ID, until)
	wantErr(t, err, store.ErrNotFound)
	lapsed, err := s.LapseExemptions(ctx(t), t0)
	must(t, err)
	if len(lapsed) != 0 {
		t.Fatalf("lapsed before the end = %v", lapsed)
	}
	lapsed, err = s.LapseExemptions(ctx(t), until)
	must(t, err)
	if len(lapsed) != 1 || lapsed[0] != u.ID {
		t.Fatalf("lapsed = %v, want [%s]", lapsed, u.ID)
	}
	_, err = s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.Exemption(ctx(t), keep.ID, until.Add(time.Hour)); err != nil {
		t.Fatalf("open-ended exemption lapsed: %v", err)
	}
}

func testAdminDisable(t *testing.T, s store.Store) {
	u := createUser(t, s, "dis")
	sess := newSession("s-dis", u.ID)
	must(t, s.CreateSession(ctx(t), sess))
	live, err := s.UserSessions(ctx(t), u.ID, t0)
	must(t, err)
	if len(live) != 1 {
		t.Fatalf("sessions = %d, want 1", len(live))
	}
	must(t, s.SetUserStatus(ctx(t), u.ID, store.UserDisabled, t0))
	live, err = s.UserSessions(ctx(t), u.ID, t0)
	must(t, err)
	if len(live) != 0 {
		t.Fatalf("sessions after disable = %d, want 0", len(live))
	}
	wantErr(t, s.SetUserStatus(ctx(t), "nobody", store.UserDisabled, t0), store.ErrNotFound)
	wantAnyErr(t, s.SetUserStatus(ctx(t), u.ID, "gone", t0))
	must(t, s.SetUserLocale(ctx(t), u.ID, "nl"))
	got, err := s.UserByID(ctx(t), u.ID)
	must(t, err)
	if got.Status != store.UserDisabled || got.Locale != "nl" {
		t.Fatalf("user = %+v", got)
	}
}

func testAdminClientGrants(t *testing.T, s store.Store) {
	c := newClient("c1", "Back end")
	must(t, s.CreateClient(ctx(t), c))
	grants := []store.ClientGrant{{Permission: store.PermManageUsers, PropertyID: "p1"}}
	must(t, s.SetClientGrants(ctx(t), c.ID, grants))
	got, err := s.ClientGrants(ctx(t), c.ID)
	must(t, err)
	if len(got) != 1 || got[0].ClientID != c.ID || got[0].PropertyID != "p1" {
		t.Fatalf("grants = %+v", got)
	}
	wantErr(t, s.SetClientGrants(ctx(t), "nope", grants), store.ErrNotFound)
	c.Name = "Renamed"
	c.RedirectURIs = []string{"https://rp.example.com/cb2"}
	must(t, s.UpdateClient(ctx(t), c))
	back, err := s.ClientByID(ctx(t), c.ID)
	must(t, err)
	if back.Name != "Renamed" || back.RedirectURIs[0] != "https://rp.example.com/cb2" {
		t.Fatalf("client = %+v", back)
	}
	wantErr(t, s.UpdateClient(ctx(t), store.Client{ID: "nope"}), store.ErrNotFound)
	must(t, s.SetClientSecret(ctx(t), c.ID, "newhash"))
	must(t, s.DeleteClient(ctx(t), c.ID))
	got, err = s.ClientGrants(ctx(t), c.ID)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("grants after delete = %v", got)
	}
}

func testAdminRevokeAndRemove(t *testing.T, s store.Store) {
	createProperty(t, s, "p1")
	u := createUser(t, s, "ann")
	must(t, s.AddUserProperty(ctx(t), u.ID, "p1"))
	must(t, s.AddGrant(ctx(t), store.Grant{UserID: u.ID, Permission: store.PermReset2FA, PropertyID: "p1"}))
	must(t, s.AddGrant(ctx(t), store.Grant{UserID: u.ID, Permission: store.PermViewAudit, PropertyID: store.AllProperties}))
	wantErr(t, s.RevokeGrant(ctx(t), u.ID, store.PermReset2FA, store.AllProperties), store.ErrNotFound)
	wantErr(t, s.RevokeGrant(ctx(t), "nobody", store.PermReset2FA, "p1"), store.ErrNotFound)
	must(t, s.RevokeGrant(ctx(t), u.ID, store.PermReset2FA, "p1"))
	wantErr(t, s.RevokeGrant(ctx(t), u.ID, store.PermReset2FA, "p1"), store.ErrNotFound)
	grants, err := s.Grants(ctx(t), u.ID)
	must(t, err)
	if len(grants) != 1 || grants[0].Permission != store.PermViewAudit {
		t.Fatalf("grants = %v, want only view_audit", grants)
	}
	wantErr(t, s.RemoveMember(ctx(t), u.ID, "nope"), store.ErrNotFound)
	must(t, s.RemoveMember(ctx(t), u.ID, "p1"))
	wantErr(t, s.RemoveMember(ctx(t), u.ID, "p1"), store.ErrNotFound)
	props, err := s.UserProperties(ctx(t), u.ID)
	must(t, err)
	if len(props) != 0 {
		t.Fatalf("properties = %v, want none", props)
	}
}
