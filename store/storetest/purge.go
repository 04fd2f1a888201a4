package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var purgeTests = []test{
	{"Purge", testPurge},
}

// testPurge purges at a moment when one row of each kind has expired and
// another has not.
func testPurge(t *testing.T, s store.Store) {
	now := t0.Add(2 * time.Hour)

	expiredReq := newAuthRequest("req-old")
	expiredReq.ExpiresAt = now.Add(-time.Second)
	must(t, s.CreateAuthRequest(ctx(t), expiredReq))
	liveReq := newAuthRequest("req-live")
	liveReq.ExpiresAt = now.Add(time.Hour)
	must(t, s.CreateAuthRequest(ctx(t), liveReq))

	// The request has expired but its code has not: it stays, so a replay
	// of the code is still detected.
	coded := newAuthRequest("req-coded")
	coded.ExpiresAt = now.Add(-time.Second)
	must(t, s.CreateAuthRequest(ctx(t), coded))
	must(t, s.CompleteAuthRequest(ctx(t), coded.ID, browserA, completion, t0))
	must(t, s.SaveAuthCode(ctx(t), coded.ID, "code-coded", now.Add(time.Minute)))
	_, err := s.RedeemAuthCode(ctx(t), "code-coded", t0)
	must(t, err)

	oldSession := newSession("s-old", "user-alice")
	oldSession.ExpiresAt = now
	must(t, s.CreateSession(ctx(t), oldSession))
	liveSession := newSession("s-live", "user-alice")
	liveSession.ExpiresAt = now.Add(time.Hour)
	must(t, s.CreateSession(ctx(t), liveSession))

	u := invite(t, s, "alice") // expires after invitationTTL
	oldInv := newInvitation(u.ID, "inv-old")
	oldInv.ExpiresAt = now.Add(-time.Minute)
	must(t, s.ReplaceInvitation(ctx(t), oldInv))

	oldAT, oldRT := newTokens("web", "user-alice", "old", "")
	oldRT.ExpiresAt = now
	must(t, s.CreateTokens(ctx(t), oldAT, &oldRT)) // the access token expires after tokenTTL
	liveAT, liveRT := newTokens("web", "user-alice", "live", "")
	liveAT.ExpiresAt = now.Add(time.Minute)
	must(t, s.CreateTokens(ctx(t), liveAT, &liveRT))

	must(t, s.Purge(ctx(t), now))

	_, err = s.AuthRequestByID(ctx(t), "req-old", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AuthRequestByID(ctx(t), "req-live", t0)
	must(t, err)
	_, err = s.RedeemAuthCode(ctx(t), "code-coded", now)
	wantErr(t, err, store.ErrReused)

	_, err = s.SessionByTokenHash(ctx(t), liveSession.TokenHash, t0)
	must(t, err)
	// Looked up before its expiry, a purged session is still gone.
	_, err = s.SessionByTokenHash(ctx(t), oldSession.TokenHash, t0)
	wantErr(t, err, store.ErrNotFound)

	_, err = s.InvitationByHash(ctx(t), "inv-old", t0)
	wantErr(t, err, store.ErrNotFound)

	_, err = s.AccessTokenByID(ctx(t), oldAT.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RefreshTokenByHash(ctx(t), oldRT.TokenHash)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AccessTokenByID(ctx(t), liveAT.ID)
	must(t, err)
	_, err = s.RefreshTokenByHash(ctx(t), liveRT.TokenHash)
	must(t, err)

	// Users and keys are never purged.
	_, err = s.UserByID(ctx(t), u.ID)
	must(t, err)
}
