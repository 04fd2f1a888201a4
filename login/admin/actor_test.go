package admin

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

func TestAuthStatus(t *testing.T) {
	active := func(methods ...string) store.AdminUser {
		return store.AdminUser{UserSummary: store.UserSummary{User: store.User{Status: store.UserActive}, Methods: methods}}
	}
	exempt := active("totp")
	exempt.Exemption = &store.Exemption{Until: time.Now().Add(time.Hour)}
	invited := active()
	invited.Status = store.UserInvited
	disabled := active("email")
	disabled.Status = store.UserDisabled
	tests := []struct {
		name string
		u    store.AdminUser
		want string
	}{
		{"invited", invited, AuthInvited},
		{"exempt", exempt, AuthExempt},
		{"none", active(), AuthNone},
		{"totp", active("totp"), AuthTOTP},
		{"email", active("email"), AuthEmail},
		{"webauthn", active("webauthn"), AuthWebAuthn},
		{"several", active("email", "totp"), AuthSeveral},
		{"disabled keeps its method", disabled, AuthEmail},
	}
	for _, tt := range tests {
		if got := AuthStatus(tt.u); got != tt.want {
			t.Errorf("%s: AuthStatus = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestActorScope(t *testing.T) {
	a := UserActor("admin", "", []store.Grant{
		{Permission: store.PermReset2FA, PropertyID: "p1"},
		{Permission: store.PermManageUsers, PropertyID: "p2"},
		{Permission: store.PermViewAudit, PropertyID: store.AllProperties},
	})
	tests := []struct {
		name  string
		perm  store.Permission
		props []string
		want  bool
	}{
		{"granted property", store.PermReset2FA, []string{"p1"}, true},
		{"one of several", store.PermReset2FA, []string{"p9", "p1"}, true},
		{"other property", store.PermReset2FA, []string{"p2"}, false},
		{"no property", store.PermReset2FA, nil, false},
		{"other permission", store.PermManageClients, []string{"p1"}, false},
		{"every property", store.PermViewAudit, []string{"p7"}, true},
		{"every property, user of none", store.PermViewAudit, nil, true},
	}
	for _, tt := range tests {
		if got := a.covers(tt.perm, tt.props); got != tt.want {
			t.Errorf("%s: covers = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := a.visibleProperties(); len(got) != 2 {
		t.Errorf("visible properties = %v, want p1 and p2", got)
	}
	if !OperatorActor().HasAll(store.PermManageClients) || (Actor{}).Has(store.PermViewAudit) {
		t.Error("operator must hold everything, the zero actor nothing")
	}
	c := ClientActor("c1", "", []store.ClientGrant{{Permission: store.PermManageUsers, PropertyID: "p1"}})
	if c.covers(store.PermManageUsers, []string{"p2"}) || !c.covers(store.PermManageUsers, []string{"p1"}) {
		t.Error("client actor ignores its property")
	}
}

func TestActorContains(t *testing.T) {
	a := UserActor("lead", "", []store.Grant{
		{Permission: store.PermReset2FA, PropertyID: "p1"},
		{Permission: store.PermManageUsers, PropertyID: store.AllProperties},
	})
	tests := []struct {
		name   string
		grants []store.Grant
		want   bool
	}{
		{"no grants", nil, true},
		{"same grant", []store.Grant{{Permission: store.PermReset2FA, PropertyID: "p1"}}, true},
		{"narrower scope", []store.Grant{{Permission: store.PermManageUsers, PropertyID: "p2"}}, true},
		{"every property", []store.Grant{{Permission: store.PermReset2FA, PropertyID: store.AllProperties}}, false},
		{"other property", []store.Grant{{Permission: store.PermReset2FA, PropertyID: "p2"}}, false},
		{"other permission", []store.Grant{{Permission: store.PermViewAudit, PropertyID: "p1"}}, false},
	}
	for _, tt := range tests {
		if got := a.contains(tt.grants); got != tt.want {
			t.Errorf("%s: contains = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !OperatorActor().contains([]store.Grant{{Permission: store.PermViewAudit, PropertyID: store.AllProperties}}) {
		t.Error("the operator must contain every grant")
	}
}

func TestMemberGrantsNoMembership(t *testing.T) {
	grants := []store.Grant{
		{Permission: store.PermManageUsers, PropertyID: "hotel-a"},
		{Permission: store.PermViewAudit, PropertyID: store.AllProperties},
	}
	for _, props := range [][]string{nil, {}} {
		got := memberGrants(grants, props)
		if len(got) != 1 || got[0].PropertyID != store.AllProperties {
			t.Errorf("memberGrants(grants, %#v) = %v, want only the grant for every property", props, got)
		}
	}
	if got := memberGrants(grants, []string{"hotel-a"}); len(got) != 2 {
		t.Errorf("memberGrants for a member of hotel-a = %v, want both grants", got)
	}
}
