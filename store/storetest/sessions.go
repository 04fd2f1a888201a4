package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

const sessionTTL = 12 * time.Hour

func newSession(id, userID string) store.Session {
	return store.Session{
		ID:        id,
		TokenHash: "sth-" + id,
		UserID:    userID,
		CreatedAt: t0,
		UpdatedAt: t0,
		ExpiresAt: t0.Add(sessionTTL),
		AuthTime:  t0,
		AMR:       []string{"pwd"},
		ACR:       "1fa",
		UserAgent: "Mozilla/5.0",
		ClientIP:  "192.0.2.1",
	}
}

var sessionTests = []test{
	{"SessionRoundTrip", testSessionRoundTrip},
	{"SessionExpired", testSessionExpired},
	{"SessionDuplicate", testSessionDuplicate},
	{"SessionRotate", testSessionRotate},
	{"SessionRevoke", testSessionRevoke},
	{"RevokeUserSessions", testRevokeUserSessions},
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	sess := newSession("s1", "user-alice")
	must(t, s.CreateSession(ctx(t), sess))
	got, err := s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	must(t, err)
	if !reflect.DeepEqual(got, sess) {
		t.Errorf("SessionByTokenHash = %+v, want %+v", got, sess)
	}
	_, err = s.SessionByTokenHash(ctx(t), "unknown", t0)
	wantErr(t, err, store.ErrNotFound)
}

func testSessionExpired(t *testing.T, s store.Store) {
	sess := newSession("s1", "user-alice")
	must(t, s.CreateSession(ctx(t), sess))
	_, err := s.SessionByTokenHash(ctx(t), sess.TokenHash, sess.ExpiresAt)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.SessionByTokenHash(ctx(t), sess.TokenHash, sess.ExpiresAt.Add(-time.Millisecond))
	must(t, err)
}

func testSessionDuplicate(t *testing.T, s store.Store) {
	must(t, s.CreateSession(ctx(t), newSession("s1", "user-alice")))
	wantErr(t, s.CreateSession(ctx(t), newSession("s1", "user-bob")), store.ErrAlreadyExists)
	sameToken := newSession("s2", "user-bob")
	sameToken.TokenHash = "sth-s1"
	wantErr(t, s.CreateSession(ctx(t), sameToken), store.ErrAlreadyExists)
	wantAnyErr(t, s.CreateSession(ctx(t), store.Session{ID: "s3", UserID: "user-bob", ExpiresAt: t0.Add(time.Hour)}))
}

// testSessionRotate replaces the token and raises the session to 2FA, as a
// second factor does.
func testSessionRotate(t *testing.T, s store.Store) {
	sess := newSession("s1", "user-alice")
	must(t, s.CreateSession(ctx(t), sess))

	next := sess
	next.TokenHash = "sth-s1-rotated"
	next.UpdatedAt = t0.Add(time.Minute)
	next.AuthTime = t0.Add(time.Minute)
	next.AMR = []string{"pwd", "otp", "mfa"}
	next.ACR = "2fa"
	next.Complete = true
	next.SecondFactorAt = t0.Add(time.Minute)
	next.LockedAt = t0.Add(2 * time.Minute)
	must(t, s.UpdateSession(ctx(t), next))

	_, err := s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
	got, err := s.SessionByTokenHash(ctx(t), next.TokenHash, t0)
	must(t, err)
	if !reflect.DeepEqual(got, next) {
		t.Errorf("rotated session = %+v, want %+v", got, next)
	}

	// Another session cannot take over the rotated token.
	must(t, s.CreateSession(ctx(t), newSession("s2", "user-bob")))
	clash := newSession("s2", "user-bob")
	clash.TokenHash = next.TokenHash
	wantErr(t, s.UpdateSession(ctx(t), clash), store.ErrAlreadyExists)

	missing := newSession("unknown", "user-alice")
	wantErr(t, s.UpdateSession(ctx(t), missing), store.ErrNotFound)
}

func testSessionRevoke(t *testing.T, s store.Store) {
	sess := newSession("s1", "user-alice")
	must(t, s.CreateSession(ctx(t), sess))
	must(t, s.RevokeSession(ctx(t), sess.ID, t0))
	must(t, s.RevokeSession(ctx(t), sess.ID, t0))

	_, err := s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
	// A revoked session cannot be brought back by an update.
	wantErr(t, s.UpdateSession(ctx(t), sess), store.ErrNotFound)
	_, err = s.SessionByTokenHash(ctx(t), sess.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)
}

func testRevokeUserSessions(t *testing.T, s store.Store) {
	must(t, s.CreateSession(ctx(t), newSession("s1", "user-alice")))
	must(t, s.CreateSession(ctx(t), newSession("s2", "user-alice")))
	must(t, s.CreateSession(ctx(t), newSession("s3", "user-bob")))
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	bobAT, bobRT := newTokens("web", "user-bob", "f2", "")
	must(t, s.CreateTokens(ctx(t), bobAT, &bobRT))

	must(t, s.RevokeUserSessions(ctx(t), "user-alice", t0))
	for _, hash := range []string{"sth-s1", "sth-s2"} {
		_, err := s.SessionByTokenHash(ctx(t), hash, t0)
		wantErr(t, err, store.ErrNotFound)
	}
	_, err := s.SessionByTokenHash(ctx(t), "sth-s3", t0)
	must(t, err)
	wantAccessRevoked(t, s, at.ID, true)
	wantRefreshRevoked(t, s, rt.TokenHash, true)
	wantAccessRevoked(t, s, bobAT.ID, false)
	wantRefreshRevoked(t, s, bobRT.TokenHash, false)
}
