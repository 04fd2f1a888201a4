package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const accessTokenColumns = `id, client_id, subject, audience, scopes, amr, acr, auth_time, session_id,
	auth_request_id, refresh_token_id, created_at, expires_at, revoked_at`

const refreshTokenColumns = `id, token_hash, family_id, client_id, subject, audience, scopes, amr, acr,
	auth_time, session_id, auth_request_id, created_at, expires_at, used_at, revoked_at`

type accessTokenRow struct {
	ID             string `db:"id"`
	ClientID       string `db:"client_id"`
	Subject        string `db:"subject"`
	Audience       list   `db:"audience"`
	Scopes         list   `db:"scopes"`
	AMR            list   `db:"amr"`
	ACR            string `db:"acr"`
	AuthTime       millis `db:"auth_time"`
	SessionID      string `db:"session_id"`
	AuthRequestID  string `db:"auth_request_id"`
	RefreshTokenID string `db:"refresh_token_id"`
	CreatedAt      millis `db:"created_at"`
	ExpiresAt      millis `db:"expires_at"`
	RevokedAt      millis `db:"revoked_at"`
}

type refreshTokenRow struct {
	ID            string `db:"id"`
	TokenHash     string `db:"token_hash"`
	FamilyID      string `db:"family_id"`
	ClientID      string `db:"client_id"`
	Subject       string `db:"subject"`
	Audience      list   `db:"audience"`
	Scopes        list   `db:"scopes"`
	AMR           list   `db:"amr"`
	ACR           string `db:"acr"`
	AuthTime      millis `db:"auth_time"`
	SessionID     string `db:"session_id"`
	AuthRequestID string `db:"auth_request_id"`
	CreatedAt     millis `db:"created_at"`
	ExpiresAt     millis `db:"expires_at"`
	UsedAt        millis `db:"used_at"`
	RevokedAt     millis `db:"revoked_at"`
}

func (r accessTokenRow) accessToken() store.AccessToken {
	return store.AccessToken{
		ID: r.ID, ClientID: r.ClientID, Subject: r.Subject, Audience: r.Audience, Scopes: r.Scopes, AMR: r.AMR,
		ACR: r.ACR, AuthTime: r.AuthTime.Time, SessionID: r.SessionID, AuthRequestID: r.AuthRequestID,
		RefreshTokenID: r.RefreshTokenID, CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time,
		RevokedAt: r.RevokedAt.Time,
	}
}

func (r refreshTokenRow) refreshToken() store.RefreshToken {
	return store.RefreshToken{
		ID: r.ID, TokenHash: r.TokenHash, FamilyID: r.FamilyID, ClientID: r.ClientID, Subject: r.Subject,
		Audience: r.Audience, Scopes: r.Scopes, AMR: r.AMR, ACR: r.ACR, AuthTime: r.AuthTime.Time,
		SessionID: r.SessionID, AuthRequestID: r.AuthRequestID, CreatedAt: r.CreatedAt.Time,
		ExpiresAt: r.ExpiresAt.Time, UsedAt: r.UsedAt.Time, RevokedAt: r.RevokedAt.Time,
	}
}

// CreateTokens stores at and, when rt is not nil, rt in one transaction.
// Tokens issued from an auth request whose code was replayed are stored
// already revoked, which closes the race in which a replay arrives between
// the winning redemption and the storing of its tokens.
func (s *Store) CreateTokens(ctx context.Context, at store.AccessToken, rt *store.RefreshToken) error {
	const op = "create tokens"
	if err := checkAccessToken(at); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if rt != nil {
		if err := checkRefreshToken(*rt); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}

	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if at.AuthRequestID != "" {
			var replayedAt millis
			// The row lock orders this against a concurrent replay, which
			// updates the same row before it revokes.
			err := s.get(ctx, tx, op, &replayedAt, `SELECT replayed_at FROM auth_requests WHERE id = ?`+s.forUpdate(), at.AuthRequestID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if !replayedAt.IsZero() {
				at.RevokedAt = replayedAt.Time
				if rt != nil {
					rt.RevokedAt = replayedAt.Time
				}
			}
		}
		if err := s.insertAccessToken(ctx, tx, op, at); err != nil {
			return err
		}
		if err := s.recordSessionClient(ctx, tx, op, at); err != nil {
			return err
		}
		if rt == nil {
			return nil
		}
		return s.insertRefreshToken(ctx, tx, op, *rt)
	})
}

func checkAccessToken(at store.AccessToken) error {
	if at.ID == "" || at.ExpiresAt.IsZero() {
		return errors.New("access token ID and expiry time are required")
	}
	return nil
}

func checkRefreshToken(rt store.RefreshToken) error {
	if rt.ID == "" || rt.TokenHash == "" || rt.FamilyID == "" || rt.ExpiresAt.IsZero() {
		return errors.New("refresh token ID, hash, family ID and expiry time are required")
	}
	return nil
}

func (s *Store) insertAccessToken(ctx context.Context, e sqlx.ExecerContext, op string, t store.AccessToken) error {
	return s.insert(ctx, e, op, `INSERT INTO access_tokens (`+accessTokenColumns+`) VALUES (:id, :client_id, :subject,
		:audience, :scopes, :amr, :acr, :auth_time, :session_id, :auth_request_id, :refresh_token_id, :created_at,
		:expires_at, :revoked_at)`, accessTokenRow{
		ID: t.ID, ClientID: t.ClientID, Subject: t.Subject, Audience: t.Audience, Scopes: t.Scopes, AMR: t.AMR,
		ACR: t.ACR, AuthTime: ms(t.AuthTime), SessionID: t.SessionID, AuthRequestID: t.AuthRequestID,
		RefreshTokenID: t.RefreshTokenID, CreatedAt: ms(t.CreatedAt), ExpiresAt: ms(t.ExpiresAt),
		RevokedAt: ms(t.RevokedAt),
	})
}

func (s *Store) insertRefreshToken(ctx context.Context, e sqlx.ExecerContext, op string, t store.RefreshToken) error {
	return s.insert(ctx, e, op, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES (:id, :token_hash,
		:family_id, :client_id, :subject, :audience, :scopes, :amr, :acr, :auth_time, :session_id,
		:auth_request_id, :created_at, :expires_at, :used_at, :revoked_at)`, refreshTokenRow{
		ID: t.ID, TokenHash: t.TokenHash, FamilyID: t.FamilyID, ClientID: t.ClientID, Subject: t.Subject,
		Audience: t.Audience, Scopes: t.Scopes, AMR: t.AMR, ACR: t.ACR, AuthTime: ms(t.AuthTime),
		SessionID: t.SessionID, AuthRequestID: t.AuthRequestID, CreatedAt: ms(t.CreatedAt),
		ExpiresAt: ms(t.ExpiresAt), UsedAt: ms(t.UsedAt), RevokedAt: ms(t.RevokedAt),
	})
}

// AccessTokenByID returns the token whether or not it is revoked or
// expired.
func (s *Store) AccessTokenByID(ctx context.Context, id string) (store.AccessToken, error) {
	var r accessTokenRow
	err := s.get(ctx, s.read, "get access token", &r, `SELECT `+accessTokenColumns+` FROM access_tokens WHERE id = ?`, id)
	return r.accessToken(), err
}

// RefreshTokenByHash returns the token whether or not it is used, revoked
// or expired.
func (s *Store) RefreshTokenByHash(ctx context.Context, tokenHash string) (store.RefreshToken, error) {
	var r refreshTokenRow
	err := s.get(ctx, s.read, "get refresh token", &r, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE token_hash = ?`, tokenHash)
	return r.refreshToken(), err
}

// RefreshTokenByID returns the token whether or not it is used, revoked or
// expired.
func (s *Store) RefreshTokenByID(ctx context.Context, id string) (store.RefreshToken, error) {
	var r refreshTokenRow
	err := s.get(ctx, s.read, "get refresh token", &r, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE id = ?`, id)
	return r.refreshToken(), err
}

// RevokeRefreshFamily revokes every refresh token of the family and the
// access tokens issued with them.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	const op = "revoke refresh family"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		return s.revokeFamily(ctx, tx, op, familyID, now)
	})
}

func (s *Store) revokeFamily(ctx context.Context, tx *sqlx.Tx, op, familyID string, now time.Time) error {
	// Lock the family's refresh tokens in one order before touching access
	// tokens, so concurrent revocations of one family queue up.
	var ids []string
	if err := s.selectRows(ctx, tx, op, &ids, `SELECT id FROM refresh_tokens
		WHERE family_id = ? ORDER BY id`+s.forUpdate(), familyID); err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, op, `UPDATE access_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND refresh_token_id IN (SELECT id FROM refresh_tokens WHERE family_id = ?)`,
		now.UnixMilli(), familyID); err != nil {
		return err
	}
	_, err := s.exec(ctx, tx, op, `UPDATE refresh_tokens SET revoked_at = ?
		WHERE family_id = ? AND revoked_at IS NULL`, now.UnixMilli(), familyID)
	return err
}

// RevokeAccessToken revokes one access token; an unknown ID succeeds.
func (s *Store) RevokeAccessToken(ctx context.Context, id string, now time.Time) error {
	_, err := s.exec(ctx, s.write, "revoke access token", `UPDATE access_tokens SET revoked_at = ?
		WHERE id = ? AND revoked_at IS NULL`, now.UnixMilli(), id)
	return err
}

// RevokeSessionTokens revokes every access and refresh token issued under
// the session, in one transaction.
func (s *Store) RevokeSessionTokens(ctx context.Context, sessionID string, now time.Time) error {
	const op = "revoke session tokens"
	if sessionID == "" {
		return fmt.Errorf("%s: empty session ID", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		for _, q := range []string{
			`UPDATE refresh_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL`,
			`UPDATE access_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL`,
		} {
			if _, err := s.exec(ctx, tx, op, q, now.UnixMilli(), sessionID); err != nil {
				return err
			}
		}
		return nil
	})
}
