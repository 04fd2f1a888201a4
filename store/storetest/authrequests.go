package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

const (
	authRequestTTL = 30 * time.Minute
	codeTTL        = time.Minute
	browserA       = "browser-a"
	browserB       = "browser-b"
)

func newAuthRequest(id string) store.AuthRequest {
	maxAge := int64(3600)
	return store.AuthRequest{
		ID:                  id,
		ClientID:            "web",
		RedirectURI:         "https://app.example.com/callback",
		State:               "state-1",
		Nonce:               "nonce-1",
		Scopes:              []string{"openid", "email", "offline_access"},
		ResponseType:        "code",
		ResponseMode:        "query",
		CodeChallenge:       "challenge",
		CodeChallengeMethod: "S256",
		Prompt:              []string{"login"},
		MaxAge:              &maxAge,
		ACRValues:           []string{"2fa"},
		UILocales:           []string{"nl", "en"},
		LoginHint:           "alice@example.com",
		HintSubject:         "user-alice",
		CreatedAt:           t0,
		ExpiresAt:           t0.Add(authRequestTTL),
	}
}

var completion = store.Completion{
	Subject:   "user-alice",
	AuthTime:  t0.Add(time.Minute),
	AMR:       []string{"pwd", "otp", "mfa"},
	ACR:       "2fa",
	SessionID: "session-1",
}

// issueCode creates, binds and completes an auth request and saves the code
// hash "code-"+id, expiring codeTTL after t0.
func issueCode(t *testing.T, s store.Store, id string) {
	t.Helper()
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest(id)))
	must(t, s.BindAuthRequest(ctx(t), id, browserA))
	must(t, s.CompleteAuthRequest(ctx(t), id, browserA, completion, t0.Add(time.Minute)))
	must(t, s.SaveAuthCode(ctx(t), id, "code-"+id, t0.Add(codeTTL)))
}

var authRequestTests = []test{
	{"AuthRequestRoundTrip", testAuthRequestRoundTrip},
	{"AuthRequestExpired", testAuthRequestExpired},
	{"AuthRequestBind", testAuthRequestBind},
	{"AuthRequestComplete", testAuthRequestComplete},
	{"AuthCodeSetOnce", testAuthCodeSetOnce},
	{"AuthCodeRedeem", testAuthCodeRedeem},
	{"AuthCodeReplay", testAuthCodeReplay},
	{"AuthCodeConcurrentRedeem", testAuthCodeConcurrentRedeem},
	{"AuthCodeReplayBeforeTokens", testAuthCodeReplayBeforeTokens},
	{"AuthRequestDelete", testAuthRequestDelete},
}

func testAuthRequestRoundTrip(t *testing.T, s store.Store) {
	r := newAuthRequest("req-1")
	must(t, s.CreateAuthRequest(ctx(t), r))
	got, err := s.AuthRequestByID(ctx(t), r.ID, t0)
	must(t, err)
	if !reflect.DeepEqual(got, r) {
		t.Errorf("AuthRequestByID = %+v, want %+v", got, r)
	}
	wantErr(t, s.CreateAuthRequest(ctx(t), r), store.ErrAlreadyExists)

	bare := store.AuthRequest{ID: "req-2", ClientID: "web", CreatedAt: t0, ExpiresAt: t0.Add(authRequestTTL)}
	must(t, s.CreateAuthRequest(ctx(t), bare))
	got, err = s.AuthRequestByID(ctx(t), bare.ID, t0)
	must(t, err)
	if got.MaxAge != nil || got.Scopes != nil {
		t.Errorf("bare request = %+v, want nil MaxAge and Scopes", got)
	}
}

func testAuthRequestExpired(t *testing.T, s store.Store) {
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-1")))
	expiry := t0.Add(authRequestTTL)
	_, err := s.AuthRequestByID(ctx(t), "req-1", expiry)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AuthRequestByID(ctx(t), "unknown", t0)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.CompleteAuthRequest(ctx(t), "req-1", browserA, completion, expiry), store.ErrNotFound)
	wantErr(t, s.CompleteAuthRequest(ctx(t), "unknown", browserA, completion, t0), store.ErrNotFound)
}

func testAuthRequestBind(t *testing.T, s store.Store) {
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-1")))
	must(t, s.BindAuthRequest(ctx(t), "req-1", browserA))
	must(t, s.BindAuthRequest(ctx(t), "req-1", browserA))
	wantErr(t, s.BindAuthRequest(ctx(t), "req-1", browserB), store.ErrConflict)
	wantErr(t, s.BindAuthRequest(ctx(t), "unknown", browserA), store.ErrNotFound)
	wantAnyErr(t, s.BindAuthRequest(ctx(t), "req-1", ""))

	got, err := s.AuthRequestByID(ctx(t), "req-1", t0)
	must(t, err)
	if got.BrowserHash != browserA {
		t.Errorf("BrowserHash = %q, want %q", got.BrowserHash, browserA)
	}

	// Of browsers racing to bind a fresh request, exactly one wins.
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-2")))
	errs := race(func(i int) error { return s.BindAuthRequest(ctx(t), "req-2", browserA+string(rune('0'+i))) })
	if ok, _ := countErrs(t, errs, store.ErrConflict); ok != 1 {
		t.Errorf("%d of %d browsers bound one request, want 1", ok, concurrency)
	}
}

func testAuthRequestComplete(t *testing.T, s store.Store) {
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-1")))
	must(t, s.BindAuthRequest(ctx(t), "req-1", browserA))
	wantErr(t, s.CompleteAuthRequest(ctx(t), "req-1", browserB, completion, t0), store.ErrConflict)
	wantAnyErr(t, s.CompleteAuthRequest(ctx(t), "req-1", "", completion, t0))

	now := t0.Add(2 * time.Minute)
	must(t, s.CompleteAuthRequest(ctx(t), "req-1", browserA, completion, now))
	got, err := s.AuthRequestByID(ctx(t), "req-1", now)
	must(t, err)
	if got.Subject != completion.Subject || !got.AuthTime.Equal(completion.AuthTime) || !equalStrings(got.AMR, completion.AMR) ||
		got.ACR != completion.ACR || got.SessionID != completion.SessionID || !got.DoneAt.Equal(now) {
		t.Errorf("completed request = %+v, want %+v done at %v", got, completion, now)
	}

	// An unbound request is bound by its completion.
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-2")))
	must(t, s.CompleteAuthRequest(ctx(t), "req-2", browserB, completion, now))
	wantErr(t, s.BindAuthRequest(ctx(t), "req-2", browserA), store.ErrConflict)
}

func testAuthCodeSetOnce(t *testing.T, s store.Store) {
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-1")))
	wantErr(t, s.SaveAuthCode(ctx(t), "req-1", "code-early", t0.Add(codeTTL)), store.ErrConflict) // not done
	wantErr(t, s.SaveAuthCode(ctx(t), "unknown", "code-x", t0.Add(codeTTL)), store.ErrNotFound)

	must(t, s.CompleteAuthRequest(ctx(t), "req-1", browserA, completion, t0))
	must(t, s.SaveAuthCode(ctx(t), "req-1", "code-1", t0.Add(codeTTL)))
	wantErr(t, s.SaveAuthCode(ctx(t), "req-1", "code-2", t0.Add(codeTTL)), store.ErrConflict)
	wantErr(t, s.CompleteAuthRequest(ctx(t), "req-1", browserA, completion, t0), store.ErrConflict)

	_, err := s.RedeemAuthCode(ctx(t), "code-2", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RedeemAuthCode(ctx(t), "code-early", t0)
	wantErr(t, err, store.ErrNotFound)

	// Concurrent callbacks mint one code between them.
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-2")))
	must(t, s.CompleteAuthRequest(ctx(t), "req-2", browserA, completion, t0))
	errs := race(func(i int) error {
		return s.SaveAuthCode(ctx(t), "req-2", "code-race-"+string(rune('0'+i)), t0.Add(codeTTL))
	})
	if ok, _ := countErrs(t, errs, store.ErrConflict); ok != 1 {
		t.Errorf("%d of %d concurrent SaveAuthCode calls succeeded, want 1", ok, concurrency)
	}
}

func testAuthCodeRedeem(t *testing.T, s store.Store) {
	issueCode(t, s, "req-1")
	got, err := s.RedeemAuthCode(ctx(t), "code-req-1", t0.Add(time.Second))
	must(t, err)
	if got.ID != "req-1" || got.Subject != completion.Subject || !equalStrings(got.AMR, completion.AMR) ||
		!got.CodeUsedAt.Equal(t0.Add(time.Second)) || got.CodeChallenge != "challenge" {
		t.Errorf("RedeemAuthCode = %+v", got)
	}

	issueCode(t, s, "req-2")
	_, err = s.RedeemAuthCode(ctx(t), "code-req-2", t0.Add(codeTTL))
	wantErr(t, err, store.ErrNotFound) // expired
	_, err = s.RedeemAuthCode(ctx(t), "code-unknown", t0)
	wantErr(t, err, store.ErrNotFound)
}

func testAuthCodeReplay(t *testing.T, s store.Store) {
	issueCode(t, s, "req-1")
	_, err := s.RedeemAuthCode(ctx(t), "code-req-1", t0)
	must(t, err)
	at, rt := newTokens("web", "user-alice", "f1", "req-1")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	// The refresh family has rotated once since the code was redeemed.
	at2, rt2 := newTokens("web", "user-alice", "f1-next", "")
	must(t, s.RotateRefreshToken(ctx(t), rt.TokenHash, at2, rt2, t0))
	// Tokens of another request stay live.
	otherAT, otherRT := newTokens("web", "user-alice", "f2", "req-other")
	must(t, s.CreateTokens(ctx(t), otherAT, &otherRT))

	_, err = s.RedeemAuthCode(ctx(t), "code-req-1", t0.Add(time.Second))
	wantErr(t, err, store.ErrReused)

	wantAccessRevoked(t, s, at.ID, true)
	wantAccessRevoked(t, s, at2.ID, true)
	wantRefreshRevoked(t, s, rt.TokenHash, true)
	wantRefreshRevoked(t, s, rt2.TokenHash, true)
	wantAccessRevoked(t, s, otherAT.ID, false)
	wantRefreshRevoked(t, s, otherRT.TokenHash, false)

	// Still a replay after the code expired.
	_, err = s.RedeemAuthCode(ctx(t), "code-req-1", t0.Add(codeTTL+time.Second))
	wantErr(t, err, store.ErrReused)
}

func testAuthCodeConcurrentRedeem(t *testing.T, s store.Store) {
	issueCode(t, s, "req-1")
	errs := race(func(int) error {
		_, err := s.RedeemAuthCode(ctx(t), "code-req-1", t0)
		return err
	})
	ok, reused := countErrs(t, errs, store.ErrReused)
	if ok != 1 || reused != concurrency-1 {
		t.Errorf("concurrent redemptions: %d succeeded and %d reported reuse, want 1 and %d", ok, reused, concurrency-1)
	}
}

// testAuthCodeReplayBeforeTokens covers a replay that lands between the
// winning redemption and the storing of its tokens: they must be born
// revoked.
func testAuthCodeReplayBeforeTokens(t *testing.T, s store.Store) {
	issueCode(t, s, "req-1")
	_, err := s.RedeemAuthCode(ctx(t), "code-req-1", t0)
	must(t, err)
	_, err = s.RedeemAuthCode(ctx(t), "code-req-1", t0)
	wantErr(t, err, store.ErrReused)

	at, rt := newTokens("web", "user-alice", "f1", "req-1")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	wantAccessRevoked(t, s, at.ID, true)
	wantRefreshRevoked(t, s, rt.TokenHash, true)
}

func testAuthRequestDelete(t *testing.T, s store.Store) {
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-1")))
	must(t, s.DeleteAuthRequest(ctx(t), "req-1"))
	_, err := s.AuthRequestByID(ctx(t), "req-1", t0)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.DeleteAuthRequest(ctx(t), "req-1"))

	// A request with a code stays, so its replay is still detected.
	issueCode(t, s, "req-2")
	must(t, s.DeleteAuthRequest(ctx(t), "req-2"))
	_, err = s.RedeemAuthCode(ctx(t), "code-req-2", t0)
	must(t, err)
	_, err = s.RedeemAuthCode(ctx(t), "code-req-2", t0)
	wantErr(t, err, store.ErrReused)
}
