package mail_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

func TestExpiryPluralForms(t *testing.T) {
	c, _ := newComposer(t)
	cases := []struct {
		lang language.Tag
		e    mail.Email
		want string
	}{
		{language.English, mail.Email{Template: mail.TemplateInvitation, Data: map[string]any{"Days": 1}}, "expires in 1 day."},
		{language.English, mail.Email{Template: mail.TemplateInvitation, Data: map[string]any{"Days": 7}}, "expires in 7 days."},
		{language.German, mail.Email{Template: mail.TemplateInvitation, Data: map[string]any{"Days": 1}}, "in 1 Tag ab."},
		{language.German, mail.Email{Template: mail.TemplateInvitation, Data: map[string]any{"Days": 7}}, "in 7 Tagen ab."},
		{language.Dutch, mail.Email{Template: mail.TemplateEmailCode, Data: map[string]any{"CodeMinutes": 1}}, "over 1 minuut."},
		{language.French, mail.Email{Template: mail.TemplatePasswordReset, Data: map[string]any{"Minutes": 1}}, "dans 1 minute."},
		{language.French, mail.Email{Template: mail.TemplatePasswordReset, Data: map[string]any{"Minutes": 60}}, "dans 60 minutes."},
		{language.Spanish, mail.Email{Template: mail.TemplateEmailLink, Data: map[string]any{"LinkMinutes": 1, "CodeMinutes": 10}}, "dentro de 1 minuto."},
	}
	for _, tc := range cases {
		e := tc.e
		e.Kind, e.To, e.Language = store.EmailTwoFactor, "ana@hotel.example", tc.lang
		e.Data["Name"], e.Data["Link"], e.Data["Code"] = "Ana", testLink, testCode
		m, err := c.Render(e)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.lang, e.Template, err)
		}
		if !strings.Contains(m.Text, tc.want) {
			t.Errorf("%s %s: text lacks %q:\n%s", tc.lang, e.Template, tc.want, m.Text)
		}
		if !strings.Contains(m.HTML, tc.want) {
			t.Errorf("%s %s: HTML lacks %q", tc.lang, e.Template, tc.want)
		}
	}
}

func TestNotificationTimeLocalized(t *testing.T) {
	keys, err := secret.NewKeys(bytes.Repeat([]byte{7}, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.March, 4, 21, 5, 0, 0, time.FixedZone("CET", 3600))
	c, err := mail.NewComposer("Hotel ID", keys, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	want := map[language.Tag]string{
		language.English: "4 March 2026, 20:05 UTC",
		language.German:  "4. März 2026 um 20:05 UTC",
		language.French:  "4 mars 2026 à 20:05 UTC",
	}
	for lang, when := range want {
		sealed, err := c.Notification(store.User{Name: "Ana", Email: "ana@hotel.example"}, lang, mail.EventPasswordChanged, "")
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.Open(keys, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, when) {
			t.Errorf("%s: text lacks %q:\n%s", lang, when, m.Text)
		}
		if strings.Contains(m.Text, "2026-03-04") {
			t.Errorf("%s: text has the ISO date:\n%s", lang, m.Text)
		}
	}
}
