package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

var webAuthnTests = []test{
	{"WebAuthnHandle", testWebAuthnHandle},
	{"WebAuthnCredentialRoundTrip", testWebAuthnCredentialRoundTrip},
	{"WebAuthnCredentialDuplicate", testWebAuthnCredentialDuplicate},
	{"WebAuthnCredentialNotice", testWebAuthnCredentialNotice},
	{"WebAuthnCounterSwap", testWebAuthnCounterSwap},
	{"WebAuthnOtherUser", testWebAuthnOtherUser},
	{"WebAuthnCeremonySingleUse", testWebAuthnCeremonySingleUse},
	{"WebAuthnCeremonyExpired", testWebAuthnCeremonyExpired},
	{"WebAuthnEssentialACR", testWebAuthnEssentialACR},
}

func newWebAuthnCredential(user store.User, id string) store.WebAuthnCredential {
	return store.WebAuthnCredential{
		ID:                "cred-" + id,
		UserID:            user.ID,
		CredentialID:      []byte("credential-" + id),
		PublicKey:         []byte{0xa5, 0x01, 0x02, 0x03, 0x26},
		AttestationFormat: "none",
		AAGUID:            bytes.Repeat([]byte{0x01}, 16),
		Transports:        []string{"hybrid", "internal"},
		Attachment:        "platform",
		Name:              "Key " + id,
		SignCount:         7,
		BackupEligible:    true,
		BackupState:       true,
		UserVerified:      true,
		CreatedAt:         t0,
	}
}

func testWebAuthnHandle(t *testing.T, s store.Store) {
	alice := createUser(t, s, "alice")
	h, err := s.EnsureWebAuthnHandle(ctx(t), alice.ID, []byte("handle-1"))
	must(t, err)
	again, err := s.EnsureWebAuthnHandle(ctx(t), alice.ID, []byte("handle-2"))
	must(t, err)
	if !bytes.Equal(h, []byte("handle-1")) || !bytes.Equal(again, h) {
		t.Fatalf("handles = %q, %q, want the first candidate twice", h, again)
	}
	id, err := s.UserIDByWebAuthnHandle(ctx(t), h)
	must(t, err)
	if id != alice.ID {
		t.Errorf("user = %q, want %q", id, alice.ID)
	}
	_, err = s.UserIDByWebAuthnHandle(ctx(t), []byte("handle-2"))
	wantErr(t, err, store.ErrNotFound)
}

func testWebAuthnCredentialRoundTrip(t *testing.T, s store.Store) {
	alice := createUser(t, s, "alice")
	c := newWebAuthnCredential(alice, "1")
	must(t, s.AddWebAuthnCredential(ctx(t), c, nil))
	later := newWebAuthnCredential(alice, "2")
	later.CreatedAt = t0.Add(time.Minute)
	later.AAGUID, later.Transports = nil, nil
	must(t, s.AddWebAuthnCredential(ctx(t), later, nil))

	got, err := s.WebAuthnCredentials(ctx(t), alice.ID)
	must(t, err)
	if len(got) != 2 || got[0].ID != c.ID || got[1].ID != later.ID {
		t.Fatalf("credentials = %+v, want %s then %s", got, c.ID, later.ID)
	}
	g := got[0]
	if !bytes.Equal(g.CredentialID, c.CredentialID) || !bytes.Equal(g.PublicKey, c.PublicKey) ||
		!bytes.Equal(g.AAGUID, c.AAGUID) || !equalStrings(g.Transports, c.Transports) ||
		g.Name != c.Name || g.SignCount != 7 || !g.BackupEligible || !g.BackupState || !g.UserVerified ||
		g.Attachment != c.Attachment || g.AttestationFormat != "none" || !g.CreatedAt.Equal(t0) {
		t.Errorf("credential = %+v, want %+v", g, c)
	}

	methods, err := s.Methods(ctx(t), alice.ID)
	must(t, err)
	if !equalStrings(methods, []string{"webauthn"}) {
		t.Errorf("methods = %v, want [webauthn]", methods)
	}
	users, err := s.ListUsers(ctx(t))
	must(t, err)
	if len(users) != 1 || !equalStrings(users[0].Methods, []string{"webauthn"}) {
		t.Errorf("user list = %+v, want alice with [webauthn]", users)
	}

	none, err := s.WebAuthnCredentials(ctx(t), "user-nobody")
	must(t, err)
	if none == nil || len(none) != 0 {
		t.Errorf("credentials of an unknown user = %#v, want an empty slice", none)
	}
}

func testWebAuthnCredentialDuplicate(t *testing.T, s store.Store) {
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	must(t, s.AddWebAuthnCredential(ctx(t), newWebAuthnCredential(alice, "1"), nil))
	dup := newWebAuthnCredential(bob, "1")
	dup.ID = "cred-bob"
	wantErr(t, s.AddWebAuthnCredential(ctx(t), dup, nil), store.ErrAlreadyExists)
}

func testWebAuthnCounterSwap(t *testing.T, s store.Store) {
	alice := createUser(t, s, "alice")
	c := newWebAuthnCredential(alice, "1")
	must(t, s.AddWebAuthnCredential(ctx(t), c, nil))

	later := t0.Add(time.Hour)
	must(t, s.RecordWebAuthnUse(ctx(t), alice.ID, c.CredentialID, 7, 8, false, later))
	wantErr(t, s.RecordWebAuthnUse(ctx(t), alice.ID, c.CredentialID, 7, 9, false, later), store.ErrConflict)
	wantErr(t, s.RecordWebAuthnUse(ctx(t), alice.ID, []byte("unknown"), 7, 9, false, later), store.ErrNotFound)

	got, err := s.WebAuthnCredentials(ctx(t), alice.ID)
	must(t, err)
	if got[0].SignCount != 8 || got[0].BackupState || !got[0].LastUsedAt.Equal(later) {
		t.Errorf("after use: count %d, backup state %v, last used %v; want 8, false, %v",
			got[0].SignCount, got[0].BackupState, got[0].LastUsedAt, later)
	}

	errs := race(func(i int) error {
		return s.RecordWebAuthnUse(ctx(t), alice.ID, c.CredentialID, 8, 9, false, later)
	})
	if ok, conflicts := countErrs(t, errs, store.ErrConflict); ok != 1 || conflicts != concurrency-1 {
		t.Errorf("concurrent uses: %d accepted, %d conflicts; want 1 and %d", ok, conflicts, concurrency-1)
	}
}

func testWebAuthnOtherUser(t *testing.T, s store.Store) {
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	c := newWebAuthnCredential(alice, "1")
	must(t, s.AddWebAuthnCredential(ctx(t), c, nil))

	wantErr(t, s.RenameWebAuthnCredential(ctx(t), bob.ID, c.ID, "Mine now"), store.ErrNotFound)
	wantErr(t, s.DeleteWebAuthnCredential(ctx(t), bob.ID, c.ID, nil), store.ErrNotFound)
	wantErr(t, s.RecordWebAuthnUse(ctx(t), bob.ID, c.CredentialID, 7, 8, false, t0), store.ErrNotFound)

	must(t, s.RenameWebAuthnCredential(ctx(t), alice.ID, c.ID, "Office key"))
	got, err := s.WebAuthnCredentials(ctx(t), alice.ID)
	must(t, err)
	if len(got) != 1 || got[0].Name != "Office key" {
		t.Fatalf("credentials = %+v, want one named Office key", got)
	}
	must(t, s.DeleteWebAuthnCredential(ctx(t), alice.ID, c.ID, nil))
	wantErr(t, s.DeleteWebAuthnCredential(ctx(t), alice.ID, c.ID, nil), store.ErrNotFound)
	methods, err := s.Methods(ctx(t), alice.ID)
	must(t, err)
	if len(methods) != 0 {
		t.Errorf("methods after removal = %v, want none", methods)
	}
}

func newCeremony(key string) store.WebAuthnCeremony {
	return store.WebAuthnCeremony{
		Key:       key,
		UserID:    "user-alice",
		SessionID: "session-1",
		Data:      []byte(`{"challenge":"abc"}`),
		CreatedAt: t0,
		ExpiresAt: t0.Add(5 * time.Minute),
	}
}

func testWebAuthnCeremonySingleUse(t *testing.T, s store.Store) {
	must(t, s.SaveWebAuthnCeremony(ctx(t), newCeremony("k1")))
	replaced := newCeremony("k1")
	replaced.Data = []byte(`{"challenge":"def"}`)
	must(t, s.SaveWebAuthnCeremony(ctx(t), replaced))

	errs := race(func(i int) error {
		_, err := s.TakeWebAuthnCeremony(ctx(t), "k1", t0)
		return err
	})
	if ok, missing := countErrs(t, errs, store.ErrNotFound); ok != 1 || missing != concurrency-1 {
		t.Fatalf("concurrent takes: %d succeeded, %d not found; want 1 and %d", ok, missing, concurrency-1)
	}

	must(t, s.SaveWebAuthnCeremony(ctx(t), replaced))
	got, err := s.TakeWebAuthnCeremony(ctx(t), "k1", t0)
	must(t, err)
	if string(got.Data) != string(replaced.Data) || got.UserID != "user-alice" || got.SessionID != "session-1" {
		t.Errorf("ceremony = %+v, want %+v", got, replaced)
	}
}

func testWebAuthnCeremonyExpired(t *testing.T, s store.Store) {
	must(t, s.SaveWebAuthnCeremony(ctx(t), newCeremony("k1")))
	_, err := s.TakeWebAuthnCeremony(ctx(t), "k1", t0.Add(5*time.Minute))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.TakeWebAuthnCeremony(ctx(t), "k1", t0)
	wantErr(t, err, store.ErrNotFound)
}

func testWebAuthnEssentialACR(t *testing.T, s store.Store) {
	r := newAuthRequest("req-1")
	r.ACREssential = []string{"phr"}
	must(t, s.CreateAuthRequest(ctx(t), r))
	plain := newAuthRequest("req-2")
	must(t, s.CreateAuthRequest(ctx(t), plain))

	got, err := s.AuthRequestByID(ctx(t), "req-1", t0)
	must(t, err)
	if !equalStrings(got.ACREssential, []string{"phr"}) {
		t.Errorf("essential acr = %v, want [phr]", got.ACREssential)
	}
	got, err = s.AuthRequestByID(ctx(t), "req-2", t0)
	must(t, err)
	if got.ACREssential != nil {
		t.Errorf("essential acr = %v, want nil", got.ACREssential)
	}
}

// testWebAuthnCredentialNotice holds AddWebAuthnCredential to its promise
// that the notice is queued exactly when the credential is stored.
func testWebAuthnCredentialNotice(t *testing.T, s store.Store) {
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	added := newEmail("added")
	must(t, s.AddWebAuthnCredential(ctx(t), newWebAuthnCredential(alice, "1"), &added))
	wantOutbox(t, s, "added")

	// A credential ID registered already stores nothing and queues nothing.
	dup := newWebAuthnCredential(bob, "1")
	dup.ID = "cred-bob"
	again := newEmail("again")
	wantErr(t, s.AddWebAuthnCredential(ctx(t), dup, &again), store.ErrAlreadyExists)
	wantOutbox(t, s, "added")

	// A notice that cannot be queued undoes the credential.
	taken := newEmail("added")
	wantAnyErr(t, s.AddWebAuthnCredential(ctx(t), newWebAuthnCredential(bob, "2"), &taken))
	creds, err := s.WebAuthnCredentials(ctx(t), bob.ID)
	must(t, err)
	if len(creds) != 0 {
		t.Errorf("bob has %d credentials after a failed notice, want 0", len(creds))
	}
	wantOutbox(t, s, "added")
}
