package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
)

// translation returns message id in tag from the catalogue.
func translation(t *testing.T, tag language.Tag, id string) string {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Localizer(tag).Translate(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeyErrorInPickedLanguage(t *testing.T) {
	e := newKeyEnv(t)
	e.addUser("ana@example.com")
	auth := e.browser().signUpWithKey("ana@example.com")
	auth.Origin = "https://id.example.net"

	b := e.browser()
	_, keyPath := b.signInToKeyStep("ana@example.com", nil)
	b.get(keyPath+"&lang=de").wantStatus(t, http.StatusSeeOther)
	status, _, msg := b.useKey(keyPath, auth.Assert)
	if status != http.StatusBadRequest {
		t.Fatalf("wrong origin: status %d, want 400", status)
	}
	if want := translation(t, language.German, "AlertWebAuthnFailed"); msg != want {
		t.Errorf("error = %q, want the German %q", msg, want)
	}
}

func TestSavedLanguageReplacesPick(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@example.com")
	b := e.browser()
	b.signUp("ana@example.com")

	b.get("/account?lang=fr").wantStatus(t, http.StatusSeeOther)
	account := b.get("/account")
	if !strings.Contains(account.body, `<html lang="fr">`) {
		t.Fatalf("account page after picking French is not in French")
	}
	saved := b.post("/account/language", account, url.Values{"locale": {"de"}})
	saved.wantStatus(t, http.StatusSeeOther)
	if p := b.get(saved.location); !strings.Contains(p.body, `<html lang="de">`) {
		t.Errorf("account page after saving German is not in German")
	}
	loginPath, _ := b.authorize(url.Values{"prompt": {"login"}})
	if p := b.get(loginPath); !strings.Contains(p.body, `<html lang="de">`) {
		t.Errorf("sign-in page after saving German is not in German")
	}
}
