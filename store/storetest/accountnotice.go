package storetest

import (
	"testing"

	"github.com/hotelsoft/idp/store"
)

// The tests below check that the changes of the account page queue their
// notice exactly when the change commits: a failed or repeated change
// queues nothing, and a notice that cannot be queued undoes the change.

var accountNoticeTests = []test{
	{"DeleteTOTPNotice", testDeleteTOTPNotice},
	{"DeleteWebAuthnNotice", testDeleteWebAuthnNotice},
	{"SetPasswordHashNotice", testSetPasswordHashNotice},
}

func testDeleteTOTPNotice(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	none := newEmail("none")
	wantErr(t, s.DeleteTOTP(ctx(t), u.ID, &none), store.ErrNotFound)
	wantOutbox(t, s)

	confirmTOTP(t, s, u.ID)
	must(t, s.QueueEmails(ctx(t), newEmail("taken")))
	// A notice whose ID is in use cannot be queued; the change is undone.
	taken := newEmail("taken")
	wantAnyErr(t, s.DeleteTOTP(ctx(t), u.ID, &taken))
	if _, err := s.TOTPByUser(ctx(t), u.ID); err != nil {
		t.Errorf("TOTPByUser after a failed notice: %v, want the app kept", err)
	}
	wantOutbox(t, s, "taken")

	removed := newEmail("removed")
	must(t, s.DeleteTOTP(ctx(t), u.ID, &removed))
	wantOutbox(t, s, "taken", "removed")
	again := newEmail("again")
	wantErr(t, s.DeleteTOTP(ctx(t), u.ID, &again), store.ErrNotFound)
	wantOutbox(t, s, "taken", "removed")
}

func testDeleteWebAuthnNotice(t *testing.T, s store.Store) {
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	c := newWebAuthnCredential(alice, "1")
	must(t, s.AddWebAuthnCredential(ctx(t), c, nil))
	other := newEmail("other")
	wantErr(t, s.DeleteWebAuthnCredential(ctx(t), bob.ID, c.ID, &other), store.ErrNotFound)
	wantOutbox(t, s)

	must(t, s.QueueEmails(ctx(t), newEmail("taken")))
	taken := newEmail("taken")
	wantAnyErr(t, s.DeleteWebAuthnCredential(ctx(t), alice.ID, c.ID, &taken))
	keys, err := s.WebAuthnCredentials(ctx(t), alice.ID)
	must(t, err)
	if len(keys) != 1 {
		t.Errorf("%d credentials after a failed notice, want 1", len(keys))
	}
	wantOutbox(t, s, "taken")

	removed := newEmail("removed")
	must(t, s.DeleteWebAuthnCredential(ctx(t), alice.ID, c.ID, &removed))
	wantOutbox(t, s, "taken", "removed")
	again := newEmail("again")
	wantErr(t, s.DeleteWebAuthnCredential(ctx(t), alice.ID, c.ID, &again), store.ErrNotFound)
	wantOutbox(t, s, "taken", "removed")
}

func testSetPasswordHashNotice(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	unknown := newEmail("unknown")
	wantErr(t, s.SetPasswordHash(ctx(t), "nobody", "$argon2id$new", &unknown), store.ErrNotFound)
	empty := newEmail("empty")
	wantAnyErr(t, s.SetPasswordHash(ctx(t), u.ID, "", &empty))
	wantOutbox(t, s)

	must(t, s.QueueEmails(ctx(t), newEmail("taken")))
	taken := newEmail("taken")
	wantAnyErr(t, s.SetPasswordHash(ctx(t), u.ID, "$argon2id$lost", &taken))
	wantPasswordHash(t, s, u.ID, u.PasswordHash)
	wantOutbox(t, s, "taken")

	changed := newEmail("changed")
	must(t, s.SetPasswordHash(ctx(t), u.ID, "$argon2id$new", &changed))
	wantPasswordHash(t, s, u.ID, "$argon2id$new")
	wantOutbox(t, s, "taken", "changed")
}

// wantPasswordHash fails the test unless the user's password hash is want.
func wantPasswordHash(t *testing.T, s store.Store, userID, want string) {
	t.Helper()
	got, err := s.UserByID(ctx(t), userID)
	must(t, err)
	if got.PasswordHash != want {
		t.Errorf("PasswordHash = %q, want %q", got.PasswordHash, want)
	}
}
