package admin

import (
	"context"
	"errors"

	"github.com/hotelsoft/idp/store"
)

// RevokeGrant removes the user's permission for a property, or for every
// property when propertyID is empty. It applies the same checks as Grant.
// The user keeps their memberships. A missing grant is ErrNotFound.
func (s *Service) RevokeGrant(ctx context.Context, a Actor, userID string, p store.Permission, propertyID string) error {
	if _, _, err := s.actOn(ctx, a, userID, store.PermManageUsers); err != nil {
		return err
	}
	if !validPermission(p) {
		return invalid("AdminErrorPermission", "unknown permission %q", p)
	}
	if propertyID == "" {
		propertyID = store.AllProperties
	}
	if !a.coversProperty(p, propertyID) {
		return ErrNotFound
	}
	if err := s.st.RevokeGrant(ctx, userID, p, propertyID); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventGrantRevoked, userID, "", map[string]string{"permission": string(p), "property": propertyID})
	return nil
}

// RemoveMember ends the user's membership of the property. It applies the
// same checks as AddMember and leaves the user's grants in place (revoke
// those with RevokeGrant). A grant for the property no longer counts for
// the user's own console once the membership ends. A missing membership
// is ErrNotFound.
func (s *Service) RemoveMember(ctx context.Context, a Actor, userID, propertyID string) error {
	if _, _, err := s.actOn(ctx, a, userID, store.PermManageUsers); err != nil {
		return err
	}
	if !a.coversProperty(store.PermManageUsers, propertyID) {
		return ErrNotFound
	}
	if err := s.st.RemoveMember(ctx, userID, propertyID); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventMemberRemoved, userID, "", map[string]string{"property": propertyID})
	return nil
}
