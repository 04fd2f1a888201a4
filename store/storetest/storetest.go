// Package storetest is the conformance suite for store.Store. Every
// implementation runs it from a test file of its own:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// newStore must return an empty, migrated store and close it when the test
// ends. The suite gives every subtest its own store, so no case depends on
// another, and checks the hostile cases the contract promises: duplicates,
// replays, expiry, and races between concurrent callers.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// t0 is the suite's "now". It has whole milliseconds, the precision the
// store keeps, so times read back compare equal.
var t0 = time.UnixMilli(1_767_225_600_000).UTC() // 2026-01-01 00:00:00 UTC

// concurrency is how many goroutines race in the concurrency cases.
const concurrency = 8

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs every conformance case against a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := [][]test{
		userTests, invitationTests, secondFactorTests, clientTests, authRequestTests,
		sessionTests, tokenTests, signingKeyTests, throttleTests, auditTests, purgeTests, adminTests,
		webAuthnTests,
		accountTests, accountNoticeTests, backchannelTests,
		emailTests,
		authCodeLookupTests,
	}
	for _, group := range groups {
		for _, tc := range group {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, newStore(t))
			})
		}
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// must fails the test at once when err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr fails the test unless err wraps want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// wantAnyErr fails the test when err is nil.
func wantAnyErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("error = nil, want an error")
	}
}

// race runs fn concurrency times at once and returns the errors.
func race(fn func(i int) error) []error {
	errs := make([]error, concurrency)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range concurrency {
		done.Go(func() {
			start.Wait()
			errs[i] = fn(i)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// countErrs returns how many errors are nil and how many wrap want, and
// fails the test on any other error.
func countErrs(t *testing.T, errs []error, want error) (ok, matched int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			matched++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	return ok, matched
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
