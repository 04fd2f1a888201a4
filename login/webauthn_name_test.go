package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestKeyDefaultNameTranslated(t *testing.T) {
	e := newKeyEnv(t)
	userID := e.addUser("ana@example.com")
	auth := e.newAuthenticator()

	// Register a key with an empty name, as a user who skips the field.
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@example.com", testPassword)
	methods := b.get(afterPassword.location)
	chosen := b.submit(methods, url.Values{"method": {"webauthn"}})
	chosen.wantStatus(t, http.StatusSeeOther)
	c := ceremonyOf(t, b.get(chosen.location))
	response, _, err := auth.Register(b.begin(c))
	if err != nil {
		t.Fatal(err)
	}
	if status, next, msg := b.finish(c, response, "   "); status != http.StatusOK {
		t.Fatalf("register: status %d, next %q, error %q", status, next, msg)
	}

	ctx := context.Background()
	keys, err := e.st.WebAuthnCredentials(ctx, userID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %v, %v; want one", keys, err)
	}
	if keys[0].Name != "" {
		t.Errorf("stored name = %q, want empty", keys[0].Name)
	}

	for _, tag := range []language.Tag{language.English, language.German} {
		if err := e.st.SetUserLocale(ctx, userID, tag.String()); err != nil {
			t.Fatal(err)
		}
		want := `value="` + translation(t, tag, "AccountKeyDefaultName") + `"`
		if p := b.get("/account"); !strings.Contains(p.body, want) {
			t.Errorf("%s account page lacks %s", tag, want)
		}
	}
}
