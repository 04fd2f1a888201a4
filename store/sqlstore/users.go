package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const userColumns = `id, email, email_key, name, locale, status, password_hash,
	terms_accepted_at, created_at, last_sign_in_at`

type userRow struct {
	ID              string `db:"id"`
	Email           string `db:"email"`
	EmailKey        string `db:"email_key"`
	Name            string `db:"name"`
	Locale          string `db:"locale"`
	Status          string `db:"status"`
	PasswordHash    string `db:"password_hash"`
	TermsAcceptedAt millis `db:"terms_accepted_at"`
	CreatedAt       millis `db:"created_at"`
	LastSignInAt    millis `db:"last_sign_in_at"`
}

func toUserRow(u store.User) userRow {
	return userRow{
		ID: u.ID, Email: u.Email, EmailKey: u.EmailKey, Name: u.Name, Locale: u.Locale,
		Status: string(u.Status), PasswordHash: u.PasswordHash,
		TermsAcceptedAt: ms(u.TermsAcceptedAt), CreatedAt: ms(u.CreatedAt), LastSignInAt: ms(u.LastSignInAt),
	}
}

func (r userRow) user() store.User {
	return store.User{
		ID: r.ID, Email: r.Email, EmailKey: r.EmailKey, Name: r.Name, Locale: r.Locale,
		Status: store.UserStatus(r.Status), PasswordHash: r.PasswordHash,
		TermsAcceptedAt: r.TermsAcceptedAt.Time, CreatedAt: r.CreatedAt.Time, LastSignInAt: r.LastSignInAt.Time,
	}
}

// checkUser rejects a user that could never be found again or has an
// unknown status.
func checkUser(u store.User) error {
	if u.ID == "" || u.EmailKey == "" {
		return errors.New("user ID and email key are required")
	}
	switch u.Status {
	case store.UserInvited, store.UserActive, store.UserDisabled:
		return nil
	}
	return fmt.Errorf("unknown user status %q", u.Status)
}

// CreateUser inserts u; a taken ID or email key is store.ErrAlreadyExists.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if err := checkUser(u); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return s.insertUser(ctx, s.write, "create user", u)
}

func (s *Store) insertUser(ctx context.Context, e sqlx.ExecerContext, op string, u store.User) error {
	return s.insert(ctx, e, op, `INSERT INTO users (`+userColumns+`) VALUES (:id, :email, :email_key, :name,
		:locale, :status, :password_hash, :terms_accepted_at, :created_at, :last_sign_in_at)`, toUserRow(u))
}

// UserByID returns the user with id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	var r userRow
	err := s.get(ctx, s.read, "get user", &r, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
	return r.user(), err
}

// UserByEmailKey returns the user with the normalised address emailKey, or
// store.ErrNotFound.
func (s *Store) UserByEmailKey(ctx context.Context, emailKey string) (store.User, error) {
	var r userRow
	err := s.get(ctx, s.read, "get user by email", &r, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, emailKey)
	return r.user(), err
}

// ListUsers returns every user with their active 2FA methods, ordered by
// email key. Methods is never nil, so it encodes as a JSON array.
func (s *Store) ListUsers(ctx context.Context) ([]store.UserSummary, error) {
	var rows []userRow
	if err := s.selectRows(ctx, s.read, "list users", &rows, `SELECT `+userColumns+` FROM users ORDER BY email_key`); err != nil {
		return nil, err
	}
	var totpUsers []string
	if err := s.selectRows(ctx, s.read, "list users", &totpUsers,
		`SELECT user_id FROM totp_credentials WHERE confirmed_at IS NOT NULL`); err != nil {
		return nil, err
	}
	hasTOTP := make(map[string]bool, len(totpUsers))
	for _, id := range totpUsers {
		hasTOTP[id] = true
	}

	var keyUsers []string
	if err := s.selectRows(ctx, s.read, "list users", &keyUsers,
		`SELECT DISTINCT user_id FROM webauthn_credentials`); err != nil {
		return nil, err
	}
	hasKey := make(map[string]bool, len(keyUsers))
	for _, id := range keyUsers {
		hasKey[id] = true
	}

	hasEmail, err := s.emailMethodUsers(ctx)
	if err != nil {
		return nil, err
	}

	summaries := make([]store.UserSummary, 0, len(rows))
	for _, r := range rows {
		methods := []string{}
		if hasEmail[r.ID] {
			methods = append(methods, methodEmail)
		}
		if hasTOTP[r.ID] {
			methods = append(methods, methodTOTP)
		}
		if hasKey[r.ID] {
			methods = append(methods, methodWebAuthn)
		}
		summaries = append(summaries, store.UserSummary{User: r.user(), Methods: methods})
	}
	return summaries, nil
}

// CountUsers returns the number of users in every status.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.get(ctx, s.read, "count users", &n, `SELECT COUNT(*) FROM users`)
	return n, err
}

// SetPasswordHash replaces the user's password hash and queues notice in
// the same transaction.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, notice *store.OutboundEmail) error {
	if hash == "" {
		return errors.New("set password hash: empty hash")
	}
	return s.updateOneWithNotice(ctx, "set password hash", notice,
		`UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
}

// RecordSignIn sets the user's last sign-in time.
func (s *Store) RecordSignIn(ctx context.Context, userID string, at time.Time) error {
	return s.updateOne(ctx, "record sign-in", `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, msOrNull(at), userID)
}

// Grants returns the user's permissions, ordered by permission and
// property; an unknown user has none.
func (s *Store) Grants(ctx context.Context, userID string) ([]store.Grant, error) {
	var grants []store.Grant
	err := s.selectRows(ctx, s.read, "list grants", &grants, `SELECT user_id AS userid, permission, property_id AS propertyid
		FROM grants WHERE user_id = ? ORDER BY permission, property_id`, userID)
	return grants, err
}

// updateOne runs an UPDATE on the write pool and returns store.ErrNotFound
// when it changed no row.
func (s *Store) updateOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.exec(ctx, s.write, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}
