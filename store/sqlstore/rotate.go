package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// RotateRefreshToken marks the token with oldHash used and stores at and
// next, in one transaction. The conditional UPDATE lets exactly one of
// concurrent rotations win. The others find the token used, so they revoke
// its whole family and return store.ErrReused. The winner's new tokens are
// revoked too, because a stolen copy may be the one that won. A revoked,
// expired or unknown token is store.ErrNotFound.
//
// next joins the old token's family whatever next.FamilyID says, and must
// name the same client and subject.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, at store.AccessToken, next store.RefreshToken, now time.Time) error {
	const op = "rotate refresh token"
	if err := checkAccessToken(at); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}

	// reusedFamily is set when the token was used before; the transaction
	// then commits the family's revocation and the call returns ErrReused.
	var reusedFamily string
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		var old refreshTokenRow
		err := s.get(ctx, tx, op, &old, `UPDATE refresh_tokens SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
			RETURNING `+refreshTokenColumns, now.UnixMilli(), oldHash, now.UnixMilli())
		if errors.Is(err, store.ErrNotFound) {
			reusedFamily, err = s.revokeReusedFamily(ctx, tx, op, oldHash, now)
			return err
		}
		if err != nil {
			return err
		}

		next.FamilyID = old.FamilyID
		if err := checkRefreshToken(next); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if next.ClientID != old.ClientID || next.Subject != old.Subject || at.ClientID != old.ClientID || at.Subject != old.Subject {
			return fmt.Errorf("%s: new tokens must keep the client and subject of the old one", op)
		}
		if err := s.insertAccessToken(ctx, tx, op, at); err != nil {
			return err
		}
		return s.insertRefreshToken(ctx, tx, op, next)
	})
	if err != nil {
		return err
	}
	if reusedFamily != "" {
		s.logger.Warn("refresh token reused, family revoked", "family_id", reusedFamily)
		return fmt.Errorf("%s: %w", op, store.ErrReused)
	}
	return nil
}

// revokeReusedFamily runs after the conditional UPDATE found no usable
// token. When the token was used before, it revokes the token's family and
// returns the family ID; an unknown, revoked or expired token is
// store.ErrNotFound.
func (s *Store) revokeReusedFamily(ctx context.Context, tx *sqlx.Tx, op, oldHash string, now time.Time) (string, error) {
	var familyID string
	// Locking the presented token first, as the winning rotation did,
	// orders the losers behind one another instead of letting two of them
	// lock the family's rows in different orders and deadlock.
	err := s.get(ctx, tx, op, &familyID, `SELECT family_id FROM refresh_tokens
		WHERE token_hash = ? AND used_at IS NOT NULL`+s.forUpdate(), oldHash)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%s: token unknown, revoked or expired: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return familyID, s.revokeFamily(ctx, tx, op, familyID, now)
}
