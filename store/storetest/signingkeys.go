package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

func newSigningKey(id string, created time.Time) store.SigningKey {
	return store.SigningKey{
		ID:               id,
		Algorithm:        "ES256",
		PrivateEncrypted: []byte("sealed-" + id),
		PublicJWK:        []byte(`{"kty":"EC","kid":"` + id + `"}`),
		CreatedAt:        created,
		ActiveFrom:       created.Add(time.Hour),
	}
}

var signingKeyTests = []test{
	{"SigningKeys", testSigningKeys},
}

func testSigningKeys(t *testing.T, s store.Store) {
	old := newSigningKey("k1", t0)
	current := newSigningKey("k2", t0.Add(24*time.Hour))
	must(t, s.CreateSigningKey(ctx(t), old))
	must(t, s.CreateSigningKey(ctx(t), current))
	wantErr(t, s.CreateSigningKey(ctx(t), old), store.ErrAlreadyExists)

	keys, err := s.SigningKeys(ctx(t), t0)
	must(t, err)
	if len(keys) != 2 || !reflect.DeepEqual(keys[0], current) || !reflect.DeepEqual(keys[1], old) {
		t.Fatalf("SigningKeys = %+v, want [k2 k1] as stored", keys)
	}

	retired, expires := t0.Add(25*time.Hour), t0.Add(72*time.Hour)
	must(t, s.RetireSigningKey(ctx(t), "k1", retired, expires))
	wantErr(t, s.RetireSigningKey(ctx(t), "unknown", retired, expires), store.ErrNotFound)

	keys, err = s.SigningKeys(ctx(t), expires.Add(-time.Millisecond))
	must(t, err)
	if len(keys) != 2 || !keys[1].RetiredAt.Equal(retired) || !keys[1].ExpiresAt.Equal(expires) {
		t.Fatalf("SigningKeys before expiry = %+v, want k1 retired and still published", keys)
	}
	keys, err = s.SigningKeys(ctx(t), expires)
	must(t, err)
	if len(keys) != 1 || keys[0].ID != "k2" {
		t.Errorf("SigningKeys after expiry = %+v, want only k2", keys)
	}
}
