package storetest

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var authCodeLookupTests = []test{
	{"AuthCodeLookup", testAuthCodeLookup},
}

// testAuthCodeLookup checks that looking a code up finds what a redemption
// would find and consumes nothing: the code still redeems once afterwards,
// and a replay found by the lookup revokes nothing until it is redeemed.
func testAuthCodeLookup(t *testing.T, s store.Store) {
	issueCode(t, s, "req-1")
	for range 2 {
		got, err := s.AuthRequestByCodeHash(ctx(t), "code-req-1", t0)
		must(t, err)
		if got.ID != "req-1" || got.ClientID != "web" || got.RedirectURI != "https://app.example.com/callback" ||
			got.CodeChallenge != "challenge" || !got.CodeUsedAt.IsZero() {
			t.Fatalf("AuthRequestByCodeHash = %+v", got)
		}
	}
	_, err := s.RedeemAuthCode(ctx(t), "code-req-1", t0.Add(time.Second))
	must(t, err)

	at, rt := newTokens("web", "user-alice", "f1", "req-1")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	got, err := s.AuthRequestByCodeHash(ctx(t), "code-req-1", t0.Add(codeTTL+time.Second))
	must(t, err)
	if !got.CodeUsedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("CodeUsedAt = %v, want %v", got.CodeUsedAt, t0.Add(time.Second))
	}
	wantAccessRevoked(t, s, at.ID, false)
	wantRefreshRevoked(t, s, rt.TokenHash, false)

	issueCode(t, s, "req-2")
	_, err = s.AuthRequestByCodeHash(ctx(t), "code-req-2", t0.Add(codeTTL))
	wantErr(t, err, store.ErrNotFound) // expired unused
	_, err = s.AuthRequestByCodeHash(ctx(t), "code-unknown", t0)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AuthRequestByCodeHash(ctx(t), "", t0)
	wantErr(t, err, store.ErrNotFound)

	// A request without a code is not found by an empty hash.
	must(t, s.CreateAuthRequest(ctx(t), newAuthRequest("req-3")))
	_, err = s.AuthRequestByCodeHash(ctx(t), "", t0)
	wantErr(t, err, store.ErrNotFound)
}
