package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// throttleRetention is how long a counter of consecutive failures outlives
// its last failure (or the end of its block, if later) before Purge may
// delete it. A key idle that long starts over.
//
// NOTE: the ThrottleRule contract has no decay, so this is a choice: it
// bounds the table against guesses spread over many made-up accounts, at
// the cost of one fresh run of free attempts per key and day.
const throttleRetention = 24 * time.Hour

// counter is the state of one throttle key.
type counter struct {
	Failures      int64  `db:"failures"`
	LastFailureAt millis `db:"last_failure_at"`
	WindowStart   millis `db:"window_start"`
}

// TakeAttempt checks key against rule and, when allowed, counts the attempt
// as a failure in advance. The check and the count run in one transaction
// on a locked row, so concurrent attempts are all counted.
func (s *Store) TakeAttempt(ctx context.Context, key string, rule store.ThrottleRule, now time.Time) (bool, time.Time, error) {
	const op = "take attempt"
	if err := checkRule(key, rule); err != nil {
		return false, time.Time{}, fmt.Errorf("%s: %w", op, err)
	}

	var allowed bool
	var retryAt time.Time
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		// Insert-or-nothing first, so that there is a row to lock even for
		// a key never seen before.
		if _, err := s.exec(ctx, tx, op, `INSERT INTO throttle_counters (counter_key, failures, expires_at)
			VALUES (?, 0, ?) ON CONFLICT (counter_key) DO NOTHING`, key, now.Add(throttleRetention).UnixMilli()); err != nil {
			return err
		}
		var c counter
		if err := s.get(ctx, tx, op, &c, `SELECT failures, last_failure_at, window_start FROM throttle_counters
			WHERE counter_key = ?`+s.forUpdate(), key); err != nil {
			return err
		}

		var next counter
		next, allowed, retryAt = c.take(rule, now)
		if !allowed {
			return nil
		}
		_, err := s.exec(ctx, tx, op, `UPDATE throttle_counters SET failures = ?, last_failure_at = ?,
			window_start = ?, expires_at = ? WHERE counter_key = ?`,
			next.Failures, next.LastFailureAt, next.WindowStart, next.expiry(rule).UnixMilli(), key)
		return err
	})
	if err != nil {
		return false, time.Time{}, err
	}
	return allowed, retryAt, nil
}

func checkRule(key string, rule store.ThrottleRule) error {
	if key == "" {
		return errors.New("empty key")
	}
	if rule.Free < 0 || rule.Delay < 0 || rule.LockAfter < 0 || rule.Lock < 0 || rule.Window < 0 {
		return fmt.Errorf("throttle rule %+v has a negative value", rule)
	}
	return nil
}

// ForgiveAttempt clears the key's failures (reset) or takes one back. An
// unknown key succeeds.
func (s *Store) ForgiveAttempt(ctx context.Context, key string, reset bool) error {
	const op = "forgive attempt"
	if reset {
		_, err := s.exec(ctx, s.write, op, `DELETE FROM throttle_counters WHERE counter_key = ?`, key)
		return err
	}
	_, err := s.exec(ctx, s.write, op, `UPDATE throttle_counters SET failures = failures - 1
		WHERE counter_key = ? AND failures > 0`, key)
	return err
}

// take decides one attempt at now. It returns the counter after the
// attempt and true, or the unchanged counter, false and the end of the
// block.
func (c counter) take(rule store.ThrottleRule, now time.Time) (counter, bool, time.Time) {
	if rule.Window > 0 {
		if c.WindowStart.IsZero() || !now.Before(c.WindowStart.Add(rule.Window)) {
			c = counter{WindowStart: ms(now)}
		}
		if c.Failures >= int64(rule.Free) {
			return c, false, c.WindowStart.Add(rule.Window)
		}
	} else if until := c.blockedUntil(rule); now.Before(until) {
		return c, false, until
	}
	c.Failures++
	c.LastFailureAt = ms(now)
	return c, true, time.Time{}
}

// blockedUntil returns when a key counting consecutive failures may be
// tried again: Lock after the last failure from LockAfter failures on,
// otherwise Delay doubled for every failure beyond Free (at most Lock),
// and the zero time while no delay applies.
func (c counter) blockedUntil(rule store.ThrottleRule) time.Time {
	if c.LastFailureAt.IsZero() {
		return time.Time{}
	}
	if rule.LockAfter > 0 && c.Failures >= int64(rule.LockAfter) {
		return c.LastFailureAt.Add(rule.Lock)
	}
	if c.Failures >= int64(rule.Free) {
		return c.LastFailureAt.Add(backoff(rule.Delay, c.Failures-int64(rule.Free), rule.Lock))
	}
	return time.Time{}
}

// backoff returns base doubled n times, at most ceiling when ceiling is
// set, and never overflowing.
func backoff(base time.Duration, n int64, ceiling time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for range n {
		if (ceiling > 0 && d >= ceiling) || d > math.MaxInt64/2 {
			break
		}
		d *= 2
	}
	if ceiling > 0 && d > ceiling {
		d = ceiling
	}
	return d
}

// expiry returns when Purge may delete the counter: at the end of its
// window, or throttleRetention after its block or last failure.
func (c counter) expiry(rule store.ThrottleRule) time.Time {
	if rule.Window > 0 {
		return c.WindowStart.Add(rule.Window)
	}
	last := c.LastFailureAt.Time
	if until := c.blockedUntil(rule); until.After(last) {
		last = until
	}
	return last.Add(throttleRetention)
}
