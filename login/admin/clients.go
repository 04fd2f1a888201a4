package admin

import (
	"context"
	"errors"
	"slices"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// ClientDetail is a client with its admin API grants.
type ClientDetail struct {
	store.Client
	Grants []store.ClientGrant
}

// ListClients returns every client, for an actor with manage_clients.
func (s *Service) ListClients(ctx context.Context, a Actor) ([]store.Client, error) {
	if !a.Has(store.PermManageClients) {
		return nil, ErrNotFound
	}
	return s.st.ListClients(ctx)
}

// Client returns one client with its grants.
func (s *Service) Client(ctx context.Context, a Actor, id string) (ClientDetail, error) {
	if !a.Has(store.PermManageClients) || id == "" || len(id) > 128 {
		return ClientDetail{}, ErrNotFound
	}
	c, err := s.st.ClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ClientDetail{}, ErrNotFound
	}
	if err != nil {
		return ClientDetail{}, err
	}
	grants, err := s.st.ClientGrants(ctx, id)
	if err != nil {
		return ClientDetail{}, err
	}
	return ClientDetail{Client: c, Grants: grants}, nil
}

// checkClientGrants refuses grants the actor could not exercise itself:
// each needs the actor's manage_clients and the granted permission for
// the property. Only confidential clients get grants.
func (s *Service) checkClientGrants(a Actor, public bool, grants []store.ClientGrant) error {
	if len(grants) > 0 && public {
		return invalid("AdminErrorPublicGrants", "a public client cannot call the admin API")
	}
	for _, g := range grants {
		if !validPermission(g.Permission) || g.PropertyID == "" {
			return invalid("AdminErrorPermission", "unknown permission %q", g.Permission)
		}
		if !a.coversProperty(store.PermManageClients, g.PropertyID) || !a.coversProperty(g.Permission, g.PropertyID) {
			return invalid("AdminErrorGrant", "you cannot grant %s for property %q", g.Permission, g.PropertyID)
		}
	}
	return nil
}

// specError turns a client validation error into an *InputError.
func specError(err error) error {
	var se *idp.ClientSpecError
	if errors.As(err, &se) {
		return invalid("AdminErrorClient", "%s", se.Error())
	}
	return err
}

// CreateClient registers a client with idp.RegisterClient's validation
// and gives it grants for the admin API. The secret is returned once.
func (s *Service) CreateClient(ctx context.Context, a Actor, spec idp.ClientSpec, grants []store.ClientGrant) (store.Client, string, error) {
	if !a.Has(store.PermManageClients) {
		return store.Client{}, "", ErrNotFound
	}
	public := spec.Public || spec.Type == store.AppTypeNative
	if err := s.checkClientGrants(a, public, grants); err != nil {
		return store.Client{}, "", err
	}
	c, secretValue, err := idp.RegisterClient(ctx, s.st, spec, s.now())
	if err != nil {
		return store.Client{}, "", specError(err)
	}
	if len(grants) > 0 {
		if err := s.st.SetClientGrants(ctx, c.ID, grants); err != nil {
			return store.Client{}, "", err
		}
	}
	s.audit(ctx, a, EventClientCreated, "", c.ID, map[string]string{"name": c.Name, "type": c.ApplicationType})
	return c, secretValue, nil
}

// UpdateClient replaces the name and URIs of a client, validated like a
// new registration of the same type.
func (s *Service) UpdateClient(ctx context.Context, a Actor, id string, spec idp.ClientSpec) error {
	cur, err := s.Client(ctx, a, id)
	if err != nil {
		return err
	}
	spec.Type, spec.Public = cur.ApplicationType, cur.Public()
	if err := idp.CheckClientSpec(spec); err != nil {
		return specError(err)
	}
	c := cur.Client
	c.Name = spec.Name
	c.RedirectURIs, c.PostLogoutRedirectURIs, c.PostLockRedirectURIs = spec.RedirectURIs, spec.PostLogoutRedirectURIs, spec.PostLockRedirectURIs
	c.BackchannelLogoutURI = spec.BackchannelLogoutURI
	if err := s.st.UpdateClient(ctx, c); err != nil {
		return err
	}
	s.audit(ctx, a, EventClientUpdated, "", id, map[string]string{"name": c.Name})
	return nil
}

// RotateSecret gives a confidential client a new secret, returned once;
// the old one stops working.
func (s *Service) RotateSecret(ctx context.Context, a Actor, id string) (string, error) {
	cur, err := s.Client(ctx, a, id)
	if err != nil {
		return "", err
	}
	if cur.Public() {
		return "", invalid("AdminErrorPublicClient", "a public client has no secret")
	}
	value := secret.Token()
	if err := s.st.SetClientSecret(ctx, id, secret.Hash(value)); err != nil {
		return "", err
	}
	s.audit(ctx, a, EventClientSecretReset, "", id, nil)
	return value, nil
}

// DeleteClient deletes a client and revokes its tokens.
func (s *Service) DeleteClient(ctx context.Context, a Actor, id string) error {
	if _, err := s.Client(ctx, a, id); err != nil {
		return err
	}
	if err := s.st.DeleteClient(ctx, id); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventClientDeleted, "", id, nil)
	return nil
}

// AuditEvents returns matching events, newest first. An actor with
// view_audit for some properties sees only the events about users of
// those properties.
func (s *Service) AuditEvents(ctx context.Context, a Actor, f store.AuditFilter) ([]store.AuditEvent, error) {
	all, props := a.scope(store.PermViewAudit)
	if !all && len(props) == 0 {
		return nil, ErrNotFound
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	events, err := s.st.AuditEvents(ctx, f)
	if err != nil || all {
		return events, err
	}
	// NOTE: the property filter runs after the limit, so an actor limited
	// to some properties may get fewer than f.Limit events although older
	// matching ones exist.
	visible := map[string]bool{}
	out := events[:0]
	for _, e := range events {
		if e.UserID == "" {
			continue
		}
		ok, seen := visible[e.UserID]
		if !seen {
			up, err := s.st.UserProperties(ctx, e.UserID)
			if err != nil {
				return nil, err
			}
			ok = slices.ContainsFunc(up, func(p string) bool { return slices.Contains(props, p) })
			visible[e.UserID] = ok
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// LapseExemptions ends the exemptions whose date has passed, with their
// users' sessions and tokens, and records an audit event for each.
func (s *Service) LapseExemptions(ctx context.Context) error {
	ids, err := s.st.LapseExemptions(ctx, s.now())
	if err != nil {
		return err
	}
	for _, id := range ids {
		e := store.AuditEvent{Time: s.now(), Event: EventExemptionLapsed, UserID: id}
		if err := s.st.AddAuditEvent(ctx, e); err != nil {
			s.logger.ErrorContext(ctx, "record audit event", "event", EventExemptionLapsed, "user_id", id, "err", err)
		}
		s.logger.InfoContext(ctx, "exemption lapsed", "user_id", id)
	}
	return nil
}
