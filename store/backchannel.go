package store

import (
	"context"
	"time"
)

// LogoutDelivery is a back-channel logout notice (OpenID Connect
// Back-Channel Logout 1.0) waiting to be sent to one client for one ended
// session. A session and a client have at most one delivery.
type LogoutDelivery struct {
	SessionID     string
	ClientID      string
	Subject       string
	URI           string // the client's backchannel_logout_uri when queued
	Attempts      int    // attempts made, counting the one being claimed
	NextAttemptAt time.Time
	CreatedAt     time.Time
}

// BackchannelLogouts is the queue of back-channel logout notices, shared
// by every node.
//
// The store records which clients received tokens under each session
// whenever CreateTokens runs with a session ID. Every session that ends by
// revocation, through any method that sets its RevokedAt, is found later by
// QueueEndedSessions, so no revocation path needs to notify anyone itself.
type BackchannelLogouts interface {
	// QueueEndedSessions takes up to limit revoked sessions that were not
	// queued yet, queues a delivery to every client with a back-channel
	// logout URI that received a token under them, and marks them queued,
	// in one transaction. It returns how many sessions it took. Concurrent
	// callers never take the same session.
	QueueEndedSessions(ctx context.Context, now time.Time, limit int) (int, error)
	// ClaimLogoutDeliveries returns up to limit deliveries due at now,
	// with Attempts counting this attempt, and postpones each to
	// now+lease, so that no other caller claims them while they are sent.
	ClaimLogoutDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]LogoutDelivery, error)
	// DeleteLogoutDelivery removes a delivery that succeeded or was given
	// up. Deleting a missing one succeeds.
	DeleteLogoutDelivery(ctx context.Context, sessionID, clientID string) error
	// RetryLogoutDelivery sets the time of the next attempt of a delivery
	// that failed. It returns ErrNotFound when the delivery is missing.
	RetryLogoutDelivery(ctx context.Context, sessionID, clientID string, next time.Time) error
}
