package storetest

import (
	"reflect"
	"testing"

	"github.com/hotelsoft/idp/store"
)

func newClient(id, name string) store.Client {
	return store.Client{
		ID:                     id,
		Name:                   name,
		SecretHash:             "secret-hash-" + id,
		ApplicationType:        store.AppTypeWeb,
		AuthMethod:             "client_secret_basic",
		RedirectURIs:           []string{"https://app.example.com/callback", "https://app.example.com/other"},
		PostLogoutRedirectURIs: []string{"https://app.example.com/bye"},
		PostLockRedirectURIs:   []string{"https://app.example.com/locked"},
		BackchannelLogoutURI:   "https://app.example.com/backchannel",
		CreatedAt:              t0,
	}
}

var clientTests = []test{
	{"ClientRoundTrip", testClientRoundTrip},
	{"ClientDuplicate", testClientDuplicate},
	{"ClientList", testClientList},
	{"ClientDelete", testClientDelete},
}

func testClientRoundTrip(t *testing.T, s store.Store) {
	c := newClient("web", "Staff app")
	must(t, s.CreateClient(ctx(t), c))
	got, err := s.ClientByID(ctx(t), c.ID)
	must(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("ClientByID = %+v, want %+v", got, c)
	}

	public := store.Client{ID: "native", Name: "Mobile", ApplicationType: store.AppTypeNative, AuthMethod: "none",
		RedirectURIs: []string{"com.example.app:/cb"}, CreatedAt: t0}
	must(t, s.CreateClient(ctx(t), public))
	got, err = s.ClientByID(ctx(t), public.ID)
	must(t, err)
	if !got.Public() || got.SecretHash != "" || len(got.PostLogoutRedirectURIs) != 0 {
		t.Errorf("public client = %+v", got)
	}

	_, err = s.ClientByID(ctx(t), "unknown")
	wantErr(t, err, store.ErrNotFound)
}

func testClientDuplicate(t *testing.T, s store.Store) {
	must(t, s.CreateClient(ctx(t), newClient("web", "Staff app")))
	wantErr(t, s.CreateClient(ctx(t), newClient("web", "Another")), store.ErrAlreadyExists)
	wantAnyErr(t, s.CreateClient(ctx(t), newClient("", "No ID")))
}

func testClientList(t *testing.T, s store.Store) {
	must(t, s.CreateClient(ctx(t), newClient("c", "Beta")))
	must(t, s.CreateClient(ctx(t), newClient("b", "Alpha")))
	must(t, s.CreateClient(ctx(t), newClient("a", "Beta")))

	list, err := s.ListClients(ctx(t))
	must(t, err)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if want := []string{"b", "a", "c"}; !equalStrings(ids, want) {
		t.Errorf("ListClients IDs = %v, want %v (by name, then ID)", ids, want)
	}
}

func testClientDelete(t *testing.T, s store.Store) {
	must(t, s.CreateClient(ctx(t), newClient("web", "Staff app")))
	must(t, s.CreateClient(ctx(t), newClient("other", "Other app")))
	at, rt := newTokens("web", "user-alice", "f1", "")
	must(t, s.CreateTokens(ctx(t), at, &rt))
	otherAT, otherRT := newTokens("other", "user-alice", "f2", "")
	must(t, s.CreateTokens(ctx(t), otherAT, &otherRT))

	must(t, s.DeleteClient(ctx(t), "web"))
	_, err := s.ClientByID(ctx(t), "web")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteClient(ctx(t), "web"), store.ErrNotFound)

	// The client's tokens no longer work; the other client's do.
	if got, err := s.AccessTokenByID(ctx(t), at.ID); err == nil && got.RevokedAt.IsZero() {
		t.Error("access token of a deleted client is still live")
	}
	if got, err := s.RefreshTokenByHash(ctx(t), rt.TokenHash); err == nil && got.RevokedAt.IsZero() {
		t.Error("refresh token of a deleted client is still live")
	}
	got, err := s.AccessTokenByID(ctx(t), otherAT.ID)
	must(t, err)
	if !got.RevokedAt.IsZero() {
		t.Error("deleting one client revoked another client's token")
	}
}
