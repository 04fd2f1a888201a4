package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/login"
)

// languageTransport sends every request with one Accept-Language header,
// as a browser set to that language does.
type languageTransport struct {
	accept string
}

func (lt languageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", lt.accept)
	return http.DefaultTransport.RoundTrip(r)
}

// newBrowserIn returns a browser whose language setting sends accept.
func newBrowserIn(t *testing.T, issuer, accept string) *browser {
	t.Helper()
	b := newBrowser(t, issuer)
	b.client.Transport = languageTransport{accept: accept}
	return b
}

// catalogueText holds, per language, every message's text by ID, read
// from the message files as shipped.
type catalogueText map[string]map[string]string

func readCatalogueText(t *testing.T) catalogueText {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "i18n", "*.*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no message files: %v", err)
	}
	texts := catalogueText{}
	for _, name := range names {
		buf, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := goi18n.ParseMessageFileBytes(buf, filepath.Base(name), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lang := mf.Tag.String()
		if texts[lang] == nil {
			texts[lang] = map[string]string{}
		}
		for _, m := range mf.Messages {
			texts[lang][m.ID] = m.Other
		}
	}
	return texts
}

// placeholder matches a template action inside a message.
var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// wantLanguage checks that p is a page in lang: <html lang> holds it, no
// message ID shows, and for a language other than English no English
// message that lang translates differently shows in its text or its
// alt, title, placeholder or aria-label attributes. The language names
// of the switcher are exempt: each is written in its own language.
func (c catalogueText) wantLanguage(t *testing.T, p *page, lang string) {
	t.Helper()
	if p.Doc == nil {
		t.Fatalf("%s: no page (status %d, location %v)", p.URL.Path, p.Status, p.Location)
	}
	var htmlLang string
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "html") {
			htmlLang = attr(n, "lang")
			return false
		}
		return true
	})
	if htmlLang != lang {
		t.Errorf("%s: <html lang=%q>, want %q", p.URL.Path, htmlLang, lang)
	}

	text := visibleText(p)
	for id, english := range c["en"] {
		if id == "LanguageName" {
			continue
		}
		if containsWord(text, id) {
			t.Errorf("%s in %s: message ID %s shown", p.URL.Path, lang, id)
		}
		if lang == "en" || c[lang][id] == english {
			continue
		}
		for _, part := range englishParts(english) {
			if containsWord(text, part) {
				t.Errorf("%s in %s: English text of %s shown: %q", p.URL.Path, lang, id, part)
			}
		}
	}
}

// englishParts returns the parts of an English message to look for on a
// page in another language: the whole message when it has no
// placeholders, else each text between placeholders of two or more words.
// A single word between placeholders, such as "password", also occurs in
// names and addresses, so it is not looked for.
func englishParts(message string) []string {
	if !placeholder.MatchString(message) {
		return []string{strings.TrimSpace(message)}
	}
	var parts []string
	for _, part := range placeholder.Split(message, -1) {
		part = strings.TrimSpace(part)
		if len(strings.Fields(part)) >= 2 {
			parts = append(parts, part)
		}
	}
	return parts
}

// visibleText returns the page's text nodes and the attributes that
// browsers show or read aloud, one per line.
func visibleText(p *page) string {
	var sb strings.Builder
	walk(p.Doc, func(n *htmlNode) bool {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
			sb.WriteByte('\n')
		}
		for _, key := range []string{"alt", "title", "placeholder", "aria-label"} {
			if v := attr(n, key); v != "" {
				sb.WriteString(v)
				sb.WriteByte('\n')
			}
		}
		return true
	})
	return sb.String()
}

// containsWord reports whether s contains phrase with no letter or digit
// right before or after it, so "Continue" is not found in "Continuer".
func containsWord(s, phrase string) bool {
	re := regexp.MustCompile(`(^|[^\p{L}\p{N}])` + regexp.QuoteMeta(phrase) + `($|[^\p{L}\p{N}])`)
	return re.MatchString(s)
}

// switcherLink returns the href of the switcher's link to lang.
func switcherLink(t *testing.T, p *page, lang string) string {
	t.Helper()
	href := findSwitcherLink(p, lang)
	if href == "" {
		t.Fatalf("%s: no switcher link to %s:\n%s", p.URL.Path, lang, p.Body)
	}
	return href
}

// findSwitcherLink returns the href of the switcher's link to lang, or ""
// without one.
func findSwitcherLink(p *page, lang string) string {
	href := ""
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "a") && attr(n, "hreflang") == lang {
			href = attr(n, "href")
		}
		return href == ""
	})
	return href
}

// inviteWithLocale invites a user with a saved language, or none.
func (s *testServer) inviteWithLocale(t *testing.T, email, locale string) string {
	t.Helper()
	_, link, err := login.InviteUser(context.Background(), s.app.store, s.url,
		login.Invite{Email: email, Name: "Ana Berg", Locale: locale}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// TestJourneyInEveryLanguage takes a new user without a saved language
// through every page of the first sign-in and a later one, in a browser
// set to each language, and checks each page is wholly in that language.
func TestJourneyInEveryLanguage(t *testing.T) {
	texts := readCatalogueText(t)
	cases := []struct{ accept, want string }{
		{"de-DE,de;q=0.9,en;q=0.5", "de"},
		{"fr-CA", "fr"},
		{"ja-JP,ja;q=0.9", "en"},
		{"nl-BE,nl;q=0.9", "nl"},
		{"es-MX,es;q=0.8", "es"},
		{"en-GB", "en"},
	}
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	for i, tc := range cases {
		t.Run(tc.accept, func(t *testing.T) {
			b := newBrowserIn(t, s.url, tc.accept)
			check := func(p *page) { t.Helper(); texts.wantLanguage(t, p, tc.want) }
			email := "user" + string(rune('a'+i)) + "@example.com"

			p := b.get(s.inviteWithLocale(t, email, ""))
			check(p)
			check(b.get(s.url + "/terms"))
			check(b.get(s.url + "/login?id=unknown-request"))
			p = b.submit(p, map[string]string{"password": testPassword, "password_confirm": "other password", "accept_terms": "on"})
			check(p)
			p = b.submit(p, map[string]string{"password": testPassword, "password_confirm": testPassword, "accept_terms": "on"})
			check(p)

			r := rp.start()
			p = b.get(r.url)
			check(p)
			p = b.submit(p, map[string]string{"email": email, "password": "wrong password"})
			check(p)
			if p.alert() == "" {
				t.Errorf("no alert after a wrong password")
			}
			p = b.submit(p, map[string]string{"email": email, "password": testPassword})
			check(p)
			if p.has("method") {
				p = b.submit(p, map[string]string{"method": "totp"})
				check(p)
			}
			p = b.submit(p, map[string]string{"code": "000000", "password": testPassword})
			check(p)
			key, p := activateTOTP(t, s, b, p, testPassword)
			check(p)
			recoveryCodes(t, p)
			rp.exchange(t, b.submit(p, map[string]string{}), r)

			check(b.get(s.url + "/"))
			r = rp.start(oauth2.SetAuthURLParam("prompt", "login"))
			p = signInWithPassword(t, b, r, email, testPassword)
			check(p)
			s.clock.Advance(31 * time.Second)
			p = b.submit(p, map[string]string{"code": totpCode(t, key, s.clock.Now())})
			rp.exchange(t, p, r)

			p = b.get(s.url + "/logout")
			check(p)
			check(b.submit(p, map[string]string{}))
		})
	}
}

// TestUILocalesWins checks that a relying party's ui_locales beat the
// browser's language, a language picked earlier with the switcher and the
// user's saved language, on every page of the sign-in. A language picked
// on a page of that same sign-in beats ui_locales.
func TestUILocalesWins(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	b := newBrowserIn(t, s.url, "de-DE,de")
	acceptInvitation(t, b, s.inviteWithLocale(t, "saved@example.com", "es"), testPassword)
	texts.wantLanguage(t, b.get(s.url+"/terms?lang=fr"), "fr")

	r := rp.start(oauth2.SetAuthURLParam("ui_locales", "nl"))
	p := b.get(r.url)
	texts.wantLanguage(t, p, "nl")
	p = b.submit(p, map[string]string{"email": "saved@example.com", "password": testPassword})
	texts.wantLanguage(t, p, "nl")
	_, p = activateTOTP(t, s, b, p, testPassword)
	texts.wantLanguage(t, p, "nl")
	rp.exchange(t, b.submit(p, map[string]string{}), r)

	// Without ui_locales the picked language comes next.
	texts.wantLanguage(t, b.get(s.url+"/"), "fr")

	// A pick on a page of this sign-in beats its ui_locales, and only its.
	r = rp.start(oauth2.SetAuthURLParam("ui_locales", "nl"), oauth2.SetAuthURLParam("prompt", "login"))
	p = b.get(r.url)
	texts.wantLanguage(t, p, "nl")
	p = b.get(s.url + switcherLink(t, p, "de"))
	texts.wantLanguage(t, p, "de")
	p = b.submit(p, map[string]string{"email": "saved@example.com", "password": testPassword})
	texts.wantLanguage(t, p, "de")

	other := rp.start(oauth2.SetAuthURLParam("ui_locales", "nl"), oauth2.SetAuthURLParam("prompt", "login"))
	texts.wantLanguage(t, b.get(other.url), "nl")
}

// TestSavedLanguage checks that a user's saved language beats the
// browser's once the user is known, and is the locale claim.
func TestSavedLanguage(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	b := newBrowserIn(t, s.url, "en-US,en")

	p := b.get(s.inviteWithLocale(t, "lotte@example.com", "nl"))
	texts.wantLanguage(t, p, "nl")
	b.submit(p, map[string]string{"password": testPassword, "password_confirm": testPassword, "accept_terms": "on"})

	r := rp.start()
	p = b.get(r.url)
	texts.wantLanguage(t, p, "en") // the user is not known yet
	p = b.submit(p, map[string]string{"email": "lotte@example.com", "password": testPassword})
	texts.wantLanguage(t, p, "nl")
	_, p = activateTOTP(t, s, b, p, testPassword)
	tok := rp.exchange(t, b.submit(p, map[string]string{}), r)

	var claims struct {
		Locale string `json:"locale"`
	}
	if err := tok.id.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Locale != "nl" {
		t.Errorf("locale claim = %q, want nl", claims.Locale)
	}
}

// TestLanguageSwitcher picks a language on the sign-in page of an auth
// request and finishes the sign-in: the switcher must keep the request.
func TestLanguageSwitcher(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	b := newBrowserIn(t, s.url, "en")
	acceptInvitation(t, b, s.inviteWithLocale(t, "mia@example.com", ""), testPassword)

	r := rp.start()
	p := b.get(r.url)
	id := authRequestID(t, p)
	href := switcherLink(t, p, "de")
	if u, err := url.Parse(href); err != nil || u.IsAbs() || u.Query().Get("id") != id {
		t.Fatalf("switcher link %q does not keep the auth request %s", href, id)
	}
	p = b.get(s.url + href)
	texts.wantLanguage(t, p, "de")
	if got := p.URL.Query(); got.Get("id") != id || got.Has("lang") {
		t.Errorf("after switching, URL is %s; want the same id and no lang", p.URL)
	}
	if !p.has("email") {
		t.Fatalf("after switching, no sign-in form:\n%s", p.Body)
	}

	p = b.submit(p, map[string]string{"email": "mia@example.com", "password": "wrong password"})
	texts.wantLanguage(t, p, "de")
	switcherLink(t, p, "fr") // a form shown again with an alert keeps the switcher
	p = b.submit(p, map[string]string{"email": "mia@example.com", "password": testPassword})
	texts.wantLanguage(t, p, "de")
	p = b.get(s.url + switcherLink(t, p, "es"))
	texts.wantLanguage(t, p, "es")
	_, p = activateTOTP(t, s, b, p, testPassword)
	texts.wantLanguage(t, p, "es")
	if p.byID("recovery-codes") == nil {
		t.Fatalf("expected the recovery codes page:\n%s", p.Body)
	}
	for _, lang := range []string{"en", "nl", "fr", "de", "es"} {
		if href := findSwitcherLink(p, lang); href != "" {
			t.Errorf("the recovery codes page links to %s, a reload that would lose the codes", href)
		}
	}
	rp.exchange(t, b.submit(p, map[string]string{}), r)
}

// TestLanguageSwitcherHostile sends values the switcher never produces.
func TestLanguageSwitcherHostile(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	b := newBrowserIn(t, s.url, "fr")
	for _, value := range []string{"", "xx", "<script>", "de;q=1", strings.Repeat("de-", 500), "%00"} {
		p := b.get(s.url + "/terms?lang=" + url.QueryEscape(value) + "&x=1")
		if p.Status != http.StatusOK {
			t.Errorf("lang=%q: status %d", value, p.Status)
			continue
		}
		texts.wantLanguage(t, p, "fr")
		if p.URL.Path != "/terms" || p.URL.Query().Get("x") != "1" || p.URL.Query().Has("lang") {
			t.Errorf("lang=%q: ended at %s", value, p.URL)
		}
	}
	p := b.get(s.url + "/terms?lang=de&lang=es")
	texts.wantLanguage(t, p, "de")
}

func TestDiscoveryUILocales(t *testing.T) {
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	p, err := oidc.NewProvider(context.Background(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UILocales []string `json:"ui_locales_supported"`
	}
	if err := p.Claims(&d); err != nil {
		t.Fatal(err)
	}
	if want := []string{"en", "nl", "fr", "de", "es"}; !slices.Equal(d.UILocales, want) {
		t.Errorf("ui_locales_supported = %q, want %q", d.UILocales, want)
	}
}

// TestAcceptLanguageHostile sends headers no browser sends: each page
// still answers 200, in English unless the header names a language.
func TestAcceptLanguageHostile(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	cases := []struct{ accept, want string }{
		{"", "en"},
		{"*", "en"},
		{"de;q=0", "en"},
		{"!!$$,;;==q", "en"},
		{"de;q=abc", "en"},
		{strings.Repeat("de-DE,", 1700), "en"}, // 10 kB
		{"de\t;q=0.5 , fr;q=0.9", "fr"},
		{"nl,nl,nl", "nl"},
	}
	for _, tc := range cases {
		b := newBrowserIn(t, s.url, tc.accept)
		p := b.get(rp.start().url)
		if p.Status != http.StatusOK {
			t.Errorf("Accept-Language %.40q: status %d", tc.accept, p.Status)
			continue
		}
		texts.wantLanguage(t, p, tc.want)
	}
}

// TestUILocalesList checks the first supported entry of ui_locales wins.
func TestUILocalesList(t *testing.T) {
	texts := readCatalogueText(t)
	s := startServer(t, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"))
	rp := s.relyingParty(t)
	cases := []struct{ uiLocales, accept, want string }{
		{"ja es-MX nl", "de", "es"},
		{"zz", "de", "de"},
		{"pt-BR", "", "en"},
		{"fr-CA", "es", "fr"},
	}
	for _, tc := range cases {
		b := newBrowserIn(t, s.url, tc.accept)
		p := b.get(rp.start(oauth2.SetAuthURLParam("ui_locales", tc.uiLocales)).url)
		if p.Status != http.StatusOK {
			t.Errorf("ui_locales %q: status %d", tc.uiLocales, p.Status)
			continue
		}
		texts.wantLanguage(t, p, tc.want)
	}
}
