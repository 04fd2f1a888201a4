package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/mail/smtptest"
	"github.com/hotelsoft/idp/store"
)

// TestEmailsInEveryLanguage renders every email in every language and
// checks that its subject and both parts are wholly in that language.
func TestEmailsInEveryLanguage(t *testing.T) {
	texts := readCatalogueText(t)
	keys, err := secret.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.March, 4, 21, 5, 0, 0, time.UTC)
	composer, err := mail.NewComposer("Hotel ID", keys, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}

	data := map[string]any{
		"Name": "Ana Berg", "Link": "http://localhost:8080/x?token=abc", "Code": "123456",
		"Days": 7, "Minutes": 15, "CodeMinutes": 10, "LinkMinutes": 15,
	}
	emails := []mail.Email{
		{Kind: store.EmailInvitation, Template: mail.TemplateInvitation},
		{Kind: store.EmailTwoFactor, Template: mail.TemplateEmailLink},
		{Kind: store.EmailTwoFactor, Template: mail.TemplateEmailCode},
		{Kind: store.EmailPasswordReset, Template: mail.TemplatePasswordReset},
	}
	for _, event := range []string{
		mail.EventMethodAdded, mail.EventMethodRemoved, mail.EventRecoveryCodeUsed,
		mail.EventPasswordChanged, mail.EventPasswordReset, mail.EventTwoFactorReset,
	} {
		emails = append(emails, mail.Email{Kind: store.EmailNotification, Template: mail.TemplateNotification,
			Data: map[string]any{"Event": event, "Method": "totp"}})
	}

	for _, tag := range i18n.Supported {
		lang := tag.String()
		for _, e := range emails {
			e.To, e.Language = "ana@example.com", tag
			e.Data = merge(data, e.Data)
			m, err := composer.Render(e)
			if err != nil {
				t.Errorf("%s %s %v: %v", lang, e.Template, e.Data["Event"], err)
				continue
			}
			name := lang + " " + e.Template + " " + strings.TrimSpace(stringOf(e.Data["Event"]))
			if m.Language != lang {
				t.Errorf("%s: Language = %q", name, m.Language)
			}
			texts.wantEmailLanguage(t, name, m.Subject+"\n"+m.Text+"\n"+htmlText(t, m.HTML), lang)
		}
	}
}

// TestEmailJourneyInBrowserLanguage signs in new users without a saved
// language by email link: the emails of the sign-in come in the language
// of its pages, and an invitation in the saved language of the invitee.
func TestEmailJourneyInBrowserLanguage(t *testing.T) {
	texts := readCatalogueText(t)
	s, smtp := startMailServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	cases := []struct {
		name, accept, uiLocales, want string
	}{
		{"german", "de-DE,de;q=0.9", "", "de"},
		{"canadian french", "fr-CA", "", "fr"},
		{"japanese", "ja", "", "en"},
		{"ui_locales", "de-DE,de;q=0.9", "nl", "nl"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			email := "mail" + string(rune('a'+i)) + "@example.com"
			b := newBrowserIn(t, s.url, tc.accept)
			p := b.get(s.inviteWithLocale(t, email, ""))
			b.submit(p, map[string]string{"password": testPassword, "password_confirm": testPassword, "accept_terms": "on"})

			var opts []oauth2.AuthCodeOption
			if tc.uiLocales != "" {
				opts = append(opts, oauth2.SetAuthURLParam("ui_locales", tc.uiLocales))
			}
			r := rp.start(opts...)
			p = signInWithPassword(t, b, r, email, testPassword)
			texts.wantLanguage(t, p, tc.want)
			p = b.submit(p, map[string]string{})
			texts.wantLanguage(t, p, tc.want)

			m := smtp.Wait(t, email, store.EmailTwoFactor)
			texts.wantMessageLanguage(t, m, tc.want)
			rp.exchange(t, b.get(m.Link(t)), r)
			texts.wantMessageLanguage(t, smtp.Wait(t, email, store.EmailNotification), tc.want)
		})
	}

	t.Run("invitation in saved language", func(t *testing.T) {
		_, _, err := login.InviteUserWithEmail(context.Background(), s.app.store, s.app.mail, s.url,
			login.Invite{Email: "saved-de@example.com", Name: "Ana Berg", Locale: "de"}, s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		texts.wantMessageLanguage(t, smtp.Wait(t, "saved-de@example.com", store.EmailInvitation), "de")
	})
}

// wantMessageLanguage checks a delivered email: its Content-Language
// header and its subject and both parts.
func (c catalogueText) wantMessageLanguage(t *testing.T, m smtptest.Message, lang string) {
	t.Helper()
	if got := m.Header.Get("Content-Language"); got != lang {
		t.Errorf("%s email: Content-Language %q, want %q", m.Kind, got, lang)
	}
	text := m.Subject + "\n" + m.Text + "\n" + htmlText(t, m.HTML)
	c.wantEmailLanguage(t, m.Kind+" email", urlPattern.ReplaceAllString(text, " "), lang)
}

// urlPattern finds the links of an email, whose paths are not in any
// language.
var urlPattern = regexp.MustCompile(`https?://\S+`)

// wantEmailLanguage checks that text, the readable text of one email,
// shows no message ID and, outside English, no English message that lang
// translates differently.
func (c catalogueText) wantEmailLanguage(t *testing.T, name, text, lang string) {
	t.Helper()
	for id, english := range c["en"] {
		if containsWord(text, id) {
			t.Errorf("%s: message ID %s shown", name, id)
		}
		if lang == "en" || c[lang][id] == english || id == "LanguageName" {
			continue
		}
		for _, part := range englishParts(english) {
			if containsWord(text, part) {
				t.Errorf("%s: English text of %s shown: %q", name, id, part)
			}
		}
	}
}

// htmlText returns the text nodes of an HTML email part.
func htmlText(t *testing.T, s string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return textOf(doc)
}

func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
