package main

import (
	"context"
	"html"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/store"
)

// htmlLang returns the lang attribute of the page's html element.
func htmlLang(p *page) string {
	lang := ""
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "html") {
			lang = attr(n, "lang")
			return false
		}
		return true
	})
	return lang
}

// TestAdminConsoleLanguage checks that the console negotiates its language
// as the other pages do: the switcher beats the saved language, which
// beats Accept-Language.
func TestAdminConsoleLanguage(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "admin@a.example", "hotel-a")
	s.grant(t, admin.email, store.PermManageUsers, "hotel-a")
	admin.b.client.Transport = languageTransport{accept: "de"}

	if err := s.app.store.SetUserLocale(context.Background(), s.user(t, admin.email).ID, "nl"); err != nil {
		t.Fatal(err)
	}
	if got := htmlLang(adminPage(t, s, admin.b, "/admin/users")); got != "nl" {
		t.Errorf("saved nl, Accept-Language de: lang %q, want nl", got)
	}
	fr := adminPage(t, s, admin.b, "/admin/users?lang=fr")
	if got := htmlLang(fr); got != "fr" {
		t.Errorf("switched to fr: lang %q, want fr", got)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	signedIn := cat.Localizer(language.French).DateTime(s.user(t, admin.email).LastSignInAt.UTC())
	if !strings.Contains(html.UnescapeString(fr.Body), signedIn) {
		t.Errorf("the last sign-in is not written %q", signedIn)
	}
	if got := htmlLang(adminPage(t, s, admin.b, "/admin/users")); got != "fr" {
		t.Errorf("after the switch: lang %q, want fr", got)
	}
}

// englishDate returns the date of t as the English pages write it.
func englishDate(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c.Localizer(language.English).Date(at)
}
