package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

const invitationTTL = 72 * time.Hour

func newInvitation(userID, hash string) store.Invitation {
	return store.Invitation{TokenHash: hash, UserID: userID, CreatedAt: t0, ExpiresAt: t0.Add(invitationTTL)}
}

// invite creates an invited user with one grant and an invitation whose
// token hash is "inv-"+name.
func invite(t *testing.T, s store.Store, name string) store.User {
	t.Helper()
	u := newUser(name)
	u.PasswordHash = ""
	grants := []store.Grant{{UserID: u.ID, Permission: store.PermManageUsers, PropertyID: store.AllProperties}}
	must(t, s.InviteUser(ctx(t), u, grants, newInvitation(u.ID, "inv-"+name)))
	u.Status = store.UserInvited
	return u
}

var invitationTests = []test{
	{"InviteUser", testInviteUser},
	{"InviteDuplicateEmail", testInviteDuplicateEmail},
	{"InvitationExpired", testInvitationExpired},
	{"InvitationSingleUse", testInvitationSingleUse},
	{"InvitationReplaced", testInvitationReplaced},
	{"InvitationAcceptNotInvited", testInvitationAcceptNotInvited},
	{"InvitationConcurrentAccept", testInvitationConcurrentAccept},
}

func testInviteUser(t *testing.T, s store.Store) {
	u := invite(t, s, "alice")

	got, err := s.UserByID(ctx(t), u.ID)
	must(t, err)
	if got.Status != store.UserInvited {
		t.Errorf("Status = %q, want %q", got.Status, store.UserInvited)
	}
	grants, err := s.Grants(ctx(t), u.ID)
	must(t, err)
	want := store.Grant{UserID: u.ID, Permission: store.PermManageUsers, PropertyID: store.AllProperties}
	if len(grants) != 1 || grants[0] != want {
		t.Errorf("Grants = %+v, want [%+v]", grants, want)
	}
	inv, err := s.InvitationByHash(ctx(t), "inv-alice", t0.Add(time.Hour))
	must(t, err)
	if inv.UserID != u.ID || !inv.ExpiresAt.Equal(t0.Add(invitationTTL)) || !inv.UsedAt.IsZero() {
		t.Errorf("InvitationByHash = %+v", inv)
	}

	user, err := s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$pw", t0.Add(time.Hour))
	must(t, err)
	if user.Status != store.UserActive || user.PasswordHash != "$argon2id$pw" || !user.TermsAcceptedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("AcceptInvitation user = %+v", user)
	}
	got, err = s.UserByID(ctx(t), u.ID)
	must(t, err)
	if got.Status != store.UserActive {
		t.Errorf("stored Status = %q, want %q", got.Status, store.UserActive)
	}
}

func testInviteDuplicateEmail(t *testing.T, s store.Store) {
	createUser(t, s, "alice")

	dup := newUser("alice")
	dup.ID = "user-other"
	grants := []store.Grant{{UserID: dup.ID, Permission: store.PermViewAudit, PropertyID: "hotel-1"}}
	err := s.InviteUser(ctx(t), dup, grants, newInvitation(dup.ID, "inv-dup"))
	wantErr(t, err, store.ErrAlreadyExists)

	// Nothing of the failed invitation may remain.
	_, err = s.InvitationByHash(ctx(t), "inv-dup", t0)
	wantErr(t, err, store.ErrNotFound)
	got, err := s.Grants(ctx(t), dup.ID)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("Grants = %+v, want none", got)
	}

	mismatch := newUser("bob")
	wantAnyErr(t, s.InviteUser(ctx(t), mismatch, nil, newInvitation("user-someone-else", "inv-bob")))
}

func testInvitationExpired(t *testing.T, s store.Store) {
	invite(t, s, "alice")
	expiry := t0.Add(invitationTTL)

	_, err := s.InvitationByHash(ctx(t), "inv-alice", expiry)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$pw", expiry)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.InvitationByHash(ctx(t), "unknown", t0)
	wantErr(t, err, store.ErrNotFound)

	// Still acceptable just before it expires.
	_, err = s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$pw", expiry.Add(-time.Millisecond))
	must(t, err)
}

func testInvitationSingleUse(t *testing.T, s store.Store) {
	invite(t, s, "alice")
	_, err := s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$first", t0)
	must(t, err)

	_, err = s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$second", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.InvitationByHash(ctx(t), "inv-alice", t0)
	wantErr(t, err, store.ErrNotFound)

	u, err := s.UserByID(ctx(t), "user-alice")
	must(t, err)
	if u.PasswordHash != "$argon2id$first" {
		t.Errorf("PasswordHash = %q, want the first one", u.PasswordHash)
	}
	_, err = s.AcceptInvitation(ctx(t), "inv-alice", "", t0)
	wantAnyErr(t, err)
}

func testInvitationReplaced(t *testing.T, s store.Store) {
	u := invite(t, s, "alice")
	next := newInvitation(u.ID, "inv-alice-2")
	next.CreatedAt = t0.Add(time.Hour)
	must(t, s.ReplaceInvitation(ctx(t), next))

	_, err := s.InvitationByHash(ctx(t), "inv-alice", t0.Add(2*time.Hour))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$pw", t0.Add(2*time.Hour))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.InvitationByHash(ctx(t), "inv-alice-2", t0.Add(2*time.Hour))
	must(t, err)

	wantErr(t, s.ReplaceInvitation(ctx(t), newInvitation("nobody", "inv-nobody")), store.ErrNotFound)
	wantErr(t, s.ReplaceInvitation(ctx(t), newInvitation(u.ID, "inv-alice-2")), store.ErrAlreadyExists)
	// The failed replacement must not have voided the current invitation.
	_, err = s.InvitationByHash(ctx(t), "inv-alice-2", t0.Add(2*time.Hour))
	must(t, err)
}

func testInvitationAcceptNotInvited(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice") // already active
	must(t, s.ReplaceInvitation(ctx(t), newInvitation(u.ID, "inv-active")))

	_, err := s.AcceptInvitation(ctx(t), "inv-active", "$argon2id$pw", t0)
	wantErr(t, err, store.ErrNotFound)
	// The invitation was not consumed either.
	_, err = s.InvitationByHash(ctx(t), "inv-active", t0)
	must(t, err)
	got, err := s.UserByID(ctx(t), u.ID)
	must(t, err)
	if got.PasswordHash != u.PasswordHash {
		t.Error("AcceptInvitation changed the password of an active user")
	}
}

func testInvitationConcurrentAccept(t *testing.T, s store.Store) {
	invite(t, s, "alice")
	errs := race(func(int) error {
		_, err := s.AcceptInvitation(ctx(t), "inv-alice", "$argon2id$pw", t0)
		return err
	})
	if ok, _ := countErrs(t, errs, store.ErrNotFound); ok != 1 {
		t.Errorf("%d of %d concurrent acceptances succeeded, want 1", ok, concurrency)
	}
}
