package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// DeleteTOTP removes the user's authenticator app, confirmed or pending,
// and queues notice in the same transaction.
func (s *Store) DeleteTOTP(ctx context.Context, userID string, notice *store.OutboundEmail) error {
	return s.updateOneWithNotice(ctx, "delete TOTP", notice, `DELETE FROM totp_credentials WHERE user_id = ?`, userID)
}

// ReplaceRecoveryCodes replaces every recovery code of the user.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes []string, now time.Time) error {
	const op = "replace recovery codes"
	if userID == "" || len(codeHashes) == 0 {
		return fmt.Errorf("%s: user ID and code hashes are required", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		return s.replaceRecoveryCodes(ctx, tx, op, userID, codeHashes, now)
	})
}

// RevokeOtherSessions ends the user's live sessions except keepID, and
// revokes the access and refresh tokens issued under them.
func (s *Store) RevokeOtherSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error) {
	const op = "revoke other sessions"
	if userID == "" {
		return 0, fmt.Errorf("%s: empty user ID", op)
	}
	at := now.UnixMilli()
	var ended int64
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var ids []string
		if err := s.selectRows(ctx, tx, op, &ids, `SELECT id FROM sessions
			WHERE user_id = ? AND id <> ? AND revoked_at IS NULL`, userID, keepID); err != nil {
			return err
		}
		for _, id := range ids {
			n, err := s.exec(ctx, tx, op, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at, id)
			if err != nil {
				return err
			}
			ended += n
			for _, q := range []string{
				`UPDATE refresh_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL`,
				`UPDATE access_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL`,
			} {
				if _, err := s.exec(ctx, tx, op, q, at, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return int(ended), err
}

// TouchSession records activity in a session that is not revoked or
// locked.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, s.write, "touch session", `UPDATE sessions SET updated_at = ?
		WHERE id = ? AND revoked_at IS NULL AND locked_at IS NULL`, at.UnixMilli(), id)
	return err
}

// LockSession locks a live session once. Locking a locked one keeps its
// first lock time.
func (s *Store) LockSession(ctx context.Context, id string, at time.Time) error {
	const op = "lock session"
	n, err := s.exec(ctx, s.write, op, `UPDATE sessions SET locked_at = COALESCE(locked_at, ?)
		WHERE id = ? AND revoked_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}
