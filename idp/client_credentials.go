package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/store"
)

// APIScopePrefix starts the scope of each admin permission that a client
// requests with the client-credentials grant, such as
// "admin:manage_users".
const APIScopePrefix = "admin:"

// APIScope returns the scope that carries permission p.
func APIScope(p store.Permission) string { return APIScopePrefix + string(p) }

// apiClient is a confidential client with admin API grants. Besides the
// grants of every client it may use client_credentials.
type apiClient struct {
	*client
	scopes []string
}

func (c *apiClient) GrantTypes() []oidc.GrantType {
	return append(c.client.GrantTypes(), oidc.GrantTypeClientCredentials)
}

// IsScopeAllowed admits the admin scopes of the client's grants.
func (c *apiClient) IsScopeAllowed(scope string) bool { return slices.Contains(c.scopes, scope) }

// clientCredentialsRequest is the token request of the client-credentials
// grant. Its subject is the client itself.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID }
func (r *clientCredentialsRequest) GetAudience() []string { return []string{r.clientID} }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }

// apiScopes returns the admin scopes a client's grants allow, sorted.
func (s *storage) apiScopes(ctx context.Context, clientID string) ([]string, error) {
	grants, err := s.st.ClientGrants(ctx, clientID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("load client grants: %w", err))
	}
	var scopes []string
	for _, g := range grants {
		if sc := APIScope(g.Permission); !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	slices.Sort(scopes)
	return scopes, nil
}

// ClientCredentials implements op.ClientCredentialsStorage. Only a
// confidential client with the right secret passes; one without admin
// API grants is then refused the grant as unauthorized_client.
func (s *storage) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, clientID, clientSecret); err != nil {
		return nil, err
	}
	c, err := s.clientByID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	scopes, err := s.apiScopes(ctx, clientID)
	if err != nil {
		return nil, err
	}
	base := &client{c: c, idTokenLifetime: s.idTokenLifetime}
	if len(scopes) == 0 {
		return base, nil
	}
	return &apiClient{client: base, scopes: scopes}, nil
}

// ClientCredentialsTokenRequest implements op.ClientCredentialsStorage.
// Without a scope parameter the token carries every admin scope of the
// client's grants; a requested scope beyond them is invalid_scope.
func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	allowed, err := s.apiScopes(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		scopes = allowed
	}
	for _, sc := range scopes {
		if !slices.Contains(allowed, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("The client may not request scope %q.", sc)
		}
	}
	return &clientCredentialsRequest{clientID: clientID, scopes: slices.Clone(scopes)}, nil
}

// ErrInvalidAPIToken reports a bearer token that is not a live access
// token of the client-credentials grant.
var ErrInvalidAPIToken = errors.New("idp: invalid API access token")

// maxBearerLength bounds a presented bearer token.
const maxBearerLength = 1024

// APIToken checks a bearer token presented to the admin API and returns
// the client it was issued to and its scopes. Only a token of the
// client-credentials grant qualifies: one issued to a user is refused, as
// is a revoked or expired one, or one of a deleted client.
func (p *Provider) APIToken(ctx context.Context, bearer string) (clientID string, scopes []string, err error) {
	if bearer == "" || len(bearer) > maxBearerLength {
		return "", nil, ErrInvalidAPIToken
	}
	plain, err := p.op.Crypto().Decrypt(bearer)
	if err != nil {
		return "", nil, ErrInvalidAPIToken
	}
	tokenID, subject, ok := strings.Cut(plain, ":")
	if !ok {
		return "", nil, ErrInvalidAPIToken
	}
	at, err := p.storage.st.AccessTokenByID(ctx, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, ErrInvalidAPIToken
	}
	if err != nil {
		return "", nil, fmt.Errorf("load access token: %w", err)
	}
	now := p.storage.now()
	if at.Subject != subject || at.Subject != at.ClientID || at.AuthRequestID != "" ||
		!at.RevokedAt.IsZero() || !now.Before(at.ExpiresAt) {
		return "", nil, ErrInvalidAPIToken
	}
	if _, err := p.storage.st.ClientByID(ctx, at.ClientID); errors.Is(err, store.ErrNotFound) {
		return "", nil, ErrInvalidAPIToken
	} else if err != nil {
		return "", nil, fmt.Errorf("load client: %w", err)
	}
	return at.ClientID, at.Scopes, nil
}

// CheckClientSpec validates spec with the rules of RegisterClient and
// returns a *ClientSpecError listing every problem, or nil.
func CheckClientSpec(spec ClientSpec) error {
	if problems := validateClientSpec(spec); len(problems) > 0 {
		return &ClientSpecError{Problems: problems}
	}
	return nil
}
