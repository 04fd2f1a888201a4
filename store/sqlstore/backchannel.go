package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const logoutDeliveryColumns = `session_id, client_id, subject, uri, attempts, next_attempt_at, created_at`

type logoutDeliveryRow struct {
	SessionID     string `db:"session_id"`
	ClientID      string `db:"client_id"`
	Subject       string `db:"subject"`
	URI           string `db:"uri"`
	Attempts      int    `db:"attempts"`
	NextAttemptAt millis `db:"next_attempt_at"`
	CreatedAt     millis `db:"created_at"`
}

func (r logoutDeliveryRow) delivery() store.LogoutDelivery {
	return store.LogoutDelivery{
		SessionID: r.SessionID, ClientID: r.ClientID, Subject: r.Subject, URI: r.URI,
		Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.Time, CreatedAt: r.CreatedAt.Time,
	}
}

// skipLocked returns the clause that locks the selected rows and skips rows
// that another transaction holds. SQLite needs none, because a write
// transaction there already excludes every other writer.
func (s *Store) skipLocked() string {
	if s.dialect == DialectPostgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// recordSessionClient notes that a client received a token under a
// session, so that the client gets a logout token when the session ends.
// It outlives the tokens, which Purge deletes when they expire.
func (s *Store) recordSessionClient(ctx context.Context, tx *sqlx.Tx, op string, at store.AccessToken) error {
	if at.SessionID == "" || at.ClientID == "" {
		return nil
	}
	_, err := s.exec(ctx, tx, op, `INSERT INTO session_clients (session_id, client_id, subject, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (session_id, client_id) DO NOTHING`,
		at.SessionID, at.ClientID, at.Subject, at.CreatedAt.UnixMilli())
	return err
}

// QueueEndedSessions queues the logout deliveries of revoked sessions not
// queued yet.
func (s *Store) QueueEndedSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	const op = "queue ended sessions"
	if limit <= 0 {
		return 0, fmt.Errorf("%s: limit %d must be positive", op, limit)
	}
	// Every node polls, so an idle poll reads instead of taking a write
	// transaction, which on SQLite would queue behind sign-ins.
	if found, err := s.exists(ctx, op, `SELECT 1 FROM sessions
		WHERE revoked_at IS NOT NULL AND logout_queued_at IS NULL LIMIT 1`); err != nil || !found {
		return 0, err
	}
	var ids []string
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.selectRows(ctx, tx, op, &ids, `SELECT id FROM sessions
			WHERE revoked_at IS NOT NULL AND logout_queued_at IS NULL
			ORDER BY revoked_at LIMIT ?`+s.skipLocked(), limit); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
		args := make([]any, 0, len(ids)+2)
		args = append(args, now.UnixMilli(), now.UnixMilli())
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := s.exec(ctx, tx, op, `INSERT INTO logout_deliveries (`+logoutDeliveryColumns+`)
			SELECT sc.session_id, sc.client_id, sc.subject, c.backchannel_logout_uri, 0, ?, ?
			FROM session_clients sc JOIN clients c ON c.id = sc.client_id
			WHERE c.backchannel_logout_uri <> '' AND sc.session_id IN `+in+`
			ON CONFLICT (session_id, client_id) DO NOTHING`, args...); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, op, `UPDATE sessions SET logout_queued_at = ? WHERE id IN `+in,
			append([]any{now.UnixMilli()}, args[2:]...)...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// ClaimLogoutDeliveries leases due deliveries by moving their next attempt
// to now+lease in the transaction that selects them.
func (s *Store) ClaimLogoutDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.LogoutDelivery, error) {
	const op = "claim logout deliveries"
	if lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("%s: lease %s and limit %d must be positive", op, lease, limit)
	}
	if found, err := s.exists(ctx, op, `SELECT 1 FROM logout_deliveries WHERE next_attempt_at <= ? LIMIT 1`,
		now.UnixMilli()); err != nil || !found {
		return nil, err
	}
	var claimed []store.LogoutDelivery
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var rows []logoutDeliveryRow
		if err := s.selectRows(ctx, tx, op, &rows, `SELECT `+logoutDeliveryColumns+` FROM logout_deliveries
			WHERE next_attempt_at <= ? ORDER BY next_attempt_at, session_id, client_id LIMIT ?`+s.skipLocked(),
			now.UnixMilli(), limit); err != nil {
			return err
		}
		until := now.Add(lease)
		for _, r := range rows {
			if _, err := s.exec(ctx, tx, op, `UPDATE logout_deliveries SET attempts = attempts + 1, next_attempt_at = ?
				WHERE session_id = ? AND client_id = ?`, until.UnixMilli(), r.SessionID, r.ClientID); err != nil {
				return err
			}
			d := r.delivery()
			d.Attempts++
			d.NextAttemptAt = until
			claimed = append(claimed, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// DeleteLogoutDelivery removes a delivery.
func (s *Store) DeleteLogoutDelivery(ctx context.Context, sessionID, clientID string) error {
	_, err := s.exec(ctx, s.write, "delete logout delivery",
		`DELETE FROM logout_deliveries WHERE session_id = ? AND client_id = ?`, sessionID, clientID)
	return err
}

// RetryLogoutDelivery postpones a delivery that failed.
func (s *Store) RetryLogoutDelivery(ctx context.Context, sessionID, clientID string, next time.Time) error {
	return s.updateOne(ctx, "retry logout delivery", `UPDATE logout_deliveries SET next_attempt_at = ?
		WHERE session_id = ? AND client_id = ?`, next.UnixMilli(), sessionID, clientID)
}

// exists reports whether query, outside a transaction, returns a row.
func (s *Store) exists(ctx context.Context, op, query string, args ...any) (bool, error) {
	var one int
	err := s.get(ctx, s.read, op, &one, query, args...)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
