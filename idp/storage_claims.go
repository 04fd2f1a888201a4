package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/store"
)

// errInvalidToken is the RFC 6750 error for an access token that is
// unknown, expired, revoked or belongs to an inactive user.
func errInvalidToken() *oidc.Error {
	return &oidc.Error{
		ErrorType:   "invalid_token",
		Description: "The access token is unknown, expired or revoked.",
	}
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: it fills
// the ID token's claims. sub is always set, because the library overwrites
// the token's subject with it. The profile and email claims follow the
// granted scopes rather than the library's filtered list, so that the ID
// token carries them whether or not an access token is issued. acr and sid
// are added here because the library copies acr only from an auth request,
// not on refresh, and has no sid at all.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	u, err := s.userForClaims(ctx, req.GetSubject())
	if err != nil {
		return err
	}
	setUserClaims(info, u, req.GetScopes())

	var acr, sid string
	switch r := req.(type) {
	case *authRequest:
		acr, sid = r.r.ACR, r.r.SessionID
	case *refreshTokenRequest:
		acr, sid = r.rt.ACR, r.rt.SessionID
	}
	appendClaim(info, "acr", acr)
	appendClaim(info, "sid", sid)
	return nil
}

// SetUserinfoFromToken implements op.OPStorage for the userinfo endpoint.
// The library only decrypts the token, so expiry, revocation and the
// subject are checked here; any error becomes a 401.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	at, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	u, err := s.userForClaims(ctx, at.Subject)
	if err != nil {
		return errInvalidToken().WithParent(err)
	}
	setUserClaims(info, u, at.Scopes)
	setAuthClaims(info, at)
	return nil
}

// SetIntrospectionFromToken implements op.OPStorage (RFC 7662). clientID is
// the authenticated caller, which must be in the token's audience. On an
// error the library responds {"active": false}.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	at, err := s.liveAccessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if !slices.Contains(at.Audience, clientID) {
		return errInvalidToken().WithParent(errors.New("caller not in audience"))
	}
	u, err := s.userForClaims(ctx, at.Subject)
	if err != nil {
		return errInvalidToken().WithParent(err)
	}

	info := new(oidc.UserInfo)
	setUserClaims(info, u, at.Scopes)
	setAuthClaims(info, at)
	resp.SetUserInfo(info)
	resp.Scope = at.Scopes
	resp.ClientID = at.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(at.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(at.CreatedAt)
	resp.AuthTime = oidc.FromTime(at.AuthTime)
	resp.Audience = at.Audience
	resp.AuthenticationMethodsReferences = at.AMR
	resp.Issuer = s.issuer
	resp.JWTID = at.ID
	return nil
}

// liveAccessToken returns the access token if it exists, is neither expired
// nor revoked, and belongs to subject.
func (s *storage) liveAccessToken(ctx context.Context, tokenID, subject string) (store.AccessToken, error) {
	at, err := s.st.AccessTokenByID(ctx, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AccessToken{}, errInvalidToken()
	}
	if err != nil {
		return store.AccessToken{}, oidc.ErrServerError().WithParent(fmt.Errorf("load access token: %w", err))
	}
	if !at.RevokedAt.IsZero() || !s.now().Before(at.ExpiresAt) || at.Subject != subject {
		return store.AccessToken{}, errInvalidToken()
	}
	return at, nil
}

// userForClaims loads the user and requires the account to be active.
func (s *storage) userForClaims(ctx context.Context, userID string) (store.User, error) {
	u, err := s.st.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, oidc.ErrInvalidGrant().WithDescription("The user no longer exists.")
	}
	if err != nil {
		return store.User{}, oidc.ErrServerError().WithParent(fmt.Errorf("load user: %w", err))
	}
	if u.Status != store.UserActive {
		return store.User{}, oidc.ErrInvalidGrant().WithDescription("The user is not active.")
	}
	return u, nil
}

// setUserClaims sets sub always, name and locale for the profile scope, and
// email and email_verified for the email scope. email_verified is true
// because every account was created through an invitation mailed to that
// address.
func setUserClaims(info *oidc.UserInfo, u store.User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		if tag, err := language.Parse(u.Locale); err == nil && u.Locale != "" {
			info.Locale = oidc.NewLocale(tag)
		}
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = true
	}
}

// setAuthClaims adds how the user signed in, for userinfo and
// introspection responses.
func setAuthClaims(info *oidc.UserInfo, at store.AccessToken) {
	if len(at.AMR) > 0 {
		info.AppendClaims("amr", at.AMR)
	}
	appendClaim(info, "acr", at.ACR)
	appendClaim(info, "sid", at.SessionID)
	if !at.AuthTime.IsZero() {
		info.AppendClaims("auth_time", at.AuthTime.Unix())
	}
}

func appendClaim(info *oidc.UserInfo, name, value string) {
	if value != "" {
		info.AppendClaims(name, value)
	}
}
