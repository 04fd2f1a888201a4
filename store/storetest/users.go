package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

// newUser returns an active user whose address is name@example.com.
func newUser(name string) store.User {
	email := name + "@example.com"
	return store.User{
		ID:           "user-" + name,
		Email:        email,
		EmailKey:     store.NormalizeEmail(email),
		Name:         "User " + name,
		Locale:       "en",
		Status:       store.UserActive,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		CreatedAt:    t0,
	}
}

func createUser(t *testing.T, s store.Store, name string) store.User {
	t.Helper()
	u := newUser(name)
	must(t, s.CreateUser(ctx(t), u))
	return u
}

var userTests = []test{
	{"UserRoundTrip", testUserRoundTrip},
	{"UserDuplicate", testUserDuplicate},
	{"UserMissing", testUserMissing},
	{"UserInvalid", testUserInvalid},
	{"UserList", testUserList},
	{"UserUpdates", testUserUpdates},
	{"Ping", func(t *testing.T, s store.Store) { must(t, s.Ping(ctx(t))) }},
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	u := newUser("alice")
	u.TermsAcceptedAt = t0.Add(time.Minute)
	must(t, s.CreateUser(ctx(t), u))

	got, err := s.UserByID(ctx(t), u.ID)
	must(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Errorf("UserByID = %+v, want %+v", got, u)
	}
	got, err = s.UserByEmailKey(ctx(t), u.EmailKey)
	must(t, err)
	if got.ID != u.ID {
		t.Errorf("UserByEmailKey ID = %q, want %q", got.ID, u.ID)
	}
	if !got.LastSignInAt.IsZero() {
		t.Errorf("LastSignInAt = %v, want zero", got.LastSignInAt)
	}
}

func testUserDuplicate(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")

	sameKey := newUser("other")
	sameKey.EmailKey = u.EmailKey
	wantErr(t, s.CreateUser(ctx(t), sameKey), store.ErrAlreadyExists)

	sameID := newUser("bob")
	sameID.ID = u.ID
	wantErr(t, s.CreateUser(ctx(t), sameID), store.ErrAlreadyExists)

	n, err := s.CountUsers(ctx(t))
	must(t, err)
	if n != 1 {
		t.Errorf("CountUsers = %d, want 1", n)
	}
}

func testUserMissing(t *testing.T, s store.Store) {
	_, err := s.UserByID(ctx(t), "nobody")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UserByEmailKey(ctx(t), "nobody@example.com")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.SetPasswordHash(ctx(t), "nobody", "hash", nil), store.ErrNotFound)
	wantErr(t, s.RecordSignIn(ctx(t), "nobody", t0), store.ErrNotFound)

	grants, err := s.Grants(ctx(t), "nobody")
	must(t, err)
	if len(grants) != 0 {
		t.Errorf("Grants = %v, want none", grants)
	}
}

func testUserInvalid(t *testing.T, s store.Store) {
	noKey := newUser("alice")
	noKey.EmailKey = ""
	wantAnyErr(t, s.CreateUser(ctx(t), noKey))

	badStatus := newUser("bob")
	badStatus.Status = "superuser"
	wantAnyErr(t, s.CreateUser(ctx(t), badStatus))

	n, err := s.CountUsers(ctx(t))
	must(t, err)
	if n != 0 {
		t.Errorf("CountUsers = %d, want 0", n)
	}
}

func testUserList(t *testing.T, s store.Store) {
	createUser(t, s, "carol")
	alice := createUser(t, s, "alice")
	createUser(t, s, "bob")
	confirmTOTP(t, s, alice.ID)

	list, err := s.ListUsers(ctx(t))
	must(t, err)
	var keys []string
	for _, u := range list {
		keys = append(keys, u.EmailKey)
	}
	want := []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	if !equalStrings(keys, want) {
		t.Fatalf("ListUsers keys = %v, want %v", keys, want)
	}
	if !equalStrings(list[0].Methods, []string{"totp"}) {
		t.Errorf("alice Methods = %v, want [totp]", list[0].Methods)
	}
	if list[1].Methods == nil || len(list[1].Methods) != 0 {
		t.Errorf("bob Methods = %#v, want an empty non-nil slice", list[1].Methods)
	}
}

func testUserUpdates(t *testing.T, s store.Store) {
	u := createUser(t, s, "alice")
	must(t, s.SetPasswordHash(ctx(t), u.ID, "$argon2id$new", nil))
	must(t, s.RecordSignIn(ctx(t), u.ID, t0.Add(time.Hour)))
	wantAnyErr(t, s.SetPasswordHash(ctx(t), u.ID, "", nil))

	got, err := s.UserByID(ctx(t), u.ID)
	must(t, err)
	if got.PasswordHash != "$argon2id$new" {
		t.Errorf("PasswordHash = %q, want the new hash", got.PasswordHash)
	}
	if !got.LastSignInAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastSignInAt = %v, want %v", got.LastSignInAt, t0.Add(time.Hour))
	}
}
