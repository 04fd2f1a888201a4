package store

import (
	"context"
	"time"
)

// WebAuthnCredential is a security key or passkey registered by a user
// (a WebAuthn credential record). Nothing in it is secret: the private key
// never leaves the authenticator.
type WebAuthnCredential struct {
	// ID is the provider's own opaque ID of the record, used in the
	// account page's URLs; CredentialID is the authenticator's ID.
	ID                string
	UserID            string
	CredentialID      []byte // unique across all users
	PublicKey         []byte // COSE_Key
	AttestationFormat string // "none" for every credential registered here
	AAGUID            []byte
	Transports        []string
	Attachment        string
	Name              string
	SignCount         uint32
	BackupEligible    bool
	BackupState       bool
	UserVerified      bool // the authenticator verified the user at registration
	CreatedAt         time.Time
	LastUsedAt        time.Time
}

// WebAuthnCeremony is the server-side state of one registration or
// assertion between its options and the authenticator's response. Key
// names the browser and purpose it belongs to (a hash, never a cookie
// value); Data is the library's session data, JSON-encoded.
type WebAuthnCeremony struct {
	Key       string
	UserID    string // empty for a passkey sign-in, where the user is not known yet
	SessionID string // the browser session that began it; empty for a passkey sign-in
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// WebAuthn stores security keys, passkeys and their ceremonies.
type WebAuthn interface {
	// EnsureWebAuthnHandle returns the user's WebAuthn user handle, storing
	// candidate as the handle when the user has none yet. The handle is an
	// opaque random value that authenticators keep with a passkey.
	EnsureWebAuthnHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error)
	// UserIDByWebAuthnHandle returns the user a handle belongs to, or
	// ErrNotFound.
	UserIDByWebAuthnHandle(ctx context.Context, handle []byte) (string, error)

	// AddWebAuthnCredential stores a new credential and queues notice, when
	// it is not nil, in the same transaction: the email is queued exactly
	// when the credential is stored. It returns ErrAlreadyExists when the
	// credential ID is registered already, to this user or any other.
	AddWebAuthnCredential(ctx context.Context, c WebAuthnCredential, notice *OutboundEmail) error
	// WebAuthnCredentials returns the user's credentials, oldest first;
	// none is an empty slice, not an error.
	WebAuthnCredentials(ctx context.Context, userID string) ([]WebAuthnCredential, error)
	// RecordWebAuthnUse stores the sign counter and backup state of a
	// successful assertion and its time, only if the stored counter still
	// equals oldCount. It returns ErrConflict when another assertion changed
	// the counter first, and ErrNotFound when the user has no such
	// credential.
	RecordWebAuthnUse(ctx context.Context, userID string, credentialID []byte, oldCount, newCount uint32, backupState bool, now time.Time) error
	// RenameWebAuthnCredential sets the name of one of the user's
	// credentials, found by its record ID. It returns ErrNotFound when the
	// user has no such credential.
	RenameWebAuthnCredential(ctx context.Context, userID, id, name string) error
	// DeleteWebAuthnCredential deletes one of the user's credentials, found
	// by its record ID, and queues notice (nil for none) in the same
	// transaction. It returns ErrNotFound, and queues nothing, when the
	// user has no such credential.
	DeleteWebAuthnCredential(ctx context.Context, userID, id string, notice *OutboundEmail) error

	// SaveWebAuthnCeremony stores c, replacing any ceremony with the same
	// key, and deletes expired ceremonies.
	SaveWebAuthnCeremony(ctx context.Context, c WebAuthnCeremony) error
	// TakeWebAuthnCeremony deletes the ceremony with key and returns it,
	// atomically, so each ceremony is used once. It returns ErrNotFound when
	// there is none or it expired before now.
	TakeWebAuthnCeremony(ctx context.Context, key string, now time.Time) (WebAuthnCeremony, error)
}
