package admin

import (
	"slices"

	"github.com/hotelsoft/idp/store"
)

// Actor is who performs an admin action: an admin signed in to the
// console, a client of the admin API, or the operator at the command line.
// Its grants decide which users it sees and what it may do to them.
type Actor struct {
	UserID   string // the admin's user ID, or ""
	ClientID string // the API client's ID, or ""
	IP       string
	operator bool // the command line: every permission everywhere
	grants   []store.Grant
}

// UserActor returns the actor of an admin with grants.
func UserActor(userID, ip string, grants []store.Grant) Actor {
	return Actor{UserID: userID, IP: ip, grants: grants}
}

// memberGrants returns the grants that count for an admin who is a member
// of props. A grant for one property counts only while the admin is a
// member there. Removing an admin from a property thus also ends their
// power over its users, and no admin the property cannot see stays behind.
// Grants for every property always count.
func memberGrants(grants []store.Grant, props []string) []store.Grant {
	if props == nil {
		props = []string{} // nil would keep every grant
	}
	kept, _ := keepGrants(grants, props)
	return kept
}

// ClientActor returns the actor of an API client with its grants.
func ClientActor(clientID, ip string, grants []store.ClientGrant) Actor {
	gs := make([]store.Grant, 0, len(grants))
	for _, g := range grants {
		gs = append(gs, store.Grant{Permission: g.Permission, PropertyID: g.PropertyID})
	}
	return Actor{ClientID: clientID, IP: ip, grants: gs}
}

// OperatorActor returns the actor of the command line, which runs with
// the database credentials and so holds every permission.
func OperatorActor() Actor { return Actor{operator: true} }

// scope returns the properties where the actor holds p; all is true when
// it holds p for every property.
func (a Actor) scope(p store.Permission) (all bool, props []string) {
	if a.operator {
		return true, nil
	}
	for _, g := range a.grants {
		if g.Permission != p {
			continue
		}
		if g.PropertyID == store.AllProperties {
			return true, nil
		}
		if !slices.Contains(props, g.PropertyID) {
			props = append(props, g.PropertyID)
		}
	}
	return false, props
}

// Has reports whether the actor holds p for at least one property.
func (a Actor) Has(p store.Permission) bool {
	all, props := a.scope(p)
	return all || len(props) > 0
}

// HasAll reports whether the actor holds p for every property.
func (a Actor) HasAll(p store.Permission) bool {
	all, _ := a.scope(p)
	return all
}

// covers reports whether the actor holds p for one of userProps, the
// properties of a user. A user of no property is covered only by a grant
// for every property.
func (a Actor) covers(p store.Permission, userProps []string) bool {
	all, props := a.scope(p)
	if all {
		return true
	}
	for _, up := range userProps {
		if slices.Contains(props, up) {
			return true
		}
	}
	return false
}

// coversProperty reports whether the actor holds p for property.
func (a Actor) coversProperty(p store.Permission, property string) bool {
	all, props := a.scope(p)
	return all || slices.Contains(props, property)
}

// visibleProperties returns the properties whose users the actor sees,
// those where it holds any user permission, or nil when it sees every
// user.
func (a Actor) visibleProperties() []string {
	seen := []string{}
	for _, p := range []store.Permission{store.PermManageUsers, store.PermReset2FA} {
		all, props := a.scope(p)
		if all {
			return nil
		}
		for _, id := range props {
			if !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
		}
	}
	return seen
}

// keepProperties returns the properties of props that are in visible, so
// that a hotel's admin does not learn where else a shared user works. A
// nil visible, from an actor who accesses every user, keeps them all.
func keepProperties(props, visible []string) []string {
	if visible == nil {
		return props
	}
	out := []string{}
	for _, p := range props {
		if slices.Contains(visible, p) {
			out = append(out, p)
		}
	}
	return out
}

// keepGrants returns the grants for every property and for the
// properties in visible, and reports whether it dropped any. A nil
// visible keeps every grant.
func keepGrants(grants []store.Grant, visible []string) (kept []store.Grant, dropped bool) {
	if visible == nil {
		return grants, false
	}
	for _, g := range grants {
		if g.PropertyID == store.AllProperties || slices.Contains(visible, g.PropertyID) {
			kept = append(kept, g)
		} else {
			dropped = true
		}
	}
	return kept, dropped
}

// actorID is the ActorID of the actor's audit events.
func (a Actor) actorID() string { return a.UserID }

// via names the channel of the action for the audit detail.
func (a Actor) via() string {
	switch {
	case a.operator:
		return "cli"
	case a.ClientID != "":
		return "api"
	}
	return "console"
}

// contains reports whether the actor holds each of grants with at least
// its scope: the same permission for the same property or for every
// property. A grant for every property is contained only by the same
// permission for every property.
func (a Actor) contains(grants []store.Grant) bool {
	for _, g := range grants {
		if !a.coversProperty(g.Permission, g.PropertyID) {
			return false
		}
	}
	return true
}
