package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hotelsoft/idp/store"
)

// The tests below hold ConfirmTOTP and UseRecoveryCode to their promise
// that a notice is queued exactly when the change commits: a failed or
// repeated change queues nothing, and a notice that cannot be queued
// undoes the change.

// wantOutbox fails the test unless the outbox holds exactly the emails
// with the given IDs, in any order.
func wantOutbox(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	all, err := s.OutboxEmails(ctx(t))
	must(t, err)
	var got []string
	for _, e := range all {
		got = append(got, e.ID)
	}
	slices.Sort(got)
	ids = slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, ids) {
		t.Errorf("outbox = %v, want %v", got, ids)
	}
}

func testTOTPConfirmNotice(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	notice := newEmail("activated")
	wantErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, nil, t0, &notice), store.ErrNotFound)
	wantOutbox(t, s)

	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("sealed"), CreatedAt: t0}))
	// An empty code hash fails after the credential row is updated.
	wantAnyErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, []string{"rc-code-0", ""}, t0, &notice))
	wantOutbox(t, s)
	c, err := s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	if !c.ConfirmedAt.IsZero() {
		t.Errorf("credential confirmed by a failed ConfirmTOTP")
	}

	must(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, recoveryHashes("rc", 10), t0, &notice))
	wantOutbox(t, s, "activated")
	again := newEmail("again")
	wantErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep+1, nil, t0, &again), store.ErrNotFound)
	wantOutbox(t, s, "activated")
}

func testTOTPConfirmNoticeFails(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.QueueEmails(ctx(t), newEmail("taken")))
	must(t, s.SaveTOTPEnrolment(ctx(t), store.TOTPCredential{UserID: u.ID, SecretEncrypted: []byte("sealed"), CreatedAt: t0}))
	// A notice whose ID is in use cannot be queued; the change is undone.
	taken := newEmail("taken")
	wantAnyErr(t, s.ConfirmTOTP(ctx(t), u.ID, firstStep, recoveryHashes("rc", 10), t0, &taken))
	c, err := s.TOTPByUser(ctx(t), u.ID)
	must(t, err)
	n, err := s.CountRecoveryCodes(ctx(t), u.ID)
	must(t, err)
	if !c.ConfirmedAt.IsZero() || n != 0 {
		t.Errorf("after a failed notice: confirmed %v, %d recovery codes; want unconfirmed, 0", c.ConfirmedAt, n)
	}
	wantOutbox(t, s, "taken")
}

func testRecoveryCodeNotice(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	confirmTOTP(t, s, u.ID)
	unknown := newEmail("unknown")
	wantErr(t, s.UseRecoveryCode(ctx(t), u.ID, "unknown", t0, &unknown), store.ErrNotFound)
	wantOutbox(t, s)

	used := newEmail("used")
	must(t, s.UseRecoveryCode(ctx(t), u.ID, "rc-code-0", t0, &used))
	wantOutbox(t, s, "used")
	replay := newEmail("replay")
	wantErr(t, s.UseRecoveryCode(ctx(t), u.ID, "rc-code-0", t0, &replay), store.ErrNotFound)
	wantOutbox(t, s, "used")

	// A notice that cannot be queued leaves the code unused.
	taken := newEmail("used")
	wantAnyErr(t, s.UseRecoveryCode(ctx(t), u.ID, "rc-code-1", t0, &taken))
	n, err := s.CountRecoveryCodes(ctx(t), u.ID)
	must(t, err)
	if n != 9 {
		t.Errorf("CountRecoveryCodes after a failed notice = %d, want 9", n)
	}
	wantOutbox(t, s, "used")
}

func testRecoveryCodeConcurrentNotice(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	confirmTOTP(t, s, u.ID)
	errs := race(func(i int) error {
		notice := newEmail(fmt.Sprintf("use-%d", i))
		return s.UseRecoveryCode(ctx(t), u.ID, "rc-code-0", t0, &notice)
	})
	if ok, _ := countErrs(t, errs, store.ErrNotFound); ok != 1 {
		t.Errorf("%d of %d concurrent uses of one code succeeded, want 1", ok, concurrency)
	}
	all, err := s.OutboxEmails(ctx(t))
	must(t, err)
	if len(all) != 1 {
		t.Errorf("outbox holds %d emails after concurrent uses, want 1", len(all))
	}
}
