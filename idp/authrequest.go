package idp

import (
	"log/slog"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/store"
)

// authRequest adapts a stored authorization request to op.AuthRequest.
type authRequest struct {
	r store.AuthRequest
}

var (
	_ op.AuthRequest    = (*authRequest)(nil)
	_ op.LogAuthRequest = (*authRequest)(nil)
)

func (a *authRequest) GetID() string          { return a.r.ID }
func (a *authRequest) GetACR() string         { return a.r.ACR }
func (a *authRequest) GetAMR() []string       { return a.r.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.r.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.r.AuthTime }
func (a *authRequest) GetClientID() string    { return a.r.ClientID }
func (a *authRequest) GetNonce() string       { return a.r.Nonce }
func (a *authRequest) GetRedirectURI() string { return a.r.RedirectURI }
func (a *authRequest) GetScopes() []string    { return a.r.Scopes }
func (a *authRequest) GetState() string       { return a.r.State }
func (a *authRequest) GetSubject() string     { return a.r.Subject }
func (a *authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.r.ResponseType)
}
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.r.ResponseMode)
}

func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{
		Challenge: a.r.CodeChallenge,
		Method:    oidc.CodeChallengeMethod(a.r.CodeChallengeMethod),
	}
}

// Done reports whether the hosted login completed the request for a user.
func (a *authRequest) Done() bool {
	return !a.r.DoneAt.IsZero() && a.r.Subject != ""
}

// LogValue lists the fields the library may log; state, nonce and the
// code challenge stay out of logs.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.r.ID),
		slog.String("client_id", a.r.ClientID),
		slog.String("response_type", a.r.ResponseType),
		slog.Any("scopes", a.r.Scopes),
		slog.Bool("done", a.Done()),
	)
}

// refreshTokenRequest adapts a stored refresh token to op.RefreshTokenRequest.
//
// It must not satisfy op.AuthRequest: the library would then treat a refresh
// as a code exchange, delete an auth request by the token's ID and copy a
// nonce into the new ID token.
type refreshTokenRequest struct {
	rt store.RefreshToken
	// scopes are the scopes of this refresh; the library narrows them with
	// SetCurrentScopes, while rt.Scopes keeps the original grant.
	scopes []string
}

var _ op.RefreshTokenRequest = (*refreshTokenRequest)(nil)

func (r *refreshTokenRequest) GetAMR() []string            { return r.rt.AMR }
func (r *refreshTokenRequest) GetAudience() []string       { return r.rt.Audience }
func (r *refreshTokenRequest) GetAuthTime() time.Time      { return r.rt.AuthTime }
func (r *refreshTokenRequest) GetClientID() string         { return r.rt.ClientID }
func (r *refreshTokenRequest) GetScopes() []string         { return r.scopes }
func (r *refreshTokenRequest) GetSubject() string          { return r.rt.Subject }
func (r *refreshTokenRequest) SetCurrentScopes(s []string) { r.scopes = s }
