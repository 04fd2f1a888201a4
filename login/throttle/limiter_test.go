package throttle_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store/pgtest"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// clock is a fake time source that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// newLimiterFunc returns a Limiter over a fresh, migrated store and the
// clock it reads.
type newLimiterFunc func(t *testing.T, cfg throttle.Config) (*throttle.Limiter, *clock)

// backends open a fresh database of each kind and return its URL.
var backends = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "idp.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.Start(t) }},
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// TestLimiter runs every limiter case against each store backend.
func TestLimiter(t *testing.T) {
	cases := []struct {
		name string
		run  func(*testing.T, newLimiterFunc)
	}{
		{"AccountDelay", testAccountDelay},
		{"DelayDoubles", testDelayDoubles},
		{"AccountLock", testAccountLock},
		{"StepsSeparate", testStepsSeparate},
		{"SucceededClears", testSucceededClears},
		{"SucceededCancelled", testSucceededCancelled},
		{"AddressWindow", testAddressWindow},
		{"IPv6Prefix", testIPv6Prefix},
		{"BlockedAccountGivesBack", testBlockedAccountGivesBack},
		{"SucceededGivesBackAddress", testSucceededGivesBackAddress},
		{"ConcurrentBegin", testConcurrentBegin},
		{"ConcurrentAddress", testConcurrentAddress},
		{"InvalidInput", testInvalidInput},
		{"CancelledContext", testCancelledContext},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			open := func(t *testing.T, cfg throttle.Config) (*throttle.Limiter, *clock) {
				return openLimiter(t, b.url(t), cfg)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, open) })
			}
		})
	}
}

// openLimiter returns a Limiter over a migrated store at databaseURL and
// the clock it reads.
func openLimiter(t *testing.T, databaseURL string, cfg throttle.Config) (*throttle.Limiter, *clock) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, databaseURL, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	c := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	return throttle.New(st, cfg, c.Now), c
}

// fail makes n attempts that all fail and fails the test unless each is
// allowed.
func fail(t *testing.T, l *throttle.Limiter, n int, step, account, addr string) {
	t.Helper()
	for i := range n {
		if _, err := l.Begin(context.Background(), step, account, addr); err != nil {
			t.Fatalf("attempt %d of %d at %s for %s from %s: %v", i+1, n, step, account, addr, err)
		}
	}
}

// throttled returns the *ThrottledError of err and fails the test when err
// is another error.
func throttled(t *testing.T, err error) *throttle.ThrottledError {
	t.Helper()
	var te *throttle.ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, throttle.ErrThrottled) {
		t.Fatalf("error = %v, want *ThrottledError wrapping ErrThrottled", err)
	}
	return te
}

func testAccountDelay(t *testing.T, newLimiter newLimiterFunc) {
	l, c := newLimiter(t, throttle.DefaultConfig)
	ctx := context.Background()

	fail(t, l, 5, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	_, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	te := throttled(t, err)
	if te.Scope != throttle.ScopeAccount {
		t.Errorf("Scope = %q, want %q", te.Scope, throttle.ScopeAccount)
	}
	if want := c.Now().Add(throttle.DefaultConfig.Account.Delay); !te.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v (one Delay after the 5th failure)", te.RetryAt, want)
	}

	// The account waits, not the address: another account goes on.
	fail(t, l, 1, throttle.StepPassword, "bob@example.com", "192.0.2.1")

	c.Set(te.RetryAt)
	fail(t, l, 1, throttle.StepPassword, "anna@example.com", "192.0.2.1")
}

func testDelayDoubles(t *testing.T, newLimiter newLimiterFunc) {
	l, c := newLimiter(t, throttle.DefaultConfig)
	ctx := context.Background()
	fail(t, l, 5, throttle.StepPassword, "anna@example.com", "192.0.2.1")

	var previous time.Duration
	for i := range 4 { // failures 6 to 9, before the lock
		_, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
		te := throttled(t, err)
		wait := te.RetryAt.Sub(c.Now())
		if i > 0 && wait != 2*previous {
			t.Errorf("wait after failure %d = %v, want %v (double the previous)", 6+i, wait, 2*previous)
		}
		previous = wait
		c.Set(te.RetryAt)
		fail(t, l, 1, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	}
}

func testAccountLock(t *testing.T, newLimiter newLimiterFunc) {
	l, c := newLimiter(t, throttle.DefaultConfig)
	ctx := context.Background()

	for range 10 {
		a, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
		if err != nil {
			c.Set(throttled(t, err).RetryAt)
			a, err = l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
		}
		if err != nil || a == nil {
			t.Fatalf("Begin after waiting: %v", err)
		}
	}

	// Ten failures in a row: locked for 15 minutes, whatever the next guess.
	_, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	te := throttled(t, err)
	if want := c.Now().Add(15 * time.Minute); !te.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v", te.RetryAt, want)
	}
	c.Advance(14 * time.Minute)
	_, err = l.Begin(ctx, throttle.StepPassword, "anna@example.com", "198.51.100.9")
	throttled(t, err)

	// After the lock ends, one attempt is allowed, and its failure locks
	// the step again.
	c.Advance(time.Minute)
	fail(t, l, 1, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	_, err = l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	if te := throttled(t, err); te.RetryAt.Sub(c.Now()) != 15*time.Minute {
		t.Errorf("lock after the 11th failure ends in %v, want 15m", te.RetryAt.Sub(c.Now()))
	}
}

func testStepsSeparate(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)
	fail(t, l, 5, throttle.StepTOTP, "user-1", "192.0.2.1")
	_, err := l.Begin(context.Background(), throttle.StepTOTP, "user-1", "192.0.2.1")
	throttled(t, err)

	fail(t, l, 5, throttle.StepRecovery, "user-1", "192.0.2.1")
	fail(t, l, 5, throttle.StepPassword, "user-1", "192.0.2.1")
}

func testSucceededClears(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)
	ctx := context.Background()
	fail(t, l, 4, throttle.StepPassword, "anna@example.com", "192.0.2.1")

	a, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := a.Succeeded(ctx); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
	if err := a.Succeeded(ctx); err != nil {
		t.Errorf("second Succeeded: %v", err)
	}

	// The failures before the success no longer count.
	fail(t, l, 5, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	_, err = l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	throttled(t, err)
}

func testSucceededCancelled(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)
	fail(t, l, 4, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	a, err := l.Begin(context.Background(), throttle.StepPassword, "anna@example.com", "192.0.2.1")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Succeeded(ctx); err != nil {
		t.Fatalf("Succeeded with ended ctx: %v", err)
	}
	fail(t, l, 5, throttle.StepPassword, "anna@example.com", "192.0.2.1")
}

func testAddressWindow(t *testing.T, newLimiter newLimiterFunc) {
	l, c := newLimiter(t, throttle.DefaultConfig)
	ctx := context.Background()

	// 100 failures from one address, spread over 20 accounts so that no
	// account is delayed.
	for i := range 100 {
		fail(t, l, 1, throttle.StepPassword, fmt.Sprintf("user%d@example.com", i%20), "127.0.0.1")
	}
	_, err := l.Begin(ctx, throttle.StepPassword, "fresh@example.com", "127.0.0.1")
	te := throttled(t, err)
	if te.Scope != throttle.ScopeAddress {
		t.Errorf("Scope = %q, want %q (loopback is not exempt)", te.Scope, throttle.ScopeAddress)
	}
	if !te.RetryAt.After(c.Now()) || te.RetryAt.After(c.Now().Add(10*time.Minute)) {
		t.Errorf("RetryAt = %v, want within the 10-minute window after %v", te.RetryAt, c.Now())
	}

	// The blocked address did not count against the account it tried.
	fail(t, l, 5, throttle.StepPassword, "fresh@example.com", "192.0.2.1")

	// Another address is not affected, and the window ends.
	fail(t, l, 1, throttle.StepPassword, "other@example.com", "192.0.2.2")
	c.Set(te.RetryAt)
	fail(t, l, 1, throttle.StepPassword, "later@example.com", "127.0.0.1")
}

// smallAddressConfig returns DefaultConfig with 3 failures per address
// window, so that tests reach the address limit with few attempts.
func smallAddressConfig() throttle.Config {
	cfg := throttle.DefaultConfig
	cfg.Address.Free = 3
	return cfg
}

func testIPv6Prefix(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, smallAddressConfig())
	fail(t, l, 1, throttle.StepPassword, "a@example.com", "2001:db8:1:2::1")
	fail(t, l, 1, throttle.StepPassword, "b@example.com", "2001:db8:1:2::2")
	fail(t, l, 1, throttle.StepPassword, "c@example.com", "2001:db8:1:2:ffff:ffff:ffff:ffff")

	_, err := l.Begin(context.Background(), throttle.StepPassword, "d@example.com", "2001:db8:1:2::4")
	if te := throttled(t, err); te.Scope != throttle.ScopeAddress {
		t.Errorf("Scope = %q, want %q", te.Scope, throttle.ScopeAddress)
	}
	fail(t, l, 1, throttle.StepPassword, "d@example.com", "2001:db8:1:3::4")
}

func testBlockedAccountGivesBack(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, smallAddressConfig())
	ctx := context.Background()
	fail(t, l, 3, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	fail(t, l, 2, throttle.StepPassword, "anna@example.com", "192.0.2.2")

	// anna is delayed now. Attempts at her account from a third address
	// are rejected without using up that address's budget.
	for range 5 {
		_, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.3")
		if te := throttled(t, err); te.Scope != throttle.ScopeAccount {
			t.Fatalf("Scope = %q, want %q", te.Scope, throttle.ScopeAccount)
		}
	}
	fail(t, l, 3, throttle.StepPassword, "bob@example.com", "192.0.2.3")
}

func testSucceededGivesBackAddress(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, smallAddressConfig())
	ctx := context.Background()

	for range 10 {
		a, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		if err := a.Succeeded(ctx); err != nil {
			t.Fatalf("Succeeded: %v", err)
		}
	}
	fail(t, l, 3, throttle.StepPassword, "bob@example.com", "192.0.2.1")
}

func testConcurrentBegin(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)

	const n = 30
	var wg sync.WaitGroup
	results := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := l.Begin(context.Background(), throttle.StepPassword, "anna@example.com", "192.0.2.1")
			results <- err
		})
	}
	wg.Wait()
	close(results)

	allowed := 0
	for err := range results {
		switch {
		case err == nil:
			allowed++
		case !errors.Is(err, throttle.ErrThrottled):
			t.Errorf("Begin: %v", err)
		}
	}
	if allowed != 5 {
		t.Errorf("%d of %d concurrent attempts allowed, want exactly 5", allowed, n)
	}
}

func testConcurrentAddress(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)

	const n = 150
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := l.Begin(context.Background(), throttle.StepPassword, fmt.Sprintf("user%d@example.com", i), "192.0.2.1")
			results <- err
		})
	}
	wg.Wait()
	close(results)

	allowed := 0
	for err := range results {
		if err == nil {
			allowed++
		} else if !errors.Is(err, throttle.ErrThrottled) {
			t.Errorf("Begin: %v", err)
		}
	}
	if allowed != 100 {
		t.Errorf("%d of %d concurrent attempts allowed, want exactly 100", allowed, n)
	}
}

func testInvalidInput(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)
	tests := map[string][3]string{
		"unknown step":  {"guess", "anna@example.com", "192.0.2.1"},
		"empty step":    {"", "anna@example.com", "192.0.2.1"},
		"empty account": {throttle.StepPassword, "", "192.0.2.1"},
		"empty address": {throttle.StepPassword, "anna@example.com", ""},
	}
	for name, in := range tests {
		a, err := l.Begin(context.Background(), in[0], in[1], in[2])
		if err == nil || a != nil || errors.Is(err, throttle.ErrThrottled) {
			t.Errorf("Begin(%s) = %v, %v; want an input error", name, a, err)
		}
	}
}

func testCancelledContext(t *testing.T, newLimiter newLimiterFunc) {
	l, _ := newLimiter(t, throttle.DefaultConfig)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, err := l.Begin(ctx, throttle.StepPassword, "anna@example.com", "192.0.2.1")
	if err == nil || a != nil {
		t.Errorf("Begin(cancelled ctx) = %v, %v; want an error", a, err)
	}
}
