package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// maxLastError bounds the error text stored with a failed email.
const maxLastError = 1000

const outboxColumns = `id, kind, recipient, language, subject_sealed, text_sealed, html_sealed,
	created_at, next_attempt_at, sent_at, failed_at, attempts, last_error, lease_token, lease_until`

type outboxRow struct {
	ID            string `db:"id"`
	Kind          string `db:"kind"`
	Recipient     string `db:"recipient"`
	Language      string `db:"language"`
	SubjectSealed []byte `db:"subject_sealed"`
	TextSealed    []byte `db:"text_sealed"`
	HTMLSealed    []byte `db:"html_sealed"`
	CreatedAt     millis `db:"created_at"`
	NextAttemptAt millis `db:"next_attempt_at"`
	SentAt        millis `db:"sent_at"`
	FailedAt      millis `db:"failed_at"`
	Attempts      int    `db:"attempts"`
	LastError     string `db:"last_error"`
	LeaseToken    string `db:"lease_token"`
	LeaseUntil    millis `db:"lease_until"`
}

func (r outboxRow) email() store.OutboundEmail {
	return store.OutboundEmail{
		ID: r.ID, Kind: r.Kind, Recipient: r.Recipient, Language: r.Language,
		SubjectSealed: r.SubjectSealed, TextSealed: r.TextSealed, HTMLSealed: r.HTMLSealed,
		CreatedAt: r.CreatedAt.Time, NextAttemptAt: r.NextAttemptAt.Time, SentAt: r.SentAt.Time,
		FailedAt: r.FailedAt.Time, Attempts: r.Attempts, LastError: r.LastError,
		LeaseToken: r.LeaseToken, LeaseUntil: r.LeaseUntil.Time,
	}
}

// checkEmail rejects an email the sender could not deliver.
func checkEmail(e store.OutboundEmail) error {
	switch {
	case e.ID == "" || e.Kind == "" || e.Recipient == "":
		return errors.New("email ID, kind and recipient are required")
	case len(e.SubjectSealed) == 0 || len(e.TextSealed) == 0 || len(e.HTMLSealed) == 0:
		return errors.New("email subject and bodies are required")
	case e.CreatedAt.IsZero():
		return errors.New("email creation time is required")
	}
	return nil
}

// insertEmail adds e to the outbox within the caller's transaction. An
// email without NextAttemptAt is due at once.
func (s *Store) insertEmail(ctx context.Context, e sqlx.ExecerContext, op string, m store.OutboundEmail) error {
	if err := checkEmail(m); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	_, err := s.exec(ctx, e, op, `INSERT INTO outbox (`+outboxColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, '', '', NULL)`,
		m.ID, m.Kind, m.Recipient, m.Language, m.SubjectSealed, m.TextSealed, m.HTMLSealed,
		m.CreatedAt.UnixMilli(), m.NextAttemptAt.UnixMilli())
	return err
}

// insertOptionalEmail inserts m unless it is nil.
func (s *Store) insertOptionalEmail(ctx context.Context, e sqlx.ExecerContext, op string, m *store.OutboundEmail) error {
	if m == nil {
		return nil
	}
	return s.insertEmail(ctx, e, op, *m)
}

// QueueEmails inserts emails into the outbox in one transaction.
func (s *Store) QueueEmails(ctx context.Context, emails ...store.OutboundEmail) error {
	const op = "queue emails"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		for _, m := range emails {
			if err := s.insertEmail(ctx, tx, op, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClaimEmails leases due emails. On PostgreSQL the rows are selected with
// FOR UPDATE SKIP LOCKED, so senders on other nodes skip rows being
// claimed instead of waiting for them; the lease written in the same
// transaction keeps the rows theirs after the commit. On SQLite the write
// transaction alone excludes other claims.
func (s *Store) ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.OutboundEmail, error) {
	const op = "claim emails"
	if lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("%s: lease %s and limit %d must be positive", op, lease, limit)
	}
	lock := ""
	if s.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var claimed []store.OutboundEmail
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var rows []outboxRow
		if err := s.selectRows(ctx, tx, op, &rows, `SELECT `+outboxColumns+` FROM outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
				AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`+lock, now.UnixMilli(), now.UnixMilli(), limit); err != nil {
			return err
		}
		until := now.Add(lease)
		for _, r := range rows {
			r.LeaseToken, r.LeaseUntil = secret.ID(), ms(until)
			if _, err := s.exec(ctx, tx, op, `UPDATE outbox SET lease_token = ?, lease_until = ? WHERE id = ?`,
				r.LeaseToken, until.UnixMilli(), r.ID); err != nil {
				return err
			}
			claimed = append(claimed, r.email())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// MarkEmailSent records the delivery of an email that leaseToken holds.
func (s *Store) MarkEmailSent(ctx context.Context, id, leaseToken string, now time.Time) error {
	return s.updateOne(ctx, "mark email sent", `UPDATE outbox
		SET sent_at = ?, attempts = attempts + 1, last_error = '', lease_token = '', lease_until = NULL
		WHERE id = ? AND lease_token = ? AND lease_token <> '' AND sent_at IS NULL`, now.UnixMilli(), id, leaseToken)
}

// MarkEmailFailed records a failed attempt and releases the lease.
func (s *Store) MarkEmailFailed(ctx context.Context, id, leaseToken, lastError string, next, now time.Time) error {
	if len(lastError) > maxLastError {
		lastError = lastError[:maxLastError]
	}
	lastError = strings.ToValidUTF8(lastError, "")
	nextAt, failedAt := msOrNull(next), any(nil)
	if next.IsZero() {
		nextAt, failedAt = now.UnixMilli(), now.UnixMilli()
	}
	return s.updateOne(ctx, "mark email failed", `UPDATE outbox
		SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, failed_at = ?,
			lease_token = '', lease_until = NULL
		WHERE id = ? AND lease_token = ? AND lease_token <> '' AND sent_at IS NULL`,
		lastError, nextAt, failedAt, id, leaseToken)
}

// OutboxStats counts pending and given-up emails in one scan.
func (s *Store) OutboxStats(ctx context.Context) (store.OutboxStats, error) {
	var row struct {
		Pending  int    `db:"pending"`
		Failed   int    `db:"failed"`
		Attempts int    `db:"attempts"`
		Oldest   millis `db:"oldest"`
	}
	err := s.get(ctx, s.read, "count outbox", &row, `SELECT
			COALESCE(SUM(CASE WHEN failed_at IS NULL AND sent_at IS NULL THEN 1 ELSE 0 END), 0) AS pending,
			COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed,
			COALESCE(SUM(CASE WHEN failed_at IS NULL AND sent_at IS NULL THEN attempts ELSE 0 END), 0) AS attempts,
			MIN(CASE WHEN failed_at IS NULL AND sent_at IS NULL THEN created_at END) AS oldest
		FROM outbox`)
	if err != nil {
		return store.OutboxStats{}, err
	}
	return store.OutboxStats{Pending: row.Pending, Failed: row.Failed, PendingAttempts: row.Attempts,
		OldestPending: row.Oldest.Time}, nil
}

// OutboxEmails returns every email, oldest first.
func (s *Store) OutboxEmails(ctx context.Context) ([]store.OutboundEmail, error) {
	var rows []outboxRow
	if err := s.selectRows(ctx, s.read, "list outbox", &rows,
		`SELECT `+outboxColumns+` FROM outbox ORDER BY created_at, id`); err != nil {
		return nil, err
	}
	out := make([]store.OutboundEmail, len(rows))
	for i, r := range rows {
		out[i] = r.email()
	}
	return out, nil
}
