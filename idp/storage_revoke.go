package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// GetRefreshTokenInfo implements op.AuthStorage for revocation. It returns
// op.ErrInvalidRefreshToken for anything that is not a known refresh token,
// so that the library tries the value as an access token. The library turns
// any other error into a 500. RevokeToken checks the client.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	if token == "" || len(token) > maxTokenLength {
		return "", "", op.ErrInvalidRefreshToken
	}
	rt, err := s.st.RefreshTokenByHash(ctx, secret.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", fmt.Errorf("load refresh token: %w", err)
	}
	return rt.Subject, rt.ID, nil
}

// RevokeToken implements op.AuthStorage (RFC 7009). tokenOrID is a refresh
// token row ID, an access token ID, or the raw value the library could not
// decode. Revoking a refresh token revokes its whole family and the access
// tokens issued with it. An unknown token succeeds, and a token issued to
// another client is refused.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	now := s.now()
	switch {
	case strings.HasPrefix(tokenOrID, refreshTokenPrefix):
		rt, err := s.st.RefreshTokenByID(ctx, tokenOrID)
		return s.revokeRefresh(ctx, rt, err, clientID)
	case strings.HasPrefix(tokenOrID, accessTokenPrefix):
		at, err := s.st.AccessTokenByID(ctx, tokenOrID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && at.Subject != userID) {
			return nil
		}
		if err != nil {
			return oidc.ErrServerError().WithParent(fmt.Errorf("load access token: %w", err))
		}
		if at.ClientID != clientID {
			return errTokenOfOtherClient()
		}
		if err := s.st.RevokeAccessToken(ctx, at.ID, now); err != nil {
			return oidc.ErrServerError().WithParent(fmt.Errorf("revoke access token: %w", err))
		}
		return nil
	}

	// A raw value is a refresh token sent with token_type_hint=access_token,
	// or garbage. RFC 7009 lets the server look beyond the hint.
	if tokenOrID == "" || len(tokenOrID) > maxTokenLength {
		return nil
	}
	rt, err := s.st.RefreshTokenByHash(ctx, secret.Hash(tokenOrID))
	return s.revokeRefresh(ctx, rt, err, clientID)
}

func (s *storage) revokeRefresh(ctx context.Context, rt store.RefreshToken, lookupErr error, clientID string) *oidc.Error {
	if errors.Is(lookupErr, store.ErrNotFound) {
		return nil
	}
	if lookupErr != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("load refresh token: %w", lookupErr))
	}
	if rt.ClientID != clientID {
		return errTokenOfOtherClient()
	}
	if err := s.st.RevokeRefreshFamily(ctx, rt.FamilyID, s.now()); err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("revoke refresh family: %w", err))
	}
	return nil
}

// errTokenOfOtherClient refuses to revoke a token issued to another client
// (RFC 7009, section 2.1).
func errTokenOfOtherClient() *oidc.Error {
	return oidc.ErrUnauthorizedClient().WithDescription("The token was not issued to this client.")
}
