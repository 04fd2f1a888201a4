package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hotelsoft/idp/store"
)

const signingKeyColumns = `id, algorithm, private_encrypted, public_jwk, created_at, active_from, retired_at, expires_at`

type signingKeyRow struct {
	ID               string `db:"id"`
	Algorithm        string `db:"algorithm"`
	PrivateEncrypted []byte `db:"private_encrypted"`
	PublicJWK        []byte `db:"public_jwk"`
	CreatedAt        millis `db:"created_at"`
	ActiveFrom       millis `db:"active_from"`
	RetiredAt        millis `db:"retired_at"`
	ExpiresAt        millis `db:"expires_at"`
}

// CreateSigningKey inserts k; a taken ID is store.ErrAlreadyExists.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	const op = "create signing key"
	if k.ID == "" || len(k.PrivateEncrypted) == 0 || len(k.PublicJWK) == 0 {
		return fmt.Errorf("%s: ID, private key and public key are required", op)
	}
	return s.insert(ctx, s.write, op, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (:id, :algorithm,
		:private_encrypted, :public_jwk, :created_at, :active_from, :retired_at, :expires_at)`, signingKeyRow{
		ID: k.ID, Algorithm: k.Algorithm, PrivateEncrypted: k.PrivateEncrypted, PublicJWK: k.PublicJWK,
		CreatedAt: ms(k.CreatedAt), ActiveFrom: ms(k.ActiveFrom), RetiredAt: ms(k.RetiredAt), ExpiresAt: ms(k.ExpiresAt),
	})
}

// SigningKeys returns every key not expired at now, newest first.
func (s *Store) SigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	var rows []signingKeyRow
	if err := s.selectRows(ctx, s.read, "list signing keys", &rows, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at DESC, id DESC`, now.UnixMilli()); err != nil {
		return nil, err
	}
	keys := make([]store.SigningKey, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, store.SigningKey{
			ID: r.ID, Algorithm: r.Algorithm, PrivateEncrypted: r.PrivateEncrypted, PublicJWK: r.PublicJWK,
			CreatedAt: r.CreatedAt.Time, ActiveFrom: r.ActiveFrom.Time, RetiredAt: r.RetiredAt.Time, ExpiresAt: r.ExpiresAt.Time,
		})
	}
	return keys, nil
}

// RetireSigningKey sets the retirement and expiry times of a key; an
// unknown ID is store.ErrNotFound.
func (s *Store) RetireSigningKey(ctx context.Context, id string, retiredAt, expiresAt time.Time) error {
	const op = "retire signing key"
	if retiredAt.IsZero() || expiresAt.IsZero() {
		return fmt.Errorf("%s: retirement and expiry times are required", op)
	}
	return s.updateOne(ctx, op, `UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE id = ?`,
		retiredAt.UnixMilli(), expiresAt.UnixMilli(), id)
}
