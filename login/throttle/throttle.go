// Package throttle limits attempts at guessable sign-in steps, per account
// and per client address, with counters in the database so that every
// node counts the same attempts.
package throttle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotelsoft/idp/store"
)

// Steps that Begin accepts. Each step of an account has its own counter,
// so failures at the second factor do not lock the password step.
const (
	StepPassword       = "password"
	StepTOTP           = "totp"
	StepRecovery       = "recovery"
	StepEmailCode      = "email_code"
	StepForgotPassword = "forgot_password"
	StepUnlock         = "unlock"
	// StepWebAuthn counts failed security key and passkey assertions.
	StepWebAuthn = "webauthn"
)

var steps = []string{StepPassword, StepTOTP, StepRecovery, StepEmailCode, StepForgotPassword, StepUnlock, StepWebAuthn}

// Config holds the rules for account keys and client address keys.
type Config struct {
	Account store.ThrottleRule
	Address store.ThrottleRule
}

// DefaultConfig lets an account make 5 failed attempts at one step in a
// row, then makes it wait 2 s, doubling with each further failure, and from
// the 10th failure on locks the step for 15 minutes after each failure,
// whatever the next guess. One client address gets 100 failed attempts per
// 10 minutes across all accounts and steps. Loopback addresses are not
// exempt.
var DefaultConfig = Config{
	Account: store.ThrottleRule{Free: 5, Delay: 2 * time.Second, LockAfter: 10, Lock: 15 * time.Minute},
	Address: store.ThrottleRule{Free: 100, Window: 10 * time.Minute},
}

// Validate returns an error naming the first rule that cannot work: the
// account rule needs Free, Delay, LockAfter and Lock, the address rule
// needs Free and Window.
func (c Config) Validate() error {
	a, addr := c.Account, c.Address
	switch {
	case a.Free < 1 || a.Delay <= 0 || a.Lock <= 0:
		return fmt.Errorf("throttle: account rule needs Free >= 1, Delay > 0 and Lock > 0, got %+v", a)
	case a.LockAfter <= a.Free:
		return fmt.Errorf("throttle: account rule needs LockAfter > Free, got LockAfter %d, Free %d", a.LockAfter, a.Free)
	case a.Window != 0:
		return fmt.Errorf("throttle: account rule counts consecutive failures and takes no Window, got %v", a.Window)
	case addr.Free < 1 || addr.Window <= 0:
		return fmt.Errorf("throttle: address rule needs Free >= 1 and Window > 0, got %+v", addr)
	}
	return nil
}

// ErrThrottled reports an attempt that may not be made now. Begin returns
// it wrapped in a *ThrottledError.
var ErrThrottled = errors.New("throttle: too many attempts")

// Scopes of a ThrottledError.
const (
	ScopeAccount = "account"
	ScopeAddress = "address"
)

// ThrottledError reports which key blocked an attempt and until when. The
// page shown to the user must not depend on Scope, so it does not tell
// whether an account exists.
type ThrottledError struct {
	RetryAt time.Time
	Scope   string // ScopeAccount or ScopeAddress
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: %s blocked until %s", ErrThrottled, e.Scope, e.RetryAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrThrottled, so errors.Is(err, ErrThrottled) holds.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// Limiter applies a Config to a store.Throttle. It is safe for concurrent
// use.
type Limiter struct {
	store store.Throttle
	cfg   Config
	now   func() time.Time
}

// New returns a Limiter over st. The now function is the clock, and nil
// means time.Now.
func New(st store.Throttle, cfg Config, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: st, cfg: cfg, now: now}
}

// Begin takes one attempt at step for the account key (a normalised email
// key or a user ID) from clientAddr. The attempt counts as a failure for
// both the account and the address until Attempt.Succeeded is called, so
// concurrent guesses are all counted and a crash in between errs on the
// safe side.
//
// The address is checked first, so a blocked address cannot lock further
// accounts. When the account is blocked, the attempt taken from the address
// is given back, because no guess is checked. Begin returns a
// *ThrottledError wrapping ErrThrottled when either key is blocked, and
// another error for an unknown step, an empty account or address, or a
// store failure.
func (l *Limiter) Begin(ctx context.Context, step, account, clientAddr string) (*Attempt, error) {
	if !slices.Contains(steps, step) {
		return nil, fmt.Errorf("throttle: unknown step %q", step)
	}
	if account == "" || clientAddr == "" {
		return nil, errors.New("throttle: account and client address must not be empty")
	}
	a := &Attempt{limiter: l, accountKey: accountKey(step, account), addressKey: addressKey(clientAddr)}
	now := l.now()

	if err := l.take(ctx, a.addressKey, l.cfg.Address, now, ScopeAddress); err != nil {
		return nil, err
	}
	if err := l.take(ctx, a.accountKey, l.cfg.Account, now, ScopeAccount); err != nil {
		// The give-back must happen even when ctx has ended.
		if ferr := l.store.ForgiveAttempt(context.WithoutCancel(ctx), a.addressKey, false); ferr != nil {
			err = errors.Join(err, fmt.Errorf("throttle: give back address attempt: %w", ferr))
		}
		return nil, err
	}
	return a, nil
}

// take takes one attempt against key and returns a *ThrottledError for
// scope when the key is blocked.
func (l *Limiter) take(ctx context.Context, key string, rule store.ThrottleRule, now time.Time, scope string) error {
	allowed, retryAt, err := l.store.TakeAttempt(ctx, key, rule, now)
	if err != nil {
		return fmt.Errorf("throttle: take %s attempt: %w", scope, err)
	}
	if !allowed {
		return &ThrottledError{RetryAt: retryAt, Scope: scope}
	}
	return nil
}
