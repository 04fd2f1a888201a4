package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// methodTOTP is the method name of a confirmed authenticator app.
const methodTOTP = "totp"

type totpRow struct {
	UserID          string `db:"user_id"`
	SecretEncrypted []byte `db:"secret_encrypted"`
	CreatedAt       millis `db:"created_at"`
	ConfirmedAt     millis `db:"confirmed_at"`
	LastStep        int64  `db:"last_step"`
}

// SaveTOTPEnrolment stores c unconfirmed, replacing an unconfirmed one. It
// returns store.ErrConflict when the user has a confirmed credential and
// store.ErrNotFound for an unknown user.
func (s *Store) SaveTOTPEnrolment(ctx context.Context, c store.TOTPCredential) error {
	const op = "save TOTP enrolment"
	if c.UserID == "" || len(c.SecretEncrypted) == 0 {
		return fmt.Errorf("%s: user ID and secret are required", op)
	}
	// The conditional upsert leaves a confirmed row alone and reports no
	// change, so the check and the write are one statement.
	n, err := s.exec(ctx, s.write, op, `INSERT INTO totp_credentials (user_id, secret_encrypted, created_at, confirmed_at, last_step)
		VALUES (?, ?, ?, NULL, 0)
		ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = excluded.secret_encrypted,
			created_at = excluded.created_at, last_step = 0
		WHERE totp_credentials.confirmed_at IS NULL`, c.UserID, c.SecretEncrypted, msOrNull(c.CreatedAt))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrConflict)
	}
	return nil
}

// TOTPByUser returns the user's credential, confirmed or not.
func (s *Store) TOTPByUser(ctx context.Context, userID string) (store.TOTPCredential, error) {
	var r totpRow
	err := s.get(ctx, s.read, "get TOTP credential", &r, `SELECT user_id, secret_encrypted, created_at, confirmed_at, last_step
		FROM totp_credentials WHERE user_id = ?`, userID)
	return store.TOTPCredential{
		UserID: r.UserID, SecretEncrypted: r.SecretEncrypted,
		CreatedAt: r.CreatedAt.Time, ConfirmedAt: r.ConfirmedAt.Time, LastStep: r.LastStep,
	}, err
}

// ConfirmTOTP confirms the pending credential at step, replaces the user's
// recovery codes and queues notice, in one transaction.
func (s *Store) ConfirmTOTP(ctx context.Context, userID string, step int64, codeHashes []string, now time.Time, notice *store.OutboundEmail) error {
	const op = "confirm TOTP"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `UPDATE totp_credentials SET confirmed_at = ?, last_step = ?
			WHERE user_id = ? AND confirmed_at IS NULL`, now.UnixMilli(), step, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: no pending credential: %w", op, store.ErrNotFound)
		}
		if err := s.replaceRecoveryCodes(ctx, tx, op, userID, codeHashes, now); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}

func (s *Store) replaceRecoveryCodes(ctx context.Context, tx *sqlx.Tx, op, userID string, codeHashes []string, now time.Time) error {
	if _, err := s.exec(ctx, tx, op, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range codeHashes {
		if h == "" {
			return fmt.Errorf("%s: empty recovery code hash", op)
		}
		if _, err := s.exec(ctx, tx, op, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, h, now.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep records step as used when it is above the last used step.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	const op = "use TOTP step"
	n, err := s.exec(ctx, s.write, op, `UPDATE totp_credentials SET last_step = ?
		WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?`, step, userID, step)
	if err != nil || n == 1 {
		return err
	}

	// Nothing changed: tell a replay from a missing credential.
	c, err := s.TOTPByUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.ConfirmedAt.IsZero()) {
		return fmt.Errorf("%s: no confirmed credential: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: step already used: %w", op, store.ErrConflict)
}

// UseRecoveryCode marks one unused recovery code of the user as used and
// queues notice, in one transaction.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, codeHash string, now time.Time, notice *store.OutboundEmail) error {
	const op = "use recovery code"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `UPDATE recovery_codes SET used_at = ?
			WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, now.UnixMilli(), userID, codeHash)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}

// CountRecoveryCodes returns how many unused recovery codes the user has.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.get(ctx, s.read, "count recovery codes", &n,
		`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID)
	return n, err
}

// Methods returns the user's active 2FA methods, sorted; never nil.
//
// NOTE: only the authenticator app ("totp") is stored so far. The store
// contract has no tables for email or WebAuthn methods yet.
func (s *Store) Methods(ctx context.Context, userID string) ([]string, error) {
	var n int
	if err := s.get(ctx, s.read, "list 2FA methods", &n,
		`SELECT COUNT(*) FROM totp_credentials WHERE user_id = ? AND confirmed_at IS NOT NULL`, userID); err != nil {
		return nil, err
	}
	methods := []string{}
	hasEmail, err := s.hasEmailMethod(ctx, userID)
	if err != nil {
		return nil, err
	}
	if hasEmail {
		methods = append(methods, methodEmail)
	}
	if n > 0 {
		methods = append(methods, methodTOTP)
	}
	hasKey, err := s.hasWebAuthn(ctx, userID)
	if err != nil {
		return nil, err
	}
	if hasKey {
		methods = append(methods, methodWebAuthn)
	}
	return methods, nil
}
