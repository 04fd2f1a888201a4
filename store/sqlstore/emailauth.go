package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// methodEmail is the method name of an activated email second factor.
const methodEmail = "email"

// InviteUserWithEmail creates u as invited with its grants and inv, and
// queues the welcome email, in one transaction.
func (s *Store) InviteUserWithEmail(ctx context.Context, u store.User, grants []store.Grant, inv store.Invitation, email store.OutboundEmail) error {
	return s.inviteUser(ctx, u, grants, inv, &email)
}

// ReplaceInvitationWithEmail voids the user's unused invitations, stores
// inv and queues the invitation email, in one transaction.
func (s *Store) ReplaceInvitationWithEmail(ctx context.Context, inv store.Invitation, email store.OutboundEmail) error {
	return s.replaceInvitation(ctx, inv, &email)
}

const challengeColumns = `id, user_id, binding_hash, link_hash, code_hash, created_at, link_expires_at,
	code_expires_at, attempts, verified_at, used_at, voided_at`

type challengeRow struct {
	ID            string  `db:"id"`
	UserID        string  `db:"user_id"`
	BindingHash   string  `db:"binding_hash"`
	LinkHash      *string `db:"link_hash"`
	CodeHash      string  `db:"code_hash"`
	CreatedAt     millis  `db:"created_at"`
	LinkExpiresAt millis  `db:"link_expires_at"`
	CodeExpiresAt millis  `db:"code_expires_at"`
	Attempts      int     `db:"attempts"`
	VerifiedAt    millis  `db:"verified_at"`
	UsedAt        millis  `db:"used_at"`
	VoidedAt      millis  `db:"voided_at"`
}

func (r challengeRow) challenge() store.EmailChallenge {
	c := store.EmailChallenge{
		ID: r.ID, UserID: r.UserID, BindingHash: r.BindingHash, CodeHash: r.CodeHash,
		CreatedAt: r.CreatedAt.Time, LinkExpiresAt: r.LinkExpiresAt.Time, CodeExpiresAt: r.CodeExpiresAt.Time,
		Attempts: r.Attempts, VerifiedAt: r.VerifiedAt.Time, UsedAt: r.UsedAt.Time, VoidedAt: r.VoidedAt.Time,
	}
	if r.LinkHash != nil {
		c.LinkHash = *r.LinkHash
	}
	return c
}

// CreateEmailChallenge voids the user's open challenges, stores c and
// queues email, in one transaction.
func (s *Store) CreateEmailChallenge(ctx context.Context, c store.EmailChallenge, email store.OutboundEmail) error {
	const op = "create email challenge"
	switch {
	case c.ID == "" || c.UserID == "" || c.BindingHash == "" || c.CodeHash == "":
		return fmt.Errorf("%s: ID, user ID, binding hash and code hash are required", op)
	case c.CreatedAt.IsZero() || c.CodeExpiresAt.IsZero():
		return fmt.Errorf("%s: creation and code expiry times are required", op)
	case c.LinkHash != "" && c.LinkExpiresAt.IsZero():
		return fmt.Errorf("%s: a link needs an expiry time", op)
	}
	var link any
	if c.LinkHash != "" {
		link = c.LinkHash
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, op, `UPDATE email_challenges SET voided_at = ?
			WHERE user_id = ? AND voided_at IS NULL AND used_at IS NULL`, c.CreatedAt.UnixMilli(), c.UserID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, op, `INSERT INTO email_challenges (`+challengeColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL)`,
			c.ID, c.UserID, c.BindingHash, link, c.CodeHash, c.CreatedAt.UnixMilli(),
			msOrNull(c.LinkExpiresAt), c.CodeExpiresAt.UnixMilli()); err != nil {
			return err
		}
		return s.insertEmail(ctx, tx, op, email)
	})
}

// LatestEmailChallenge returns the newest challenge bound to bindingHash.
func (s *Store) LatestEmailChallenge(ctx context.Context, bindingHash string) (store.EmailChallenge, error) {
	var r challengeRow
	err := s.get(ctx, s.read, "get latest email challenge", &r, `SELECT `+challengeColumns+`
		FROM email_challenges WHERE binding_hash = ? ORDER BY created_at DESC, id DESC LIMIT 1`, bindingHash)
	return r.challenge(), err
}

// LatestUserEmailChallenge returns the user's newest challenge.
func (s *Store) LatestUserEmailChallenge(ctx context.Context, userID string) (store.EmailChallenge, error) {
	var r challengeRow
	err := s.get(ctx, s.read, "get latest user email challenge", &r, `SELECT `+challengeColumns+`
		FROM email_challenges WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, userID)
	return r.challenge(), err
}

// VerifyEmailLink marks the challenge of a live link verified, with one
// conditional UPDATE, so only a request bound to the right session wins.
func (s *Store) VerifyEmailLink(ctx context.Context, linkHash, bindingHash string, now time.Time) (store.EmailChallenge, error) {
	var r challengeRow
	if linkHash == "" || bindingHash == "" {
		return store.EmailChallenge{}, fmt.Errorf("verify email link: %w", store.ErrNotFound)
	}
	err := s.get(ctx, s.write, "verify email link", &r, `UPDATE email_challenges SET verified_at = ?
		WHERE link_hash = ? AND binding_hash = ? AND verified_at IS NULL AND voided_at IS NULL
			AND used_at IS NULL AND link_expires_at > ?
		RETURNING `+challengeColumns, now.UnixMilli(), linkHash, bindingHash, now.UnixMilli())
	return r.challenge(), err
}

// VerifyEmailCode checks a code under a row lock, so concurrent guesses
// are counted one by one.
func (s *Store) VerifyEmailCode(ctx context.Context, id, codeHash string, maxAttempts int, now time.Time) error {
	const op = "verify email code"
	wrong := false
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var r challengeRow
		if err := s.get(ctx, tx, op, &r, `SELECT `+challengeColumns+` FROM email_challenges
			WHERE id = ? AND verified_at IS NULL AND voided_at IS NULL AND used_at IS NULL
				AND code_expires_at > ? AND attempts < ?`+s.forUpdate(),
			id, now.UnixMilli(), maxAttempts); err != nil {
			return err
		}
		if codeHash == "" || !secret.Equal(r.CodeHash, codeHash) {
			// The attempt must be committed, so the error comes after.
			wrong = true
			_, err := s.exec(ctx, tx, op, `UPDATE email_challenges SET attempts = attempts + 1 WHERE id = ?`, id)
			return err
		}
		_, err := s.exec(ctx, tx, op, `UPDATE email_challenges SET verified_at = ? WHERE id = ?`, now.UnixMilli(), id)
		return err
	})
	if err == nil && wrong {
		return fmt.Errorf("%s: wrong code: %w", op, store.ErrConflict)
	}
	return err
}

// UseEmailChallenge consumes a verified challenge and activates the email
// method of its user, in one transaction.
func (s *Store) UseEmailChallenge(ctx context.Context, id string, now time.Time, notice *store.OutboundEmail) (bool, error) {
	const op = "use email challenge"
	activated := false
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var userID string
		if err := s.get(ctx, tx, op, &userID, `UPDATE email_challenges SET used_at = ?
			WHERE id = ? AND verified_at IS NOT NULL AND used_at IS NULL AND voided_at IS NULL
			RETURNING user_id`, now.UnixMilli(), id); err != nil {
			return err
		}
		n, err := s.exec(ctx, tx, op, `INSERT INTO email_methods (user_id, confirmed_at) VALUES (?, ?)
			ON CONFLICT (user_id) DO NOTHING`, userID, now.UnixMilli())
		if err != nil {
			return err
		}
		activated = n == 1
		if activated && notice != nil {
			return s.insertEmail(ctx, tx, op, *notice)
		}
		return nil
	})
	return activated, err
}

// RemoveEmailMethod turns the email method off and voids open challenges,
// in one transaction.
func (s *Store) RemoveEmailMethod(ctx context.Context, userID string, now time.Time, notice *store.OutboundEmail) error {
	const op = "remove email method"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `DELETE FROM email_methods WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		if _, err := s.exec(ctx, tx, op, `UPDATE email_challenges SET voided_at = ?
			WHERE user_id = ? AND voided_at IS NULL AND used_at IS NULL`, now.UnixMilli(), userID); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}

const resetColumns = `token_hash, user_id, created_at, expires_at, factor_at, used_at`

type resetRow struct {
	TokenHash string `db:"token_hash"`
	UserID    string `db:"user_id"`
	CreatedAt millis `db:"created_at"`
	ExpiresAt millis `db:"expires_at"`
	FactorAt  millis `db:"factor_at"`
	UsedAt    millis `db:"used_at"`
}

// RequestPasswordReset voids the user's unused resets, stores r and
// queues email, in one transaction.
func (s *Store) RequestPasswordReset(ctx context.Context, r store.PasswordReset, email store.OutboundEmail) error {
	const op = "request password reset"
	if r.TokenHash == "" || r.UserID == "" || r.CreatedAt.IsZero() || r.ExpiresAt.IsZero() {
		return fmt.Errorf("%s: token hash, user ID, creation and expiry times are required", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, op, `UPDATE password_resets SET voided_at = ?
			WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL`, r.CreatedAt.UnixMilli(), r.UserID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, op, `INSERT INTO password_resets (`+resetColumns+`, voided_at)
			VALUES (?, ?, ?, ?, NULL, NULL, NULL)`, r.TokenHash, r.UserID, r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli()); err != nil {
			return err
		}
		return s.insertEmail(ctx, tx, op, email)
	})
}

// liveReset is the condition of a reset that can still be used.
const liveReset = `token_hash = ? AND used_at IS NULL AND voided_at IS NULL AND expires_at > ?`

// PasswordResetByHash returns a live reset.
func (s *Store) PasswordResetByHash(ctx context.Context, tokenHash string, now time.Time) (store.PasswordReset, error) {
	var r resetRow
	err := s.get(ctx, s.read, "get password reset", &r, `SELECT `+resetColumns+` FROM password_resets
		WHERE `+liveReset, tokenHash, now.UnixMilli())
	return store.PasswordReset{
		TokenHash: r.TokenHash, UserID: r.UserID, CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time,
		FactorAt: r.FactorAt.Time, UsedAt: r.UsedAt.Time,
	}, err
}

// PassPasswordResetFactor records the second factor of a live reset.
func (s *Store) PassPasswordResetFactor(ctx context.Context, tokenHash string, now time.Time) error {
	return s.updateOne(ctx, "pass password reset factor", `UPDATE password_resets SET factor_at = ?
		WHERE `+liveReset, now.UnixMilli(), tokenHash, now.UnixMilli())
}

// ResetPassword consumes the reset, sets the password, ends every session
// and token of the user and queues notice, in one transaction.
func (s *Store) ResetPassword(ctx context.Context, tokenHash, passwordHash string, factorRequired bool, now time.Time, notice store.OutboundEmail) (store.User, error) {
	const op = "reset password"
	if passwordHash == "" {
		return store.User{}, fmt.Errorf("%s: empty password hash", op)
	}
	cond := liveReset
	if factorRequired {
		cond += ` AND factor_at IS NOT NULL`
	}
	var u userRow
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var userID string
		if err := s.get(ctx, tx, op, &userID, `UPDATE password_resets SET used_at = ? WHERE `+cond+`
			RETURNING user_id`, now.UnixMilli(), tokenHash, now.UnixMilli()); err != nil {
			return err
		}
		if err := s.get(ctx, tx, op, &u, `UPDATE users SET password_hash = ? WHERE id = ? AND status = ?
			RETURNING `+userColumns, passwordHash, userID, string(store.UserActive)); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
			`UPDATE refresh_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
			`UPDATE access_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
		} {
			if _, err := s.exec(ctx, tx, op, q, now.UnixMilli(), userID); err != nil {
				return err
			}
		}
		return s.insertEmail(ctx, tx, op, notice)
	})
	if err != nil {
		return store.User{}, err
	}
	return u.user(), nil
}

// hasEmailMethod reports whether the user activated the email method.
func (s *Store) hasEmailMethod(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.get(ctx, s.read, "list 2FA methods", &n, `SELECT COUNT(*) FROM email_methods WHERE user_id = ?`, userID)
	return n > 0, err
}

// emailMethodUsers returns the set of users who activated the email
// method.
func (s *Store) emailMethodUsers(ctx context.Context) (map[string]bool, error) {
	var ids []string
	if err := s.selectRows(ctx, s.read, "list users", &ids, `SELECT user_id FROM email_methods`); err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}
