package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/hotelsoft/idp/store"
)

// accessSection is the part of the user page that lists the user's
// grants and property memberships, with the forms that change them.
type accessSection struct {
	// CanChange is true when the admin may change the user's grants and
	// memberships at all: they manage users of one of the user's
	// properties and hold every grant the user holds.
	CanChange bool
	Grants    []grantRow
	Members   []memberRow
	// GrantPermissions and GrantProperties fill the grant form.
	// GrantEvery adds the "every property" choice.
	GrantPermissions []store.Permission
	GrantProperties  []store.Property
	GrantEvery       bool
	// MemberProperties are the properties the user can be added to.
	MemberProperties []store.Property
}

// grantRow is a grant on the user page.
type grantRow struct {
	Permission string
	Property   string // a property ID, or store.AllProperties
	Every      bool
	CanRevoke  bool
}

// memberRow is a property membership on the user page.
type memberRow struct {
	Property  string
	CanRemove bool
}

// userAccess builds the grants and memberships of d for the user page.
// It offers only the choices the service accepts from the actor, so that
// the page shows no button the admin cannot use.
func (c *Console) userAccess(ctx context.Context, a Actor, d UserDetail) (accessSection, error) {
	s := accessSection{CanChange: a.covers(store.PermManageUsers, d.Properties) && !d.OtherGrants && a.contains(d.Grants)}
	for _, g := range d.Grants {
		s.Grants = append(s.Grants, grantRow{Permission: string(g.Permission), Property: g.PropertyID,
			Every: g.PropertyID == store.AllProperties, CanRevoke: s.CanChange && a.coversProperty(g.Permission, g.PropertyID)})
	}
	for _, p := range d.Properties {
		s.Members = append(s.Members, memberRow{Property: p, CanRemove: s.CanChange && a.coversProperty(store.PermManageUsers, p)})
	}
	if !s.CanChange {
		return s, nil
	}

	props, err := c.st.ListProperties(ctx)
	if err != nil {
		return accessSection{}, err
	}
	for _, p := range Permissions {
		if a.Has(p) {
			s.GrantPermissions = append(s.GrantPermissions, p)
			s.GrantEvery = s.GrantEvery || a.HasAll(p)
		}
	}
	for _, pr := range props {
		grantable := false
		for _, p := range s.GrantPermissions {
			grantable = grantable || a.coversProperty(p, pr.ID)
		}
		if grantable {
			s.GrantProperties = append(s.GrantProperties, pr)
		}
		if a.coversProperty(store.PermManageUsers, pr.ID) && !slices.Contains(d.Properties, pr.ID) {
			s.MemberProperties = append(s.MemberProperties, pr)
		}
	}
	return s, nil
}

// accessAction runs a grant or membership action of the user page. A grant the admin does not hold
// for the chosen property is shown as the page's alert. The service
// repeats every check, and a user the admin may not act on stays "not
// found".
func (c *Console) accessAction(r *http.Request, q *request, id, action string) error {
	ctx, f := r.Context(), r.PostForm
	permission, property := store.Permission(f.Get("permission")), f.Get("property")
	switch action {
	case "grant":
		scope := property
		if scope == "" {
			scope = store.AllProperties
		}
		if validPermission(permission) && !q.actor.coversProperty(permission, scope) {
			return invalid("AdminErrorGrant", "permission %s for property %q is not among your own grants", permission, scope)
		}
		return c.svc.Grant(ctx, q.actor, id, permission, property)
	case "revoke-grant":
		return c.svc.RevokeGrant(ctx, q.actor, id, permission, property)
	case "add-member":
		return c.svc.AddMember(ctx, q.actor, id, property)
	case "remove-member":
		return c.svc.RemoveMember(ctx, q.actor, id, property)
	}
	return ErrNotFound
}

// userPageAfter returns where a successful action of the user page
// leads: back to the user page, or to the user list when removing a
// membership has taken the user out of the admin's properties.
func (c *Console) userPageAfter(r *http.Request, q *request, id, action string) string {
	if action == "remove-member" {
		if _, err := c.svc.User(r.Context(), q.actor, id); errors.Is(err, ErrNotFound) {
			return pathUsers
		}
	}
	return pathUsers + "/" + id + "?done=1"
}
