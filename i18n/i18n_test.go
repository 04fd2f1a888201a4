package i18n_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
)

func TestNegotiate(t *testing.T) {
	long := "de-DE,de;q=0.9," + strings.Repeat("x-private;q=0.1,", 700) // about 10 kB
	cases := []struct {
		name string
		p    i18n.Preferences
		want language.Tag
	}{
		{"nothing", i18n.Preferences{}, language.English},
		{"german browser", i18n.Preferences{AcceptLanguage: "de-DE,de;q=0.9,en;q=0.8"}, language.German},
		{"canadian french", i18n.Preferences{AcceptLanguage: "fr-CA"}, language.French},
		{"belgian dutch", i18n.Preferences{AcceptLanguage: "nl-BE,nl;q=0.9"}, language.Dutch},
		{"austrian german", i18n.Preferences{AcceptLanguage: "de-AT"}, language.German},
		{"mexican spanish", i18n.Preferences{AcceptLanguage: "es-MX,es;q=0.8"}, language.Spanish},
		{"japanese", i18n.Preferences{AcceptLanguage: "ja-JP,ja;q=0.9"}, language.English},
		{"japanese then spanish", i18n.Preferences{AcceptLanguage: "ja,es;q=0.5"}, language.Spanish},
		{"catalan is not spanish", i18n.Preferences{AcceptLanguage: "ca"}, language.English},
		{"q-values order", i18n.Preferences{AcceptLanguage: "fr;q=0.3,de;q=0.7,nl;q=0.5"}, language.German},
		{"q=0 excludes", i18n.Preferences{AcceptLanguage: "de;q=0,fr;q=0.1"}, language.French},
		{"only q=0", i18n.Preferences{AcceptLanguage: "de;q=0"}, language.English},
		{"star", i18n.Preferences{AcceptLanguage: "*"}, language.English},
		{"star before spanish", i18n.Preferences{AcceptLanguage: "*,es;q=0.5"}, language.Spanish},
		{"duplicates", i18n.Preferences{AcceptLanguage: "nl,nl,nl-NL,fr"}, language.Dutch},
		{"garbage", i18n.Preferences{AcceptLanguage: "!!$$,;;==q"}, language.English},
		{"bad q-value", i18n.Preferences{AcceptLanguage: "de;q=abc"}, language.English},
		{"control characters", i18n.Preferences{AcceptLanguage: "de\x00\r\n"}, language.English},
		{"10 kB header", i18n.Preferences{AcceptLanguage: long}, language.English},
		{"ui_locales first", i18n.Preferences{UILocales: []string{"nl"}, Picked: "fr", Saved: "de", AcceptLanguage: "es"}, language.Dutch},
		{"ui_locales region", i18n.Preferences{UILocales: []string{"nl-BE"}, AcceptLanguage: "de"}, language.Dutch},
		{"ui_locales first supported", i18n.Preferences{UILocales: []string{"ja", "!!", "es-MX"}, AcceptLanguage: "de"}, language.Spanish},
		{"ui_locales unsupported", i18n.Preferences{UILocales: []string{"ja"}, AcceptLanguage: "de"}, language.German},
		{"picked over saved", i18n.Preferences{Picked: "fr", Saved: "de", AcceptLanguage: "es"}, language.French},
		{"picked garbage", i18n.Preferences{Picked: "<script>", Saved: "de", AcceptLanguage: "es"}, language.German},
		{"saved over browser", i18n.Preferences{Saved: "de", AcceptLanguage: "es"}, language.German},
		{"saved unsupported", i18n.Preferences{Saved: "pt", AcceptLanguage: "es"}, language.Spanish},
		{"saved too long", i18n.Preferences{Saved: "de-" + strings.Repeat("a", 100)}, language.English},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := i18n.Negotiate(tc.p); got != tc.want {
				t.Errorf("Negotiate(%+v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

// TestNegotiateLongHeaderCost checks that an oversized header is dropped
// before parsing: it costs no allocation at all, whatever it holds.
func TestNegotiateLongHeaderCost(t *testing.T) {
	p := i18n.Preferences{AcceptLanguage: strings.Repeat("de-DE;q=0.5,", 10000)}
	if allocs := testing.AllocsPerRun(100, func() { i18n.Negotiate(p) }); allocs != 0 {
		t.Errorf("Negotiate with a 120 kB header allocates %v times, want 0", allocs)
	}
}

func TestMatchKeepsOrder(t *testing.T) {
	if got := i18n.Match([]string{"fr"}, "de"); got != language.French {
		t.Errorf("Match = %v, want fr", got)
	}
	if got := i18n.Match(nil, "de-CH"); got != language.German {
		t.Errorf("Match = %v, want de", got)
	}
}

func TestForEmail(t *testing.T) {
	if got := i18n.ForEmail("de", language.French); got != language.German {
		t.Errorf("saved de, sign-in fr: %v, want de", got)
	}
	if got := i18n.ForEmail("", language.French); got != language.French {
		t.Errorf("nothing saved, sign-in fr: %v, want fr", got)
	}
	if got := i18n.ForEmail("pt", language.Und); got != language.English {
		t.Errorf("unsupported saved, no sign-in: %v, want en", got)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]language.Tag{
		"de": language.German, "de-AT": language.German, "ES-mx": language.Spanish, "nl": language.Dutch,
	} {
		if got, ok := i18n.Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "pt", "zz", "<b>", "de;q=1", strings.Repeat("a", 70)} {
		if got, ok := i18n.Parse(in); ok {
			t.Errorf("Parse(%q) = %v, want false", in, got)
		}
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

func TestTranslateEveryLanguage(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[language.Tag]string{
		language.English: "Sign in",
		language.Dutch:   "Inloggen",
		language.French:  "Se connecter",
		language.German:  "Anmelden",
		language.Spanish: "Iniciar sesión",
	}
	for _, tag := range i18n.Supported {
		loc := c.Localizer(tag)
		if got, err := loc.Translate("SignInTitle", nil); err != nil || got != want[tag] {
			t.Errorf("%v: SignInTitle = %q, %v; want %q", tag, got, err, want[tag])
		}
		if loc.Lang() != tag.String() {
			t.Errorf("%v: Lang() = %q", tag, loc.Lang())
		}
	}
}

func TestDuration(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tag  language.Tag
		d    time.Duration
		want string
	}{
		{language.English, time.Minute, "1 minute"},
		{language.English, 15 * time.Minute, "15 minutes"},
		{language.English, 90 * time.Second, "2 minutes"},
		{language.English, 0, "1 minute"},
		{language.English, 2 * time.Hour, "2 hours"},
		{language.English, 90 * time.Minute, "90 minutes"},
		{language.English, 7 * 24 * time.Hour, "7 days"},
		{language.Dutch, time.Hour, "1 uur"},
		{language.Dutch, 7 * 24 * time.Hour, "7 dagen"},
		{language.French, time.Minute, "1 minute"},
		{language.French, 15 * time.Minute, "15 minutes"},
		{language.French, 1000000 * time.Minute, "1000000 minutes"},
		{language.German, 24 * time.Hour, "1 Tag"},
		{language.German, 7 * 24 * time.Hour, "7 Tage"},
		{language.Spanish, time.Hour, "1 hora"},
		{language.Spanish, 15 * time.Minute, "15 minutos"},
		{language.Spanish, 1000000 * time.Hour, "1000000 horas"},
	}
	for _, tc := range cases {
		if got := c.Localizer(tc.tag).Duration(tc.d); got != tc.want {
			t.Errorf("%v Duration(%v) = %q, want %q", tc.tag, tc.d, got, tc.want)
		}
	}
}

func TestDateTime(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, time.March, 4, 21, 5, 0, 0, time.UTC)
	want := map[language.Tag][2]string{
		language.English: {"4 March 2026", "4 March 2026, 21:05 UTC"},
		language.Dutch:   {"4 maart 2026", "4 maart 2026 om 21:05 UTC"},
		language.French:  {"4 mars 2026", "4 mars 2026 à 21:05 UTC"},
		language.German:  {"4. März 2026", "4. März 2026 um 21:05 UTC"},
		language.Spanish: {"4 de marzo de 2026", "4 de marzo de 2026, 21:05 UTC"},
	}
	for _, tag := range i18n.Supported {
		loc := c.Localizer(tag)
		if got := loc.Date(at); got != want[tag][0] {
			t.Errorf("%v Date = %q, want %q", tag, got, want[tag][0])
		}
		if got := loc.DateTime(at); got != want[tag][1] {
			t.Errorf("%v DateTime = %q, want %q", tag, got, want[tag][1])
		}
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

func BenchmarkNegotiate(b *testing.B) {
	for name, header := range map[string]string{
		"typical": "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
		"512 B":   strings.Repeat("x-ab;q=0.1,", 46),
		"10 kB":   strings.Repeat("de-DE;q=0.5,", 850),
		"garbage": "!!$$,;;==q",
	} {
		b.Run(name, func(b *testing.B) {
			p := i18n.Preferences{AcceptLanguage: header}
			for b.Loop() {
				i18n.Negotiate(p)
			}
		})
	}
}
