package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const sessionColumns = `id, token_hash, user_id, created_at, updated_at, expires_at, auth_time, amr, acr,
	complete, second_factor_at, locked_at, revoked_at, user_agent, client_ip`

type sessionRow struct {
	ID             string `db:"id"`
	TokenHash      string `db:"token_hash"`
	UserID         string `db:"user_id"`
	CreatedAt      millis `db:"created_at"`
	UpdatedAt      millis `db:"updated_at"`
	ExpiresAt      millis `db:"expires_at"`
	AuthTime       millis `db:"auth_time"`
	AMR            list   `db:"amr"`
	ACR            string `db:"acr"`
	Complete       bool   `db:"complete"`
	SecondFactorAt millis `db:"second_factor_at"`
	LockedAt       millis `db:"locked_at"`
	RevokedAt      millis `db:"revoked_at"`
	UserAgent      string `db:"user_agent"`
	ClientIP       string `db:"client_ip"`
}

func toSessionRow(s store.Session) sessionRow {
	return sessionRow{
		ID: s.ID, TokenHash: s.TokenHash, UserID: s.UserID, CreatedAt: ms(s.CreatedAt), UpdatedAt: ms(s.UpdatedAt),
		ExpiresAt: ms(s.ExpiresAt), AuthTime: ms(s.AuthTime), AMR: s.AMR, ACR: s.ACR, Complete: s.Complete,
		SecondFactorAt: ms(s.SecondFactorAt), LockedAt: ms(s.LockedAt), RevokedAt: ms(s.RevokedAt),
		UserAgent: s.UserAgent, ClientIP: s.ClientIP,
	}
}

func (r sessionRow) session() store.Session {
	return store.Session{
		ID: r.ID, TokenHash: r.TokenHash, UserID: r.UserID, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
		ExpiresAt: r.ExpiresAt.Time, AuthTime: r.AuthTime.Time, AMR: r.AMR, ACR: r.ACR, Complete: r.Complete,
		SecondFactorAt: r.SecondFactorAt.Time, LockedAt: r.LockedAt.Time, RevokedAt: r.RevokedAt.Time,
		UserAgent: r.UserAgent, ClientIP: r.ClientIP,
	}
}

func checkSession(s store.Session) error {
	if s.ID == "" || s.TokenHash == "" || s.ExpiresAt.IsZero() {
		return fmt.Errorf("session ID, token hash and expiry time are required")
	}
	return nil
}

// CreateSession inserts sess; a taken ID or token hash is
// store.ErrAlreadyExists.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	const op = "create session"
	if err := checkSession(sess); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.insert(ctx, s.write, op, `INSERT INTO sessions (`+sessionColumns+`) VALUES (:id, :token_hash, :user_id,
		:created_at, :updated_at, :expires_at, :auth_time, :amr, :acr, :complete, :second_factor_at, :locked_at,
		:revoked_at, :user_agent, :client_ip)`, toSessionRow(sess))
}

// SessionByTokenHash returns the session unless it is missing, revoked or
// expired at now.
func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (store.Session, error) {
	var r sessionRow
	err := s.get(ctx, s.read, "get session", &r, `SELECT `+sessionColumns+` FROM sessions
		WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`, tokenHash, now.UnixMilli())
	return r.session(), err
}

// UpdateSession writes the mutable fields of sess where the session is not
// revoked. The ID, user, creation and revocation times never change here.
func (s *Store) UpdateSession(ctx context.Context, sess store.Session) error {
	const op = "update session"
	if err := checkSession(sess); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	q, args, err := sqlx.Named(`UPDATE sessions SET token_hash = :token_hash, updated_at = :updated_at,
			expires_at = :expires_at, auth_time = :auth_time, amr = :amr, acr = :acr, complete = :complete,
			second_factor_at = :second_factor_at, locked_at = :locked_at, user_agent = :user_agent,
			client_ip = :client_ip
		WHERE id = :id AND revoked_at IS NULL`, toSessionRow(sess))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.updateOne(ctx, op, q, args...)
}

// RevokeSession ends one session; revoking a revoked or missing one
// succeeds.
func (s *Store) RevokeSession(ctx context.Context, id string, now time.Time) error {
	_, err := s.exec(ctx, s.write, "revoke session", `UPDATE sessions SET revoked_at = ?
		WHERE id = ? AND revoked_at IS NULL`, now.UnixMilli(), id)
	return err
}

// RevokeUserSessions ends every session of the user and revokes every
// refresh and access token issued to them, in one transaction.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string, now time.Time) error {
	const op = "revoke user sessions"
	if userID == "" {
		return fmt.Errorf("%s: empty user ID", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		for _, q := range []string{
			`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
			`UPDATE refresh_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
			`UPDATE access_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
		} {
			if _, err := s.exec(ctx, tx, op, q, now.UnixMilli(), userID); err != nil {
				return err
			}
		}
		return nil
	})
}
