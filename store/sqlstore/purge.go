package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// purgeStatements delete rows that expired and can no longer matter. An
// auth request with a code stays until the code expires too, so a replay
// is detected for the code's whole life. Audit events, users and signing
// keys are never purged.
var purgeStatements = []string{
	`DELETE FROM auth_requests WHERE expires_at <= ? AND (code_expires_at IS NULL OR code_expires_at <= ?)`,
	`DELETE FROM sessions WHERE expires_at <= ?`,
	`DELETE FROM invitations WHERE expires_at <= ?`,
	`DELETE FROM access_tokens WHERE expires_at <= ?`,
	`DELETE FROM refresh_tokens WHERE expires_at <= ?`,
	`DELETE FROM throttle_counters WHERE expires_at <= ?`,
	`DELETE FROM outbox WHERE sent_at <= ?`,
	`DELETE FROM email_challenges WHERE code_expires_at <= ? AND (link_expires_at IS NULL OR link_expires_at <= ?)`,
	`DELETE FROM password_resets WHERE expires_at <= ?`,
	`DELETE FROM session_clients WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.id = session_clients.session_id)`,
}

// Purge deletes rows that expired at or before now, in one transaction.
func (s *Store) Purge(ctx context.Context, now time.Time) error {
	const op = "purge"
	at := now.UnixMilli()
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		for _, q := range purgeStatements {
			args := make([]any, strings.Count(q, "?"))
			for i := range args {
				args[i] = at
			}
			if _, err := s.exec(ctx, tx, op, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}
