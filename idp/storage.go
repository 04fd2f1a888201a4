package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// storage implements op.Storage on top of store.Store. Every state change
// that the library leaves to storage (single-use codes, refresh rotation,
// revocation) is one atomic store call.
type storage struct {
	st     store.Store
	keys   *secret.Keys
	log    *slog.Logger
	now    func() time.Time
	issuer string

	accessTokenLifetime  time.Duration
	idTokenLifetime      time.Duration
	refreshTokenLifetime time.Duration
	authRequestLifetime  time.Duration
	codeLifetime         time.Duration

	clients *ttlCache[string, store.Client]
	ring    *keyRingCache
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// maxClientIDLength bounds client IDs looked up in the store; generated IDs
// are 22 characters.
const maxClientIDLength = 128

// errUnknownClient is the parent of the invalid_client error for a client ID
// that is not registered.
var errUnknownClient = errors.New("unknown client")

// clientByID returns the client from the cache or the store. An unknown
// client is an invalid_client error and a store fault a server_error, the
// classes the library maps to 401 and 500.
func (s *storage) clientByID(ctx context.Context, id string) (store.Client, error) {
	if c, ok := s.clients.get(id); ok {
		return c, nil
	}
	if id == "" || len(id) > maxClientIDLength {
		return store.Client{}, oidc.ErrInvalidClient().WithParent(errUnknownClient)
	}
	c, err := s.st.ClientByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, oidc.ErrInvalidClient().WithParent(errUnknownClient)
	}
	if err != nil {
		return store.Client{}, oidc.ErrServerError().WithParent(fmt.Errorf("load client: %w", err))
	}
	s.clients.put(id, c)
	return c, nil
}

// GetClientByClientID implements op.OPStorage.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.clientByID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return &client{c: c, idTokenLifetime: s.idTokenLifetime}, nil
}

// AuthorizeClientIDSecret implements op.OPStorage. Secrets are generated
// with 256 bits of entropy, so a SHA-256 hash compared in constant time is
// enough. A slow password hash would only add latency to every token call.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	c, err := s.clientByID(ctx, clientID)
	if err != nil {
		return err
	}
	if c.SecretHash == "" || !secret.Equal(secret.Hash(clientSecret), c.SecretHash) {
		return oidc.ErrInvalidClient().WithDescription("invalid client_id or client_secret")
	}
	return nil
}

// Health implements op.Storage for the library's readiness probe.
func (s *storage) Health(ctx context.Context) error {
	return s.st.Ping(ctx)
}

// SetUserinfoFromScopes implements the deprecated op.OPStorage method; the
// claims come from SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// GetPrivateClaimsFromScopes implements op.OPStorage. Access tokens are
// opaque, so there are no private JWT claims.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// errJWTProfileUnsupported rejects private_key_jwt client authentication,
// signed request objects and the jwt-bearer grant, none of which this
// provider offers.
var errJWTProfileUnsupported = errors.New("client keys are not supported")

// GetKeyByIDAndClientID implements op.OPStorage; see errJWTProfileUnsupported.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithParent(errJWTProfileUnsupported)
}

// ValidateJWTProfileScopes implements op.OPStorage; see errJWTProfileUnsupported.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrInvalidGrant().WithParent(errJWTProfileUnsupported)
}

// TerminateSession implements op.AuthStorage. It is never called, because
// TerminateSessionFromRequest takes its place.
func (s *storage) TerminateSession(context.Context, string, string) error {
	return nil
}
