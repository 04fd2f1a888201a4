package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// Token ID prefixes tell access-token and refresh-token IDs apart, because
// RevokeToken receives either. Neither may contain ':', on which the library
// splits opaque access tokens.
const (
	accessTokenPrefix  = "at_"
	refreshTokenPrefix = "rt_"
)

// maxTokenLength bounds a presented refresh token; generated ones are 43
// characters.
const maxTokenLength = 256

// grant is the part of the sign-in that every token row copies: the client
// and subject, the granted scopes, and how the user authenticated.
type grant struct {
	clientID      string
	subject       string
	scopes        []string
	amr           []string
	acr           string
	authTime      time.Time
	sessionID     string
	authRequestID string
}

// grantOf extracts the grant from a token request of the code flow. Other
// request kinds (jwt-bearer, token exchange, device) are not offered.
func grantOf(req op.TokenRequest) (grant, error) {
	if cc, ok := req.(*clientCredentialsRequest); ok {
		return grant{clientID: cc.clientID, subject: cc.clientID, scopes: cc.scopes}, nil
	}
	a, ok := req.(*authRequest)
	if !ok {
		return grant{}, oidc.ErrUnsupportedGrantType()
	}
	return grant{
		clientID:      a.r.ClientID,
		subject:       a.r.Subject,
		scopes:        a.r.Scopes,
		amr:           a.r.AMR,
		acr:           a.r.ACR,
		authTime:      a.r.AuthTime,
		sessionID:     a.r.SessionID,
		authRequestID: a.r.ID,
	}, nil
}

func (s *storage) newAccessToken(g grant, scopes []string, now time.Time) (store.AccessToken, error) {
	if strings.Contains(g.subject, ":") {
		// The library could not split the opaque token again.
		return store.AccessToken{}, oidc.ErrServerError().WithParent(errors.New("subject contains ':'"))
	}
	return store.AccessToken{
		ID:            accessTokenPrefix + secret.ID(),
		ClientID:      g.clientID,
		Subject:       g.subject,
		Audience:      []string{g.clientID},
		Scopes:        scopes,
		AMR:           g.amr,
		ACR:           g.acr,
		AuthTime:      g.authTime,
		SessionID:     g.sessionID,
		AuthRequestID: g.authRequestID,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.accessTokenLifetime),
	}, nil
}

// CreateAccessToken implements op.AuthStorage for a code exchange without
// offline_access.
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	if _, isClient := req.(*clientCredentialsRequest); !isClient {
		if err := s.checkUserActive(ctx, g.subject); err != nil {
			return "", time.Time{}, err
		}
	}
	at, err := s.newAccessToken(g, g.scopes, s.now())
	if err != nil {
		return "", time.Time{}, err
	}
	if err := s.st.CreateTokens(ctx, at, nil); err != nil {
		return "", time.Time{}, oidc.ErrServerError().WithParent(fmt.Errorf("create access token: %w", err))
	}
	return at.ID, at.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens implements op.AuthStorage. With an empty
// currentRefreshToken it starts a refresh-token family for a code exchange;
// otherwise it rotates currentRefreshToken. Errors are oidc errors, because
// the library responds 500 to any other error.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	if r, ok := req.(*refreshTokenRequest); ok {
		return s.rotateRefreshToken(ctx, r, currentRefreshToken)
	}
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if err := s.checkUserActive(ctx, g.subject); err != nil {
		return "", "", time.Time{}, err
	}

	now := s.now()
	at, err := s.newAccessToken(g, g.scopes, now)
	if err != nil {
		return "", "", time.Time{}, err
	}
	value := secret.Token()
	rt := store.RefreshToken{
		ID:            refreshTokenPrefix + secret.ID(),
		TokenHash:     secret.Hash(value),
		FamilyID:      secret.ID(),
		ClientID:      g.clientID,
		Subject:       g.subject,
		Audience:      []string{g.clientID},
		Scopes:        g.scopes,
		AMR:           g.amr,
		ACR:           g.acr,
		AuthTime:      g.authTime,
		SessionID:     g.sessionID,
		AuthRequestID: g.authRequestID,
		CreatedAt:     now,
		ExpiresAt:     now.Add(s.refreshTokenLifetime),
	}
	at.RefreshTokenID = rt.ID
	if err := s.st.CreateTokens(ctx, at, &rt); err != nil {
		return "", "", time.Time{}, oidc.ErrServerError().WithParent(fmt.Errorf("create tokens: %w", err))
	}
	return at.ID, value, at.ExpiresAt, nil
}

// rotateRefreshToken replaces the presented refresh token with a new one of
// the same family. The new token keeps the original grant (scopes, amr,
// acr, auth_time, sid) and the family's absolute expiry. Only the access
// token gets the scopes narrowed for this request.
func (s *storage) rotateRefreshToken(ctx context.Context, r *refreshTokenRequest, current string) (string, string, time.Time, error) {
	now := s.now()
	old := r.rt
	g := grant{
		clientID:      old.ClientID,
		subject:       old.Subject,
		amr:           old.AMR,
		acr:           old.ACR,
		authTime:      old.AuthTime,
		sessionID:     old.SessionID,
		authRequestID: old.AuthRequestID,
	}
	at, err := s.newAccessToken(g, r.scopes, now)
	if err != nil {
		return "", "", time.Time{}, err
	}
	value := secret.Token()
	next := old
	next.ID = refreshTokenPrefix + secret.ID()
	next.TokenHash = secret.Hash(value)
	next.CreatedAt = now
	next.UsedAt = time.Time{}
	next.RevokedAt = time.Time{}
	at.RefreshTokenID = next.ID

	err = s.st.RotateRefreshToken(ctx, secret.Hash(current), at, next, now)
	switch {
	case errors.Is(err, store.ErrReused):
		s.log.WarnContext(ctx, "refresh token reused; family revoked",
			"client_id", old.ClientID, "user_id", old.Subject, "family_id", old.FamilyID)
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithParent(err)
	case errors.Is(err, store.ErrNotFound):
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithParent(err)
	case err != nil:
		return "", "", time.Time{}, oidc.ErrServerError().WithParent(fmt.Errorf("rotate refresh token: %w", err))
	}
	return at.ID, value, at.ExpiresAt, nil
}

// errRefreshTokenInvalid is the parent error for a refresh token that is
// unknown, expired, revoked or already used. The library responds
// invalid_grant whatever the reason.
var errRefreshTokenInvalid = errors.New("refresh token is unknown, expired, revoked or used")

// TokenRequestByRefreshToken implements op.AuthStorage. A token that was
// already rotated is a sign of theft, so presenting it revokes its whole
// family (RFC 9700, section 4.14.2).
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	if token == "" || len(token) > maxTokenLength {
		return nil, errRefreshTokenInvalid
	}
	rt, err := s.st.RefreshTokenByHash(ctx, secret.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errRefreshTokenInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("load refresh token: %w", err)
	}

	now := s.now()
	if !rt.UsedAt.IsZero() {
		if rt.RevokedAt.IsZero() {
			s.log.WarnContext(ctx, "refresh token reused; family revoked",
				"client_id", rt.ClientID, "user_id", rt.Subject, "family_id", rt.FamilyID)
		}
		if err := s.st.RevokeRefreshFamily(ctx, rt.FamilyID, now); err != nil {
			s.log.ErrorContext(ctx, "revoke refresh family", "family_id", rt.FamilyID, "err", err)
		}
		return nil, errRefreshTokenInvalid
	}
	if !rt.RevokedAt.IsZero() || !now.Before(rt.ExpiresAt) {
		return nil, errRefreshTokenInvalid
	}
	if err := s.checkUserActive(ctx, rt.Subject); err != nil {
		return nil, err
	}
	return &refreshTokenRequest{rt: rt, scopes: rt.Scopes}, nil
}

// checkUserActive returns invalid_grant unless the user exists and is
// active, so that a disabled account gets no new tokens.
func (s *storage) checkUserActive(ctx context.Context, userID string) error {
	u, err := s.st.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidGrant().WithDescription("The user no longer exists.")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("load user: %w", err))
	}
	if u.Status != store.UserActive {
		return oidc.ErrInvalidGrant().WithDescription("The user is not active.")
	}
	return nil
}
