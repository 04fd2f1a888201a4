package idp

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/store"
)

// client adapts a registered store.Client to op.Client.
//
// Redirect URIs match exactly, except that a native client's loopback
// redirect matches on any port (RFC 8252, section 7.3). The library applies
// that rule to op.ApplicationTypeNative. Only the authorization-code and
// refresh-token grants are allowed.
type client struct {
	c               store.Client
	idTokenLifetime time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	if c.c.ApplicationType == store.AppTypeNative {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethod(c.c.AuthMethod) }

// ResponseTypes lists the implicit and hybrid types as well as code, so that
// the library lets such a request reach CreateAuthRequest, which rejects it
// with unsupported_response_type instead of the misleading
// unauthorized_client.
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDTokenOnly, oidc.ResponseTypeIDToken}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

// LoginURL returns the hosted login page for the auth request.
func (c *client) LoginURL(authRequestID string) string {
	return "/login?id=" + url.QueryEscape(authRequestID)
}

// AccessTokenType is opaque (Bearer), so that every use of an access token
// goes through the store and a revocation takes effect at once.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenLifetime }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return keepScopes
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return keepScopes
}

// IsScopeAllowed rejects every scope beyond the standard ones, which the
// library always allows; the library drops rejected scopes from the request.
func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion is false, as the library's default; which
// profile and email claims the ID token carries is decided by
// SetUserinfoFromRequest from the granted scopes.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }

// ClockSkew is zero: the library adds it to exp and subtracts it from iat
// and auth_time, which would misstate when the user signed in.
func (c *client) ClockSkew() time.Duration { return 0 }

func keepScopes(scopes []string) []string { return scopes }
