package store

import (
	"context"
	"time"
)

// Kinds of outbound email. Each is the value of the email's X-Idp-Kind
// header, so operators can route them and tests can tell them apart.
const (
	EmailInvitation    = "invitation"
	EmailTwoFactor     = "email-2fa"
	EmailPasswordReset = "password-reset"
	EmailNotification  = "notification"
)

// OutboundEmail is an email waiting in the outbox or already delivered.
// Subject and bodies carry links and codes, so they reach the store only
// sealed (AES-GCM under the master key, bound to ID); the other fields are
// not secret.
// OutboxStats summarises the outbox.
type OutboxStats struct {
	Pending int // neither sent nor given up
	Failed  int // given up
	// PendingAttempts is the number of failed attempts of pending emails.
	PendingAttempts int
	// OldestPending is when the oldest pending email was queued; zero when
	// none is pending.
	OldestPending time.Time
}

// OutboundEmail is an email waiting in the outbox or already delivered.
type OutboundEmail struct {
	ID            string
	Kind          string // EmailInvitation, EmailTwoFactor, ...
	Recipient     string
	Language      string // primary language subtag, such as "nl"
	SubjectSealed []byte
	TextSealed    []byte // the text/plain part
	HTMLSealed    []byte // the text/html part
	CreatedAt     time.Time
	NextAttemptAt time.Time // the email is due from this time on
	SentAt        time.Time
	FailedAt      time.Time // set when the sender gave up
	Attempts      int
	LastError     string

	// LeaseToken identifies the claim of the sender that holds the email,
	// until LeaseUntil. Set by ClaimEmails.
	LeaseToken string
	LeaseUntil time.Time
}

// Outbox stores emails between the change that causes them and their
// delivery. Methods whose change causes an email take the email as an
// argument and insert it in the same transaction, so a crash loses
// neither; the sender then claims, delivers and marks each email.
type Outbox interface {
	// QueueEmails inserts emails that no other state change accompanies,
	// such as notifications about a change already stored.
	QueueEmails(ctx context.Context, emails ...OutboundEmail) error
	// ClaimEmails leases up to limit emails that are due at now, not sent,
	// not given up and not leased by another sender, for lease. Each
	// returned email carries a new LeaseToken. Concurrent callers, on one
	// node or many, never receive the same email while its lease runs; a
	// lease that ran out (a sender that crashed) makes the email claimable
	// again.
	ClaimEmails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboundEmail, error)
	// MarkEmailSent records the delivery of a claimed email. It returns
	// ErrNotFound when leaseToken no longer holds the email.
	MarkEmailSent(ctx context.Context, id, leaseToken string, now time.Time) error
	// MarkEmailFailed records a failed attempt with its error and releases
	// the lease. The email is due again at next; a zero next gives it up
	// (FailedAt = now). It returns ErrNotFound when leaseToken no longer
	// holds the email.
	MarkEmailFailed(ctx context.Context, id, leaseToken, lastError string, next, now time.Time) error
	// OutboxEmails returns every email of the outbox, oldest first, for
	// operators and tests.
	OutboxEmails(ctx context.Context) ([]OutboundEmail, error)
	// OutboxStats counts the outbox without reading its emails, for
	// metrics.
	OutboxStats(ctx context.Context) (OutboxStats, error)
}
