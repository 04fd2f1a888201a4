package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var emailTests = []test{
	{"OutboxClaimAndSend", testOutboxClaimAndSend},
	{"OutboxFailureBackoff", testOutboxFailureBackoff},
	{"OutboxLeaseExpires", testOutboxLeaseExpires},
	{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
	{"OutboxStats", testOutboxStats},
	{"OutboxInviteAtomic", testOutboxInviteAtomic},
	{"EmailChallengeLink", testEmailChallengeLink},
	{"EmailChallengeCode", testEmailChallengeCode},
	{"EmailChallengeSuperseded", testEmailChallengeSuperseded},
	{"EmailChallengeConcurrentCodes", testEmailChallengeConcurrentCodes},
	{"PasswordReset", testPasswordReset},
	{"PasswordResetFactor", testPasswordResetFactor},
}

// newEmail returns an outbox email with placeholder ciphertext.
func newEmail(id string) store.OutboundEmail {
	return store.OutboundEmail{
		ID: id, Kind: store.EmailNotification, Recipient: id + "@example.com", Language: "en",
		SubjectSealed: []byte("s"), TextSealed: []byte("t"), HTMLSealed: []byte("h"),
		CreatedAt: t0, NextAttemptAt: t0,
	}
}

func testOutboxClaimAndSend(t *testing.T, s store.Store) {
	must(t, s.QueueEmails(ctx(t), newEmail("a"), newEmail("b")))
	claimed, err := s.ClaimEmails(ctx(t), t0, time.Minute, 10)
	must(t, err)
	if len(claimed) != 2 || claimed[0].LeaseToken == "" || string(claimed[0].TextSealed) != "t" {
		t.Fatalf("ClaimEmails = %+v, want both emails with a lease", claimed)
	}
	again, err := s.ClaimEmails(ctx(t), t0, time.Minute, 10)
	must(t, err)
	if len(again) != 0 {
		t.Fatalf("second ClaimEmails = %d emails, want 0 while leased", len(again))
	}
	wantErr(t, s.MarkEmailSent(ctx(t), "a", "wrong-lease", t0), store.ErrNotFound)
	must(t, s.MarkEmailSent(ctx(t), "a", claimed[0].LeaseToken, t0))
	wantErr(t, s.MarkEmailSent(ctx(t), "a", claimed[0].LeaseToken, t0), store.ErrNotFound)

	later, err := s.ClaimEmails(ctx(t), t0.Add(time.Hour), time.Minute, 10)
	must(t, err)
	if len(later) != 1 || later[0].ID != "b" {
		t.Fatalf("ClaimEmails after the lease = %+v, want only the unsent email", later)
	}
	all, err := s.OutboxEmails(ctx(t))
	must(t, err)
	if len(all) != 2 || all[0].SentAt.IsZero() || all[0].Attempts != 1 {
		t.Errorf("OutboxEmails = %+v, want a sent after one attempt", all)
	}
}

func testOutboxFailureBackoff(t *testing.T, s store.Store) {
	must(t, s.QueueEmails(ctx(t), newEmail("a")))
	claimed, err := s.ClaimEmails(ctx(t), t0, time.Minute, 10)
	must(t, err)
	must(t, s.MarkEmailFailed(ctx(t), "a", claimed[0].LeaseToken, "connection refused", t0.Add(time.Minute), t0))

	early, err := s.ClaimEmails(ctx(t), t0.Add(30*time.Second), time.Minute, 10)
	must(t, err)
	if len(early) != 0 {
		t.Fatalf("ClaimEmails before the back-off ended = %d emails, want 0", len(early))
	}
	due, err := s.ClaimEmails(ctx(t), t0.Add(time.Minute), time.Minute, 10)
	must(t, err)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "connection refused" {
		t.Fatalf("ClaimEmails after the back-off = %+v", due)
	}
	// A zero next attempt gives the email up.
	must(t, s.MarkEmailFailed(ctx(t), "a", due[0].LeaseToken, "mailbox unavailable", time.Time{}, t0.Add(time.Minute)))
	never, err := s.ClaimEmails(ctx(t), t0.Add(24*time.Hour), time.Minute, 10)
	must(t, err)
	if len(never) != 0 {
		t.Errorf("ClaimEmails after giving up = %d emails, want 0", len(never))
	}
}

func testOutboxStats(t *testing.T, s store.Store) {
	empty, err := s.OutboxStats(ctx(t))
	must(t, err)
	if empty != (store.OutboxStats{}) {
		t.Fatalf("OutboxStats of an empty outbox = %+v, want zeros", empty)
	}
	sent, retried, givenUp, waiting := newEmail("sent"), newEmail("retried"), newEmail("given-up"), newEmail("waiting")
	retried.CreatedAt = t0.Add(-time.Hour)
	waiting.CreatedAt, waiting.NextAttemptAt = t0.Add(time.Minute), t0.Add(time.Hour)
	must(t, s.QueueEmails(ctx(t), sent, retried, givenUp, waiting))
	claimed, err := s.ClaimEmails(ctx(t), t0, time.Minute, 10)
	must(t, err)
	for _, e := range claimed {
		switch e.ID {
		case "sent":
			must(t, s.MarkEmailSent(ctx(t), e.ID, e.LeaseToken, t0))
		case "retried":
			must(t, s.MarkEmailFailed(ctx(t), e.ID, e.LeaseToken, "timeout", t0.Add(time.Minute), t0))
		case "given-up":
			must(t, s.MarkEmailFailed(ctx(t), e.ID, e.LeaseToken, "no such mailbox", time.Time{}, t0))
		}
	}
	got, err := s.OutboxStats(ctx(t))
	must(t, err)
	want := store.OutboxStats{Pending: 2, Failed: 1, PendingAttempts: 1, OldestPending: t0.Add(-time.Hour)}
	if got.Pending != want.Pending || got.Failed != want.Failed || got.PendingAttempts != want.PendingAttempts ||
		!got.OldestPending.Equal(want.OldestPending) {
		t.Errorf("OutboxStats = %+v, want %+v", got, want)
	}
}

func testOutboxLeaseExpires(t *testing.T, s store.Store) {
	must(t, s.QueueEmails(ctx(t), newEmail("a")))
	first, err := s.ClaimEmails(ctx(t), t0, time.Minute, 10)
	must(t, err)
	second, err := s.ClaimEmails(ctx(t), t0.Add(2*time.Minute), time.Minute, 10)
	must(t, err)
	if len(first) != 1 || len(second) != 1 || first[0].LeaseToken == second[0].LeaseToken {
		t.Fatalf("claims = %+v and %+v, want a new lease after the first ran out", first, second)
	}
	// The crashed sender's late report changes nothing.
	wantErr(t, s.MarkEmailSent(ctx(t), "a", first[0].LeaseToken, t0), store.ErrNotFound)
	must(t, s.MarkEmailSent(ctx(t), "a", second[0].LeaseToken, t0))
}

func testOutboxConcurrentClaims(t *testing.T, s store.Store) {
	var emails []store.OutboundEmail
	for i := range 40 {
		emails = append(emails, newEmail(fmt.Sprintf("e%02d", i)))
	}
	must(t, s.QueueEmails(ctx(t), emails...))
	got := make([][]store.OutboundEmail, concurrency)
	errs := race(func(i int) error {
		var err error
		got[i], err = s.ClaimEmails(ctx(t), t0, time.Minute, 7)
		return err
	})
	countErrs(t, errs, nil)
	seen := map[string]bool{}
	for _, batch := range got {
		for _, e := range batch {
			if seen[e.ID] {
				t.Errorf("email %s claimed twice", e.ID)
			}
			seen[e.ID] = true
		}
	}
	if len(seen) != 40 {
		t.Errorf("claimed %d distinct emails, want 40", len(seen))
	}
}

func testOutboxInviteAtomic(t *testing.T, s store.Store) {
	u := newUser("alice")
	u.PasswordHash, u.Status = "", store.UserInvited
	email := newEmail("welcome")
	must(t, s.InviteUserWithEmail(ctx(t), u, nil, newInvitation(u.ID, "inv-1"), email))
	// A taken address stores neither the user nor the email.
	dup := newUser("alice")
	dup.ID = "user-other"
	err := s.InviteUserWithEmail(ctx(t), dup, nil, newInvitation(dup.ID, "inv-2"), newEmail("second"))
	wantErr(t, err, store.ErrAlreadyExists)
	must(t, s.ReplaceInvitationWithEmail(ctx(t), newInvitation(u.ID, "inv-3"), newEmail("again")))
	_, err = s.InvitationByHash(ctx(t), "inv-1", t0)
	wantErr(t, err, store.ErrNotFound)

	all, err := s.OutboxEmails(ctx(t))
	must(t, err)
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if !equalStrings(ids, []string{"again", "welcome"}) {
		t.Errorf("outbox = %v, want [again welcome]", ids)
	}
}

func newChallenge(id, userID string) store.EmailChallenge {
	return store.EmailChallenge{
		ID: id, UserID: userID, BindingHash: "binding-" + id, LinkHash: "link-" + id, CodeHash: "code-" + id,
		CreatedAt: t0, LinkExpiresAt: t0.Add(15 * time.Minute), CodeExpiresAt: t0.Add(10 * time.Minute),
	}
}

func testEmailChallengeLink(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c1", u.ID), newEmail("m1")))

	_, err := s.VerifyEmailLink(ctx(t), "link-c1", "binding-other", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.VerifyEmailLink(ctx(t), "link-c1", "binding-c1", t0.Add(16*time.Minute))
	wantErr(t, err, store.ErrNotFound)
	c, err := s.VerifyEmailLink(ctx(t), "link-c1", "binding-c1", t0.Add(time.Minute))
	must(t, err)
	if c.ID != "c1" || c.VerifiedAt.IsZero() {
		t.Fatalf("VerifyEmailLink = %+v", c)
	}
	_, err = s.VerifyEmailLink(ctx(t), "link-c1", "binding-c1", t0.Add(time.Minute))
	wantErr(t, err, store.ErrNotFound)

	notice := newEmail("added")
	activated, err := s.UseEmailChallenge(ctx(t), "c1", t0.Add(time.Minute), &notice)
	must(t, err)
	if !activated {
		t.Error("first use did not activate the method")
	}
	_, err = s.UseEmailChallenge(ctx(t), "c1", t0.Add(time.Minute), nil)
	wantErr(t, err, store.ErrNotFound)
	methods, err := s.Methods(ctx(t), u.ID)
	must(t, err)
	if !slices.Contains(methods, "email") {
		t.Errorf("Methods = %v, want email", methods)
	}
	defer func() {
		removed := newEmail("removed")
		must(t, s.RemoveEmailMethod(ctx(t), u.ID, t0, &removed))
		wantErr(t, s.RemoveEmailMethod(ctx(t), u.ID, t0, nil), store.ErrNotFound)
		methods, err := s.Methods(ctx(t), u.ID)
		must(t, err)
		if slices.Contains(methods, "email") {
			t.Errorf("Methods after removal = %v, want no email", methods)
		}
	}()
	// A later challenge does not activate again nor queue its notice.
	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c2", u.ID), newEmail("m2")))
	must(t, s.VerifyEmailCode(ctx(t), "c2", "code-c2", 5, t0))
	again := newEmail("added-again")
	activated, err = s.UseEmailChallenge(ctx(t), "c2", t0, &again)
	must(t, err)
	all, err := s.OutboxEmails(ctx(t))
	must(t, err)
	if activated || len(all) != 3 {
		t.Errorf("second activation: activated %v, %d emails, want false and 3", activated, len(all))
	}
}

func testEmailChallengeCode(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c1", u.ID), newEmail("m1")))
	for range 4 {
		wantErr(t, s.VerifyEmailCode(ctx(t), "c1", "wrong", 5, t0), store.ErrConflict)
	}
	must(t, s.VerifyEmailCode(ctx(t), "c1", "code-c1", 5, t0))
	wantErr(t, s.VerifyEmailCode(ctx(t), "c1", "code-c1", 5, t0), store.ErrNotFound)

	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c2", u.ID), newEmail("m2")))
	for range 5 {
		wantErr(t, s.VerifyEmailCode(ctx(t), "c2", "wrong", 5, t0), store.ErrConflict)
	}
	wantErr(t, s.VerifyEmailCode(ctx(t), "c2", "code-c2", 5, t0), store.ErrNotFound)

	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c3", u.ID), newEmail("m3")))
	wantErr(t, s.VerifyEmailCode(ctx(t), "c3", "code-c3", 5, t0.Add(10*time.Minute)), store.ErrNotFound)
}

func testEmailChallengeSuperseded(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c1", u.ID), newEmail("m1")))
	c2 := newChallenge("c2", u.ID)
	c2.CreatedAt = t0.Add(time.Minute)
	must(t, s.CreateEmailChallenge(ctx(t), c2, newEmail("m2")))
	_, err := s.VerifyEmailLink(ctx(t), "link-c1", "binding-c1", t0.Add(2*time.Minute))
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.VerifyEmailCode(ctx(t), "c1", "code-c1", 5, t0.Add(2*time.Minute)), store.ErrNotFound)
	latest, err := s.LatestEmailChallenge(ctx(t), "binding-c1")
	must(t, err)
	if latest.VoidedAt.IsZero() {
		t.Errorf("LatestEmailChallenge = %+v, want it voided", latest)
	}
	newest, err := s.LatestUserEmailChallenge(ctx(t), u.ID)
	must(t, err)
	if newest.ID != "c2" {
		t.Errorf("LatestUserEmailChallenge = %q, want c2", newest.ID)
	}
	_, err = s.LatestUserEmailChallenge(ctx(t), "nobody")
	wantErr(t, err, store.ErrNotFound)
}

func testEmailChallengeConcurrentCodes(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.CreateEmailChallenge(ctx(t), newChallenge("c1", u.ID), newEmail("m1")))
	errs := race(func(int) error { return s.VerifyEmailCode(ctx(t), "c1", "wrong", 5, t0) })
	conflicts, dead := 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, store.ErrConflict):
			conflicts++
		case errors.Is(err, store.ErrNotFound):
			dead++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if conflicts != 5 {
		t.Errorf("%d wrong codes counted, want exactly 5 before the challenge dies", conflicts)
	}
}

func testPasswordReset(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	r := store.PasswordReset{TokenHash: "reset-1", UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.RequestPasswordReset(ctx(t), r, newEmail("m1")))
	r2 := r
	r2.TokenHash = "reset-2"
	must(t, s.RequestPasswordReset(ctx(t), r2, newEmail("m2")))
	_, err := s.PasswordResetByHash(ctx(t), "reset-1", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.PasswordResetByHash(ctx(t), "reset-2", t0.Add(time.Hour))
	wantErr(t, err, store.ErrNotFound)

	sess := store.Session{ID: "s1", TokenHash: "tok-1", UserID: u.ID, CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0.Add(time.Hour), AMR: []string{"pwd"}}
	must(t, s.CreateSession(ctx(t), sess))
	got, err := s.ResetPassword(ctx(t), "reset-2", "$new", false, t0.Add(time.Minute), newEmail("done"))
	must(t, err)
	if got.PasswordHash != "$new" {
		t.Errorf("PasswordHash = %q, want $new", got.PasswordHash)
	}
	_, err = s.SessionByTokenHash(ctx(t), "tok-1", t0.Add(time.Minute))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ResetPassword(ctx(t), "reset-2", "$again", false, t0.Add(time.Minute), newEmail("done2"))
	wantErr(t, err, store.ErrNotFound)
}

func testPasswordResetFactor(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	r := store.PasswordReset{TokenHash: "reset-1", UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	must(t, s.RequestPasswordReset(ctx(t), r, newEmail("m1")))
	_, err := s.ResetPassword(ctx(t), "reset-1", "$new", true, t0, newEmail("done"))
	wantErr(t, err, store.ErrNotFound)
	must(t, s.PassPasswordResetFactor(ctx(t), "reset-1", t0))
	_, err = s.ResetPassword(ctx(t), "reset-1", "$new", true, t0, newEmail("done"))
	must(t, err)
}
