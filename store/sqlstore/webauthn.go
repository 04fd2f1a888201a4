package sqlstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// methodWebAuthn is the method name of security keys and passkeys.
const methodWebAuthn = "webauthn"

// Credential IDs and user handles are stored as unpadded base64url TEXT,
// so that one UNIQUE index and one equality lookup work in both dialects.
var b64 = base64.RawURLEncoding

// EnsureWebAuthnHandle returns the user's handle, storing candidate when
// the user has none. Of concurrent callers, the first insert wins and every
// caller returns the stored handle.
func (s *Store) EnsureWebAuthnHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error) {
	const op = "ensure WebAuthn handle"
	if len(candidate) == 0 {
		return nil, fmt.Errorf("%s: empty candidate handle", op)
	}
	if _, err := s.exec(ctx, s.write, op, `INSERT INTO webauthn_handles (user_id, handle) VALUES (?, ?)
		ON CONFLICT (user_id) DO NOTHING`, userID, b64.EncodeToString(candidate)); err != nil {
		return nil, err
	}
	var handle string
	if err := s.get(ctx, s.write, op, &handle, `SELECT handle FROM webauthn_handles WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	return b64.DecodeString(handle)
}

// UserIDByWebAuthnHandle returns the user a handle belongs to.
func (s *Store) UserIDByWebAuthnHandle(ctx context.Context, handle []byte) (string, error) {
	var userID string
	err := s.get(ctx, s.read, "get user by WebAuthn handle", &userID,
		`SELECT user_id FROM webauthn_handles WHERE handle = ?`, b64.EncodeToString(handle))
	return userID, err
}

const webAuthnColumns = `id, user_id, credential_id, public_key, attestation_format, aaguid, transports,
	attachment, name, sign_count, backup_eligible, backup_state, user_verified, created_at, last_used_at`

type webAuthnRow struct {
	ID                string `db:"id"`
	UserID            string `db:"user_id"`
	CredentialID      string `db:"credential_id"`
	PublicKey         []byte `db:"public_key"`
	AttestationFormat string `db:"attestation_format"`
	AAGUID            []byte `db:"aaguid"`
	Transports        list   `db:"transports"`
	Attachment        string `db:"attachment"`
	Name              string `db:"name"`
	SignCount         int64  `db:"sign_count"`
	BackupEligible    bool   `db:"backup_eligible"`
	BackupState       bool   `db:"backup_state"`
	UserVerified      bool   `db:"user_verified"`
	CreatedAt         millis `db:"created_at"`
	LastUsedAt        millis `db:"last_used_at"`
}

func (r webAuthnRow) credential() (store.WebAuthnCredential, error) {
	id, err := b64.DecodeString(r.CredentialID)
	if err != nil {
		return store.WebAuthnCredential{}, fmt.Errorf("decode credential ID of %s: %w", r.ID, err)
	}
	return store.WebAuthnCredential{
		ID: r.ID, UserID: r.UserID, CredentialID: id, PublicKey: r.PublicKey,
		AttestationFormat: r.AttestationFormat, AAGUID: r.AAGUID, Transports: r.Transports,
		Attachment: r.Attachment, Name: r.Name, SignCount: uint32(r.SignCount),
		BackupEligible: r.BackupEligible, BackupState: r.BackupState, UserVerified: r.UserVerified,
		CreatedAt: r.CreatedAt.Time, LastUsedAt: r.LastUsedAt.Time,
	}, nil
}

// AddWebAuthnCredential stores a new credential and queues notice in one
// transaction; a registered credential ID is store.ErrAlreadyExists.
func (s *Store) AddWebAuthnCredential(ctx context.Context, c store.WebAuthnCredential, notice *store.OutboundEmail) error {
	const op = "add WebAuthn credential"
	if c.ID == "" || c.UserID == "" || len(c.CredentialID) == 0 || len(c.PublicKey) == 0 {
		return fmt.Errorf("%s: ID, user ID, credential ID and public key are required", op)
	}
	row := webAuthnRow{
		ID: c.ID, UserID: c.UserID, CredentialID: b64.EncodeToString(c.CredentialID), PublicKey: c.PublicKey,
		AttestationFormat: c.AttestationFormat, AAGUID: c.AAGUID, Transports: c.Transports,
		Attachment: c.Attachment, Name: c.Name, SignCount: int64(c.SignCount),
		BackupEligible: c.BackupEligible, BackupState: c.BackupState, UserVerified: c.UserVerified,
		CreatedAt: ms(c.CreatedAt), LastUsedAt: ms(c.LastUsedAt),
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.insert(ctx, tx, op, `INSERT INTO webauthn_credentials (`+webAuthnColumns+`) VALUES (:id, :user_id,
			:credential_id, :public_key, :attestation_format, :aaguid, :transports, :attachment, :name, :sign_count,
			:backup_eligible, :backup_state, :user_verified, :created_at, :last_used_at)`, row); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}

// WebAuthnCredentials returns the user's credentials, oldest first.
func (s *Store) WebAuthnCredentials(ctx context.Context, userID string) ([]store.WebAuthnCredential, error) {
	var rows []webAuthnRow
	if err := s.selectRows(ctx, s.read, "list WebAuthn credentials", &rows, `SELECT `+webAuthnColumns+`
		FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`, userID); err != nil {
		return nil, err
	}
	creds := make([]store.WebAuthnCredential, 0, len(rows))
	for _, r := range rows {
		c, err := r.credential()
		if err != nil {
			return nil, fmt.Errorf("list WebAuthn credentials: %w", err)
		}
		creds = append(creds, c)
	}
	return creds, nil
}

// RecordWebAuthnUse stores the counter of an assertion with a
// compare-and-swap on the old counter, so that of two assertions that read
// the same counter only one is accepted.
func (s *Store) RecordWebAuthnUse(ctx context.Context, userID string, credentialID []byte, oldCount, newCount uint32, backupState bool, now time.Time) error {
	const op = "record WebAuthn use"
	id := b64.EncodeToString(credentialID)
	n, err := s.exec(ctx, s.write, op, `UPDATE webauthn_credentials SET sign_count = ?, backup_state = ?, last_used_at = ?
		WHERE user_id = ? AND credential_id = ? AND sign_count = ?`,
		int64(newCount), backupState, now.UnixMilli(), userID, id, int64(oldCount))
	if err != nil || n == 1 {
		return err
	}

	var count int
	if err := s.get(ctx, s.write, op, &count, `SELECT COUNT(*) FROM webauthn_credentials
		WHERE user_id = ? AND credential_id = ?`, userID, id); err != nil {
		return err
	}
	if count == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("%s: sign counter changed concurrently: %w", op, store.ErrConflict)
}

// RenameWebAuthnCredential sets the name of one of the user's credentials.
func (s *Store) RenameWebAuthnCredential(ctx context.Context, userID, id, name string) error {
	return s.updateOne(ctx, "rename WebAuthn credential",
		`UPDATE webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID)
}

// DeleteWebAuthnCredential deletes one of the user's credentials and
// queues notice in the same transaction.
func (s *Store) DeleteWebAuthnCredential(ctx context.Context, userID, id string, notice *store.OutboundEmail) error {
	return s.updateOneWithNotice(ctx, "delete WebAuthn credential", notice,
		`DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?`, id, userID)
}

type ceremonyRow struct {
	Key       string `db:"ceremony_key"`
	UserID    string `db:"user_id"`
	SessionID string `db:"session_id"`
	Data      []byte `db:"data"`
	CreatedAt millis `db:"created_at"`
	ExpiresAt millis `db:"expires_at"`
}

// SaveWebAuthnCeremony stores c in place of any ceremony with its key and
// deletes the expired ones, which keeps the table small without a purge.
func (s *Store) SaveWebAuthnCeremony(ctx context.Context, c store.WebAuthnCeremony) error {
	const op = "save WebAuthn ceremony"
	if c.Key == "" || c.ExpiresAt.IsZero() || len(c.Data) == 0 {
		return fmt.Errorf("%s: key, data and expiry time are required", op)
	}
	row := ceremonyRow{Key: c.Key, UserID: c.UserID, SessionID: c.SessionID, Data: c.Data,
		CreatedAt: ms(c.CreatedAt), ExpiresAt: ms(c.ExpiresAt)}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if _, err := s.exec(ctx, tx, op, `DELETE FROM webauthn_ceremonies WHERE ceremony_key = ? OR expires_at <= ?`,
			c.Key, c.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		return s.insert(ctx, tx, op, `INSERT INTO webauthn_ceremonies (ceremony_key, user_id, session_id, data,
			created_at, expires_at) VALUES (:ceremony_key, :user_id, :session_id, :data, :created_at, :expires_at)`, row)
	})
}

// TakeWebAuthnCeremony deletes and returns the ceremony in one statement,
// so two concurrent responses to one challenge cannot both use it.
func (s *Store) TakeWebAuthnCeremony(ctx context.Context, key string, now time.Time) (store.WebAuthnCeremony, error) {
	const op = "take WebAuthn ceremony"
	var r ceremonyRow
	err := s.get(ctx, s.write, op, &r, `DELETE FROM webauthn_ceremonies WHERE ceremony_key = ?
		RETURNING ceremony_key, user_id, session_id, data, created_at, expires_at`, key)
	if err != nil {
		return store.WebAuthnCeremony{}, err
	}
	if !r.ExpiresAt.After(now) {
		return store.WebAuthnCeremony{}, fmt.Errorf("%s: expired: %w", op, store.ErrNotFound)
	}
	return store.WebAuthnCeremony{Key: r.Key, UserID: r.UserID, SessionID: r.SessionID, Data: r.Data,
		CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time}, nil
}

// hasWebAuthn reports whether the user has at least one credential.
func (s *Store) hasWebAuthn(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.get(ctx, s.read, "count WebAuthn credentials", &n,
		`SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = ?`, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return n > 0, err
}
