package i18n_test

import (
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		name      string
		uiLocales []string
		accept    string
		want      language.Tag
	}{
		{"nothing", nil, "", language.English},
		{"ui_locales english", []string{"en-GB"}, "", language.English},
		{"unsupported only", []string{"xx"}, "zz", language.English},
		{"malformed header", nil, "en;q=abc,,;;", language.English},
		{"malformed ui_locales", []string{"!!", "--"}, "en", language.English},
		{"huge header", nil, strings.Repeat("de-DE,", 1000), language.English},
		{"accept language", nil, "nl;q=0.9, en-US;q=0.8", language.English},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := i18n.Match(tc.uiLocales, tc.accept); got != tc.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tc.uiLocales, tc.accept, got, tc.want)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc := c.Localizer(language.English)
	if loc.Lang() != "en" {
		t.Errorf("Lang() = %q, want en", loc.Lang())
	}
	got, err := loc.Translate("HomeSignedInAs", map[string]any{"Name": "Ana <b>", "Email": "ana@hotel.example"})
	if err != nil || got != "Signed in as Ana <b> (ana@hotel.example)." {
		t.Errorf("Translate = %q, %v", got, err)
	}
	if got, err := loc.Translate("NoSuchMessage", nil); err == nil || got != "NoSuchMessage" {
		t.Errorf("missing message: %q, %v; want the ID and an error", got, err)
	}
}

func TestMissing(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := c.Missing([]string{"SignInTitle", "Nope", "Nope", "Also"})
	if strings.Join(got, ",") != "Also,Nope" {
		t.Errorf("Missing = %v, want [Also Nope]", got)
	}
}
