package store

import (
	"context"
	"time"
)

// Accounts stores the changes users make on their own account page, and
// the quick lock of a browser session.
type Accounts interface {
	// DeleteTOTP removes the user's authenticator app, confirmed or
	// pending, and queues notice (nil for none) in the same transaction.
	// It returns ErrNotFound, and queues nothing, when the user has none.
	DeleteTOTP(ctx context.Context, userID string, notice *OutboundEmail) error
	// ReplaceRecoveryCodes replaces every recovery code of the user, used
	// or not, with codeHashes, in one transaction.
	ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes []string, now time.Time) error
	// RevokeOtherSessions ends every live session of the user except
	// keepID and revokes the tokens issued under them, in one transaction.
	// It returns how many sessions it ended.
	RevokeOtherSessions(ctx context.Context, userID, keepID string, now time.Time) (int, error)
	// TouchSession records activity in a session: it sets UpdatedAt to at
	// when the session is neither revoked nor locked, and changes nothing
	// otherwise.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// LockSession sets LockedAt to at unless the session is already
	// locked, so the first lock time stays. It returns ErrNotFound when
	// the session is missing or revoked.
	LockSession(ctx context.Context, id string, at time.Time) error
}
