package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

const tokenTTL = time.Hour

// newTokens returns an access token "at-"+tag and a refresh token
// "rt-"+tag (hash "rth-"+tag) of the family tag, issued to the client and
// subject under session-1.
func newTokens(clientID, subject, tag, authRequestID string) (store.AccessToken, store.RefreshToken) {
	rt := store.RefreshToken{
		ID:            "rt-" + tag,
		TokenHash:     "rth-" + tag,
		FamilyID:      tag,
		ClientID:      clientID,
		Subject:       subject,
		Audience:      []string{clientID},
		Scopes:        []string{"openid", "offline_access"},
		AMR:           []string{"pwd", "otp", "mfa"},
		ACR:           "2fa",
		AuthTime:      t0,
		SessionID:     "session-1",
		AuthRequestID: authRequestID,
		CreatedAt:     t0,
		ExpiresAt:     t0.Add(24 * time.Hour),
	}
	at := store.AccessToken{
		ID:             "at-" + tag,
		ClientID:       clientID,
		Subject:        subject,
		Audience:       []string{clientID},
		Scopes:         rt.Scopes,
		AMR:            rt.AMR,
		ACR:            rt.ACR,
		AuthTime:       rt.AuthTime,
		SessionID:      rt.SessionID,
		AuthRequestID:  authRequestID,
		RefreshTokenID: rt.ID,
		CreatedAt:      t0,
		ExpiresAt:      t0.Add(tokenTTL),
	}
	return at, rt
}

func wantAccessRevoked(t *testing.T, s store.Store, id string, revoked bool) {
	t.Helper()
	at, err := s.AccessTokenByID(ctx(t), id)
	must(t, err)
	if at.RevokedAt.IsZero() == revoked {
		t.Errorf("access token %s revoked = %v, want %v", id, !at.RevokedAt.IsZero(), revoked)
	}
}

func wantRefreshRevoked(t *testing.T, s store.Store, hash string, revoked bool) {
	t.Helper()
	rt, err := s.RefreshTokenByHash(ctx(t), hash)
	must(t, err)
	if rt.RevokedAt.IsZero() == revoked {
		t.Errorf("refresh token %s revoked = %v, want %v", rt.ID, !rt.RevokedAt.IsZero(), revoked)
	}
}

var tokenTests = []test{
	{"TokensRoundTrip", testTokensRoundTrip},
	{"TokensDuplicate", testTokensDuplicate},
	{"RefreshRotation", testRefreshRotation},
	{"RefreshReuse", testRefreshReuse},
	{"RefreshConcurrentRotation", testRefreshConcurrentRotation},
	{"RefreshRotateInvalid", testRefreshRotateInvalid},
	{"RevokeRefreshFamily", testRevokeRefreshFamily},
	{"RevokeAccessToken", testRevokeAccessToken},
	{"RevokeSessionTokens", testRevokeSessionTokens},
}

func testTokensRoundTrip(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "req-1")
	must(t, s.CreateTokens(ctx(t), at, &rt))

	gotAT, err := s.AccessTokenByID(ctx(t), at.ID)
	must(t, err)
	if !reflect.DeepEqual(gotAT, at) {
		t.Errorf("AccessTokenByID = %+v, want %+v", gotAT, at)
	}
	gotRT, err := s.RefreshTokenByHash(ctx(t), rt.TokenHash)
	must(t, err)
	if !reflect.DeepEqual(gotRT, rt) {
		t.Errorf("RefreshTokenByHash = %+v, want %+v", gotRT, rt)
	}
	gotRT, err = s.RefreshTokenByID(ctx(t), rt.ID)
	must(t, err)
	if gotRT.TokenHash != rt.TokenHash {
		t.Errorf("RefreshTokenByID hash = %q, want %q", gotRT.TokenHash, rt.TokenHash)
	}

	alone, _ := newTokens("web", "user-alice", "f2", "")
	alone.RefreshTokenID = ""
	must(t, s.CreateTokens(ctx(t), alone, nil))
	_, err = s.AccessTokenByID(ctx(t), alone.ID)
	must(t, err)

	_, err = s.AccessTokenByID(ctx(t), "unknown")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RefreshTokenByHash(ctx(t), "unknown")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RefreshTokenByID(ctx(t), "unknown")
	wantErr(t, err, store.ErrNotFound)
}

func testTokensDuplicate(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))

	// A fresh access token with a refresh token whose hash is taken: the
	// transaction stores neither.
	at2, rt2 := newTokens("web", "user-alice", "f2", "")
	rt2.TokenHash = rt.TokenHash
	wantErr(t, s.CreateTokens(ctx(t), at2, &rt2), store.ErrAlreadyExists)
	_, err := s.AccessTokenByID(ctx(t), at2.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testRefreshRotation(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	at2, rt2 := newTokens("web", "user-alice", "f1-2", "")
	now := t0.Add(time.Hour)
	must(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, now))

	old, err := s.RefreshTokenByHash(ctx(t), rt.TokenHash)
	must(t, err)
	if !old.UsedAt.Equal(now) {
		t.Errorf("old UsedAt = %v, want %v", old.UsedAt, now)
	}
	next, err := s.RefreshTokenByHash(ctx(t), rt2.TokenHash)
	must(t, err)
	if next.FamilyID != rt.FamilyID || !next.UsedAt.IsZero() || !next.RevokedAt.IsZero() {
		t.Errorf("next token = %+v, want an unused token of family %q", next, rt.FamilyID)
	}
	_, err = s.AccessTokenByID(ctx(t), at2.ID)
	must(t, err)

	// The new token rotates in turn.
	at3, rt3 := newTokens("web", "user-alice", "f1-3", "")
	must(t, s.RotateRefreshToken(ctx(t), rt2.TokenHash, at3, rt3, now))
}

func testRefreshReuse(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	at2, rt2 := newTokens("web", "user-alice", "f1-2", "")
	must(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, t0))
	other, otherRT := newTokens("web", "user-alice", "f2", "")
	must(t, s.CreateTokens(ctx(t), other, &otherRT))

	at3, rt3 := newTokens("web", "user-alice", "f1-3", "")
	wantErr(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at3, rt3, t0), store.ErrReused)

	wantRefreshRevoked(t, s, rt.TokenHash, true)
	wantRefreshRevoked(t, s, rt2.TokenHash, true)
	wantAccessRevoked(t, s, at.ID, true)
	wantAccessRevoked(t, s, at2.ID, true)
	wantRefreshRevoked(t, s, otherRT.TokenHash, false)
	wantAccessRevoked(t, s, other.ID, false)
	_, err := s.RefreshTokenByHash(ctx(t), rt3.TokenHash)
	wantErr(t, err, store.ErrNotFound)

	// The revoked successor no longer rotates.
	wantErr(t, s.RotateRefreshToken(ctx(t), rt2.TokenHash, at3, rt3, t0), store.ErrNotFound)
}

func testRefreshConcurrentRotation(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	errs := race(func(i int) error {
		nextAT, nextRT := newTokens("web", "user-alice", "f1-next-"+string(rune('a'+i)), "")
		return s.RotateRefreshToken(ctx(t), rt.TokenHash, nextAT, nextRT, t0)
	})
	ok, reused := countErrs(t, errs, store.ErrReused)
	if ok != 1 || reused != concurrency-1 {
		t.Fatalf("concurrent rotations: %d succeeded and %d reported reuse, want 1 and %d", ok, reused, concurrency-1)
	}
	// The losers saw reuse, so the winner's new token is revoked too.
	for i, err := range errs {
		if err == nil {
			wantRefreshRevoked(t, s, "rth-f1-next-"+string(rune('a'+i)), true)
		}
	}
}

func testRefreshRotateInvalid(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	rt.ExpiresAt = t0.Add(time.Hour)
	must(t, s.CreateTokens(ctx(t), at, &rt))
	at2, rt2 := newTokens("web", "user-alice", "f1-2", "")

	wantErr(t, s.RotateRefreshToken(ctx(t), "unknown", at2, rt2, t0), store.ErrNotFound)
	wantErr(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, t0.Add(time.Hour)), store.ErrNotFound)

	stranger, strangerRT := newTokens("web", "user-mallory", "f1-3", "")
	wantAnyErr(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, stranger, strangerRT, t0))
	// The refused rotation left the token unused.
	got, err := s.RefreshTokenByHash(ctx(t), rt.TokenHash)
	must(t, err)
	if !got.UsedAt.IsZero() {
		t.Error("a refused rotation consumed the token")
	}

	must(t, s.RevokeRefreshFamily(ctx(t), rt.FamilyID, t0))
	wantErr(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, t0), store.ErrNotFound)
}

func testRevokeRefreshFamily(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	at2, rt2 := newTokens("web", "user-alice", "f1-2", "")
	must(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, t0))
	other, otherRT := newTokens("web", "user-alice", "f2", "")
	must(t, s.CreateTokens(ctx(t), other, &otherRT))

	must(t, s.RevokeRefreshFamily(ctx(t), "f1", t0.Add(time.Minute)))
	wantRefreshRevoked(t, s, rt2.TokenHash, true)
	wantAccessRevoked(t, s, at2.ID, true)
	wantAccessRevoked(t, s, at.ID, true)
	wantRefreshRevoked(t, s, otherRT.TokenHash, false)

	got, err := s.RefreshTokenByHash(ctx(t), rt2.TokenHash)
	must(t, err)
	if !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, t0.Add(time.Minute))
	}
	must(t, s.RevokeRefreshFamily(ctx(t), "unknown", t0))
}

func testRevokeAccessToken(t *testing.T, s store.Store) {
	at, _ := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, nil))
	must(t, s.RevokeAccessToken(ctx(t), at.ID, t0.Add(time.Minute)))
	must(t, s.RevokeAccessToken(ctx(t), at.ID, t0.Add(time.Hour)))
	must(t, s.RevokeAccessToken(ctx(t), "unknown", t0))

	got, err := s.AccessTokenByID(ctx(t), at.ID)
	must(t, err)
	if !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, t0.Add(time.Minute))
	}
}

func testRevokeSessionTokens(t *testing.T, s store.Store) {
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	other, otherRT := newTokens("web", "user-alice", "f2", "")
	other.SessionID, otherRT.SessionID = "session-2", "session-2"
	must(t, s.CreateTokens(ctx(t), other, &otherRT))
	noSession, _ := newTokens("web", "user-alice", "f3", "")
	noSession.SessionID, noSession.RefreshTokenID = "", ""
	must(t, s.CreateTokens(ctx(t), noSession, nil))

	must(t, s.RevokeSessionTokens(ctx(t), "session-1", t0))
	wantAccessRevoked(t, s, at.ID, true)
	wantRefreshRevoked(t, s, rt.TokenHash, true)
	wantAccessRevoked(t, s, other.ID, false)
	wantRefreshRevoked(t, s, otherRT.TokenHash, false)

	// An empty session ID must not match the tokens that have none.
	wantAnyErr(t, s.RevokeSessionTokens(ctx(t), "", t0))
	wantAccessRevoked(t, s, noSession.ID, false)
}
