package store

import (
	"context"
	"time"
)

// EmailChallenge is one email sent for the email second factor. It carries
// a 6-digit code and, for web clients, a link. Only hashes are stored. The
// challenge is bound to the browser session that asked for it: the link
// works only there, and the code only on that session's pages.
type EmailChallenge struct {
	ID            string
	UserID        string
	BindingHash   string // hash of the browser and session that asked
	LinkHash      string // empty when only a code was sent
	CodeHash      string // keyed MAC of the code and the challenge ID
	CreatedAt     time.Time
	LinkExpiresAt time.Time // zero without a link
	CodeExpiresAt time.Time
	Attempts      int       // wrong codes entered
	VerifiedAt    time.Time // link opened or code entered
	UsedAt        time.Time // the sign-in it verified went on
	VoidedAt      time.Time // a newer challenge replaced it
}

// PasswordReset is a single-use forgot-password token. Only its hash is
// stored.
type PasswordReset struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// FactorAt is when the user passed their second factor for this reset;
	// a user with an authenticator app or security key must pass it first.
	FactorAt time.Time
	UsedAt   time.Time
}

// EmailAuth stores the state of the flows that send an email: email
// challenges, password resets and invitations sent by email. Each method
// that sends an email inserts it into the outbox in the same transaction.
type EmailAuth interface {
	// InviteUserWithEmail is InviteUser that also queues the welcome email.
	InviteUserWithEmail(ctx context.Context, u User, grants []Grant, inv Invitation, email OutboundEmail) error
	// ReplaceInvitationWithEmail is ReplaceInvitation that also queues the
	// new invitation email.
	ReplaceInvitationWithEmail(ctx context.Context, inv Invitation, email OutboundEmail) error

	// CreateEmailChallenge voids every open challenge of the user, stores
	// c and queues email, in one transaction.
	CreateEmailChallenge(ctx context.Context, c EmailChallenge, email OutboundEmail) error
	// LatestEmailChallenge returns the newest challenge bound to
	// bindingHash, whatever its state, or ErrNotFound.
	LatestEmailChallenge(ctx context.Context, bindingHash string) (EmailChallenge, error)
	// LatestUserEmailChallenge returns the user's newest challenge,
	// whatever its binding and state, or ErrNotFound. The resend cooldown
	// counts from it, so a new sign-in does not send another email at once.
	LatestUserEmailChallenge(ctx context.Context, userID string) (EmailChallenge, error)
	// VerifyEmailLink marks verified the challenge whose link hash is
	// linkHash, when it is bound to bindingHash, neither verified nor
	// voided, and its link not expired at now. Anything else returns
	// ErrNotFound and changes nothing.
	VerifyEmailLink(ctx context.Context, linkHash, bindingHash string, now time.Time) (EmailChallenge, error)
	// VerifyEmailCode checks one code against challenge id atomically.
	// A matching code (compared in constant time) of a challenge that is
	// neither verified, voided nor expired, with fewer than maxAttempts
	// wrong codes, marks it verified. A wrong code counts an attempt and
	// returns ErrConflict; a challenge that can no longer be verified
	// returns ErrNotFound and changes nothing.
	VerifyEmailCode(ctx context.Context, id, codeHash string, maxAttempts int, now time.Time) error
	// UseEmailChallenge consumes a verified, unused challenge and records
	// email as an active method of its user, in one transaction. When the
	// method is new it queues notice (unless nil) and returns
	// activated=true. A challenge that is not verified or already used
	// returns ErrNotFound.
	UseEmailChallenge(ctx context.Context, id string, now time.Time, notice *OutboundEmail) (activated bool, err error)
	// RemoveEmailMethod turns the email method of the user off, voids the
	// user's open challenges and queues notice (unless nil), in one
	// transaction. It returns ErrNotFound when the method is not active.
	RemoveEmailMethod(ctx context.Context, userID string, now time.Time, notice *OutboundEmail) error

	// RequestPasswordReset voids the user's unused resets, stores r and
	// queues email, in one transaction.
	RequestPasswordReset(ctx context.Context, r PasswordReset, email OutboundEmail) error
	// PasswordResetByHash returns a reset that is unused, not voided and
	// not expired at now, or ErrNotFound.
	PasswordResetByHash(ctx context.Context, tokenHash string, now time.Time) (PasswordReset, error)
	// PassPasswordResetFactor records that the user passed their second
	// factor for a live reset. It returns ErrNotFound for a reset that is
	// not live.
	PassPasswordResetFactor(ctx context.Context, tokenHash string, now time.Time) error
	// ResetPassword consumes a live reset (one with FactorAt set when
	// factorRequired), replaces its active user's password hash, revokes
	// every session and token of the user and queues notice, in one
	// transaction. Anything else returns ErrNotFound and changes nothing.
	ResetPassword(ctx context.Context, tokenHash, passwordHash string, factorRequired bool, now time.Time, notice OutboundEmail) (User, error)
}
