package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// accountRule is the default per-account rule: five free failures, then a
// delay from 10 s doubling per failure, and a 15-minute lock from ten on.
var accountRule = store.ThrottleRule{Free: 5, Delay: 10 * time.Second, LockAfter: 10, Lock: 15 * time.Minute}

// addressRule allows three failures per 10-minute window.
var addressRule = store.ThrottleRule{Free: 3, Window: 10 * time.Minute}

var throttleTests = []test{
	{"ThrottleDelays", testThrottleDelays},
	{"ThrottleLock", testThrottleLock},
	{"ThrottleDelayCap", testThrottleDelayCap},
	{"ThrottleForgive", testThrottleForgive},
	{"ThrottleWindow", testThrottleWindow},
	{"ThrottleConcurrent", testThrottleConcurrent},
	{"ThrottleInvalid", testThrottleInvalid},
}

// wantAllowed takes one attempt at now and checks the outcome; when the
// attempt is blocked it also checks retryAt.
func wantAllowed(t *testing.T, s store.Store, key string, rule store.ThrottleRule, now time.Time, allowed bool, retryAt time.Time) {
	t.Helper()
	gotAllowed, gotRetry, err := s.TakeAttempt(ctx(t), key, rule, now)
	must(t, err)
	if gotAllowed != allowed {
		t.Fatalf("TakeAttempt(%s, +%v) allowed = %v, want %v", key, now.Sub(t0), gotAllowed, allowed)
	}
	if !allowed && !gotRetry.Equal(retryAt) {
		t.Fatalf("TakeAttempt(%s, +%v) retryAt = +%v, want +%v", key, now.Sub(t0), gotRetry.Sub(t0), retryAt.Sub(t0))
	}
}

// fail takes n allowed attempts at now.
func fail(t *testing.T, s store.Store, key string, rule store.ThrottleRule, now time.Time, n int) {
	t.Helper()
	for range n {
		wantAllowed(t, s, key, rule, now, true, time.Time{})
	}
}

func testThrottleDelays(t *testing.T, s store.Store) {
	fail(t, s, "acct", accountRule, t0, 5)
	wantAllowed(t, s, "acct", accountRule, t0, false, t0.Add(10*time.Second))
	// A blocked attempt counts nothing, so the block does not grow.
	wantAllowed(t, s, "acct", accountRule, t0.Add(9*time.Second), false, t0.Add(10*time.Second))

	now := t0.Add(10 * time.Second)
	wantAllowed(t, s, "acct", accountRule, now, true, time.Time{})
	wantAllowed(t, s, "acct", accountRule, now.Add(19*time.Second), false, now.Add(20*time.Second))
	now = now.Add(20 * time.Second)
	wantAllowed(t, s, "acct", accountRule, now, true, time.Time{})
	wantAllowed(t, s, "acct", accountRule, now, false, now.Add(40*time.Second))

	// Other keys are independent.
	fail(t, s, "other", accountRule, t0, 5)
}

func testThrottleLock(t *testing.T, s store.Store) {
	now := t0
	fail(t, s, "acct", accountRule, now, 5)
	for _, delay := range []time.Duration{10, 20, 40, 80, 160} {
		now = now.Add(delay * time.Second)
		wantAllowed(t, s, "acct", accountRule, now, true, time.Time{})
	}
	// Ten failures: locked for 15 minutes, whatever comes next.
	wantAllowed(t, s, "acct", accountRule, now.Add(14*time.Minute), false, now.Add(15*time.Minute))
	now = now.Add(15 * time.Minute)
	wantAllowed(t, s, "acct", accountRule, now, true, time.Time{})
	// From then on every failure locks again.
	wantAllowed(t, s, "acct", accountRule, now.Add(time.Minute), false, now.Add(15*time.Minute))
}

func testThrottleDelayCap(t *testing.T, s store.Store) {
	rule := store.ThrottleRule{Free: 1, Delay: 10 * time.Minute, Lock: 15 * time.Minute}
	fail(t, s, "acct", rule, t0, 1)
	wantAllowed(t, s, "acct", rule, t0, false, t0.Add(10*time.Minute))
	now := t0.Add(10 * time.Minute)
	wantAllowed(t, s, "acct", rule, now, true, time.Time{})
	// Doubled it would be 20 minutes; the lock caps it at 15.
	wantAllowed(t, s, "acct", rule, now, false, now.Add(15*time.Minute))
}

func testThrottleForgive(t *testing.T, s store.Store) {
	fail(t, s, "acct", accountRule, t0, 5)
	must(t, s.ForgiveAttempt(ctx(t), "acct", false))
	fail(t, s, "acct", accountRule, t0, 1)
	wantAllowed(t, s, "acct", accountRule, t0, false, t0.Add(10*time.Second))

	must(t, s.ForgiveAttempt(ctx(t), "acct", true))
	fail(t, s, "acct", accountRule, t0, 5)

	must(t, s.ForgiveAttempt(ctx(t), "unknown", true))
	must(t, s.ForgiveAttempt(ctx(t), "unknown", false))
}

func testThrottleWindow(t *testing.T, s store.Store) {
	fail(t, s, "ip", addressRule, t0, 3)
	wantAllowed(t, s, "ip", addressRule, t0.Add(time.Minute), false, t0.Add(10*time.Minute))
	must(t, s.ForgiveAttempt(ctx(t), "ip", false))
	fail(t, s, "ip", addressRule, t0.Add(2*time.Minute), 1)
	wantAllowed(t, s, "ip", addressRule, t0.Add(9*time.Minute), false, t0.Add(10*time.Minute))

	// A new window starts at the first attempt after the old one ends.
	next := t0.Add(10 * time.Minute)
	fail(t, s, "ip", addressRule, next, 3)
	wantAllowed(t, s, "ip", addressRule, next, false, next.Add(10*time.Minute))
}

func testThrottleConcurrent(t *testing.T, s store.Store) {
	for _, rule := range []store.ThrottleRule{accountRule, addressRule} {
		key := "concurrent-" + rule.Window.String()
		var allowed atomic.Int64
		errs := race(func(int) error {
			ok, _, err := s.TakeAttempt(ctx(t), key, rule, t0)
			if ok {
				allowed.Add(1)
			}
			return err
		})
		for _, err := range errs {
			must(t, err)
		}
		if got := allowed.Load(); got != int64(rule.Free) {
			t.Errorf("rule %+v: %d of %d concurrent attempts allowed, want %d", rule, got, concurrency, rule.Free)
		}
	}
}

func testThrottleInvalid(t *testing.T, s store.Store) {
	_, _, err := s.TakeAttempt(ctx(t), "", accountRule, t0)
	wantAnyErr(t, err)
	_, _, err = s.TakeAttempt(ctx(t), "acct", store.ThrottleRule{Free: -1}, t0)
	wantAnyErr(t, err)
}
