package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

type invitationRow struct {
	TokenHash string `db:"token_hash"`
	UserID    string `db:"user_id"`
	CreatedAt millis `db:"created_at"`
	ExpiresAt millis `db:"expires_at"`
	UsedAt    millis `db:"used_at"`
}

func (r invitationRow) invitation() store.Invitation {
	return store.Invitation{
		TokenHash: r.TokenHash, UserID: r.UserID,
		CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time, UsedAt: r.UsedAt.Time,
	}
}

// checkInvitation rejects an invitation that could never be accepted. The
// creation time is required because it also stamps the invitations that a
// replacement voids.
func checkInvitation(inv store.Invitation) error {
	if inv.TokenHash == "" || inv.UserID == "" {
		return errors.New("invitation token hash and user ID are required")
	}
	if inv.CreatedAt.IsZero() || inv.ExpiresAt.IsZero() {
		return errors.New("invitation creation and expiry times are required")
	}
	return nil
}

// InviteUser creates u as invited, its grants and inv in one transaction.
// inv.UserID must be u.ID.
func (s *Store) InviteUser(ctx context.Context, u store.User, grants []store.Grant, inv store.Invitation) error {
	return s.inviteUser(ctx, u, grants, inv, nil)
}

// inviteUser is InviteUser that also queues email unless it is nil.
func (s *Store) inviteUser(ctx context.Context, u store.User, grants []store.Grant, inv store.Invitation, email *store.OutboundEmail) error {
	const op = "invite user"
	u.Status = store.UserInvited
	if err := checkUser(u); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkInvitation(inv); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if inv.UserID != u.ID {
		return fmt.Errorf("%s: invitation is for user %q, not %q", op, inv.UserID, u.ID)
	}

	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.insertUser(ctx, tx, op, u); err != nil {
			return err
		}
		for _, g := range grants {
			if _, err := s.exec(ctx, tx, op, `INSERT INTO grants (user_id, permission, property_id) VALUES (?, ?, ?)`,
				u.ID, string(g.Permission), g.PropertyID); err != nil {
				return err
			}
		}
		if err := s.insertInvitation(ctx, tx, op, inv); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, email)
	})
}

func (s *Store) insertInvitation(ctx context.Context, e sqlx.ExecerContext, op string, inv store.Invitation) error {
	_, err := s.exec(ctx, e, op, `INSERT INTO invitations (token_hash, user_id, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?)`, inv.TokenHash, inv.UserID, msOrNull(inv.CreatedAt), msOrNull(inv.ExpiresAt), msOrNull(inv.UsedAt))
	return err
}

// ReplaceInvitation voids the user's unused invitations and stores inv, in
// one transaction. An unknown user is store.ErrNotFound.
func (s *Store) ReplaceInvitation(ctx context.Context, inv store.Invitation) error {
	return s.replaceInvitation(ctx, inv, nil)
}

// replaceInvitation is ReplaceInvitation that also queues email unless it
// is nil.
func (s *Store) replaceInvitation(ctx context.Context, inv store.Invitation, email *store.OutboundEmail) error {
	const op = "replace invitation"
	if err := checkInvitation(inv); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, op, `UPDATE invitations SET voided_at = ?
			WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL`, msOrNull(inv.CreatedAt), inv.UserID); err != nil {
			return err
		}
		if err := s.insertInvitation(ctx, tx, op, inv); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, email)
	})
}

// InvitationByHash returns an invitation that is unused, not voided and not
// expired at now.
func (s *Store) InvitationByHash(ctx context.Context, tokenHash string, now time.Time) (store.Invitation, error) {
	var r invitationRow
	err := s.get(ctx, s.read, "get invitation", &r, `SELECT token_hash, user_id, created_at, expires_at, used_at
		FROM invitations WHERE token_hash = ? AND used_at IS NULL AND voided_at IS NULL AND expires_at > ?`,
		tokenHash, now.UnixMilli())
	return r.invitation(), err
}

// AcceptInvitation consumes the invitation and activates its invited user,
// in one transaction; anything else is store.ErrNotFound and changes
// nothing.
func (s *Store) AcceptInvitation(ctx context.Context, tokenHash, passwordHash string, now time.Time) (store.User, error) {
	const op = "accept invitation"
	if passwordHash == "" {
		return store.User{}, fmt.Errorf("%s: empty password hash", op)
	}

	var u userRow
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var userID string
		if err := s.get(ctx, tx, op, &userID, `UPDATE invitations SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND voided_at IS NULL AND expires_at > ?
			RETURNING user_id`, now.UnixMilli(), tokenHash, now.UnixMilli()); err != nil {
			return err
		}
		return s.get(ctx, tx, op, &u, `UPDATE users SET status = ?, password_hash = ?, terms_accepted_at = ?
			WHERE id = ? AND status = ? RETURNING `+userColumns,
			string(store.UserActive), passwordHash, now.UnixMilli(), userID, string(store.UserInvited))
	})
	if err != nil {
		return store.User{}, err
	}
	return u.user(), nil
}
