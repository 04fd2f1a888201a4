package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var accountTests = []test{
	{"DeleteTOTP", testDeleteTOTP},
	{"ReplaceRecoveryCodes", testReplaceRecoveryCodes},
	{"RevokeOtherSessions", testRevokeOtherSessions},
	{"LockSession", testLockSession},
	{"TouchSession", testTouchSession},
}

func testDeleteTOTP(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	wantErr(t, s.DeleteTOTP(ctx(t), u.ID, nil), store.ErrNotFound)

	confirmTOTP(t, s, u.ID)
	must(t, s.DeleteTOTP(ctx(t), u.ID, nil))
	methods, err := s.Methods(ctx(t), u.ID)
	must(t, err)
	if len(methods) != 0 {
		t.Errorf("methods after delete = %v, want none", methods)
	}
	_, err = s.TOTPByUser(ctx(t), u.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testReplaceRecoveryCodes(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	confirmTOTP(t, s, u.ID)
	must(t, s.UseRecoveryCode(ctx(t), u.ID, "rc-code-0", t0, nil))

	must(t, s.ReplaceRecoveryCodes(ctx(t), u.ID, recoveryHashes("new", 10), t0))
	n, err := s.CountRecoveryCodes(ctx(t), u.ID)
	must(t, err)
	if n != 10 {
		t.Errorf("unused codes = %d, want 10", n)
	}
	wantErr(t, s.UseRecoveryCode(ctx(t), u.ID, "rc-code-1", t0, nil), store.ErrNotFound)
	must(t, s.UseRecoveryCode(ctx(t), u.ID, "new-code-1", t0, nil))
	wantAnyErr(t, s.ReplaceRecoveryCodes(ctx(t), u.ID, nil, t0))
}

func testRevokeOtherSessions(t *testing.T, s store.Store) {
	for _, id := range []string{"keep", "other-1", "other-2"} {
		must(t, s.CreateSession(ctx(t), newSession(id, "user-alice")))
	}
	must(t, s.CreateSession(ctx(t), newSession("bob-1", "user-bob")))
	keepAT, keepRT := newTokens("client-1", "user-alice", "keep", "")
	keepAT.SessionID, keepRT.SessionID = "keep", "keep"
	must(t, s.CreateTokens(ctx(t), keepAT, &keepRT))
	otherAT, otherRT := newTokens("client-1", "user-alice", "other", "")
	otherAT.SessionID, otherRT.SessionID = "other-1", "other-1"
	must(t, s.CreateTokens(ctx(t), otherAT, &otherRT))

	n, err := s.RevokeOtherSessions(ctx(t), "user-alice", "keep", t0)
	must(t, err)
	if n != 2 {
		t.Errorf("ended %d sessions, want 2", n)
	}
	if _, err := s.SessionByTokenHash(ctx(t), "sth-keep", t0); err != nil {
		t.Errorf("kept session: %v", err)
	}
	for _, hash := range []string{"sth-other-1", "sth-other-2"} {
		_, err := s.SessionByTokenHash(ctx(t), hash, t0)
		wantErr(t, err, store.ErrNotFound)
	}
	if _, err := s.SessionByTokenHash(ctx(t), "sth-bob-1", t0); err != nil {
		t.Errorf("another user's session: %v", err)
	}
	wantAccessRevoked(t, s, otherAT.ID, true)
	wantRefreshRevoked(t, s, otherRT.TokenHash, true)
	wantAccessRevoked(t, s, keepAT.ID, false)
	wantRefreshRevoked(t, s, keepRT.TokenHash, false)

	n, err = s.RevokeOtherSessions(ctx(t), "user-alice", "keep", t0)
	must(t, err)
	if n != 0 {
		t.Errorf("second call ended %d sessions, want 0", n)
	}
}

func testLockSession(t *testing.T, s store.Store) {
	must(t, s.CreateSession(ctx(t), newSession("s1", "user-alice")))
	lockedAt := t0.Add(time.Minute)
	must(t, s.LockSession(ctx(t), "s1", lockedAt))
	must(t, s.LockSession(ctx(t), "s1", lockedAt.Add(time.Minute)))

	got, err := s.SessionByTokenHash(ctx(t), "sth-s1", t0)
	must(t, err)
	if !got.LockedAt.Equal(lockedAt) {
		t.Errorf("LockedAt = %v, want the first lock time %v", got.LockedAt, lockedAt)
	}

	wantErr(t, s.LockSession(ctx(t), "missing", t0), store.ErrNotFound)
	must(t, s.RevokeSession(ctx(t), "s1", t0))
	wantErr(t, s.LockSession(ctx(t), "s1", t0), store.ErrNotFound)
}

func testTouchSession(t *testing.T, s store.Store) {
	must(t, s.CreateSession(ctx(t), newSession("s1", "user-alice")))
	active := t0.Add(5 * time.Minute)
	must(t, s.TouchSession(ctx(t), "s1", active))
	got, err := s.SessionByTokenHash(ctx(t), "sth-s1", t0)
	must(t, err)
	if !got.UpdatedAt.Equal(active) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, active)
	}

	must(t, s.LockSession(ctx(t), "s1", active))
	must(t, s.TouchSession(ctx(t), "s1", active.Add(time.Minute)))
	got, err = s.SessionByTokenHash(ctx(t), "sth-s1", t0)
	must(t, err)
	if !got.UpdatedAt.Equal(active) {
		t.Errorf("a locked session was touched: UpdatedAt = %v, want %v", got.UpdatedAt, active)
	}
	must(t, s.TouchSession(ctx(t), "missing", active))
}
