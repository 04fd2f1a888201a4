package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func TestCatalogueConsistent(t *testing.T) {
	for _, problem := range checkCatalogue(files) {
		t.Error(problem)
	}
}

func TestCheckCatalogueFindsDrift(t *testing.T) {
	fsys := fstest.MapFS{
		"a.en.json": {Data: []byte(`{"Hello": "Hello {{.Name}}", "Only": "English only",
			"Days": {"one": "{{.Count}} day", "other": "{{.Count}} days"}}`)},
		"a.nl.json": {Data: []byte(`{"Hello": "Hallo {{.Naam}}", "Days": {"one": "{{.Count}} dag", "other": "{{.Count}} dagen"}}`)},
		"a.fr.json": {Data: []byte(`{"Hello": "Bonjour {{.Name}}", "Only": "Seulement",
			"Days": {"one": "{{.Count}} jour", "other": "{{.Count}} jours"}}`)},
		"a.de.json": {Data: []byte(`{"Hello": "Hallo {{.Name}}", "Only": "Nur",
			"Days": {"one": "{{.Count}} Tag", "other": "{{.Count}} Tage"}}`)},
		"b.en.json":  {Data: []byte(`{"Hello": "Hi"}`)},
		"b.pt.json":  {Data: []byte(`{"Hello": "Olá"}`)},
		"notes.json": {Data: []byte(`{}`)},
	}
	got := strings.Join(checkCatalogue(fsys), "\n")
	for _, want := range []string{
		"a.es.json is missing",
		"Only: missing from a.nl.json",
		"Hello in a.nl.json: placeholders [Naam], English has [Name]",
		`Days in a.fr.json: plural form "many" is missing`,
		"Hello: defined in both a and b",
		`b.pt.json: language "pt"`,
		"notes.json: want a name of the form AREA.LANG.json",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q; got:\n%s", want, got)
		}
	}
}

// TestMessagesRender executes every message in every language with every
// placeholder filled, and the plural messages with a count of each plural
// category, so a broken template or a missing form fails here and not in
// front of a user.
func TestMessagesRender(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	parsed, problems := readCatalogue(files)
	for _, p := range problems {
		t.Error(p)
	}
	for _, f := range parsed {
		loc := goi18n.NewLocalizer(c.bundle, f.tag.String())
		for id, m := range f.messages {
			data := map[string]any{}
			for _, name := range placeholders(m) {
				data[name] = "X"
			}
			counts := []any{nil}
			if isPlural(m) {
				counts = []any{0, 1, 2, 5, 1000000}
			}
			for _, n := range counts {
				if n != nil {
					data[CountKey] = n
				}
				s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: n})
				if err != nil || s == "" || strings.Contains(s, "<no value>") {
					t.Errorf("%s.%s.json %s (count %v): %q, %v", f.area, f.tag, id, n, s, err)
				}
			}
		}
	}
}

// englishWords finds words of four or more letters, which a translation
// rarely shares with English by chance.
var englishWords = regexp.MustCompile(`\p{L}{4,}`)

// sameInEnglish lists messages that are rightly identical to English in a
// language, as "LANG ID".
var sameInEnglish = []string{}

func TestNoEnglishLeftOver(t *testing.T) {
	parsed, _ := readCatalogue(files)
	english := map[string]*goi18n.Message{}
	for _, f := range parsed {
		if f.tag == language.English {
			for id, m := range f.messages {
				english[id] = m
			}
		}
	}
	for _, f := range parsed {
		if f.tag == language.English {
			continue
		}
		for id, m := range f.messages {
			source := english[id]
			if source == nil || m.Other != source.Other || slices.Contains(sameInEnglish, f.tag.String()+" "+id) {
				continue
			}
			text := placeholderPattern.ReplaceAllString(m.Other, "")
			if len(englishWords.FindAllString(text, -1)) >= 2 {
				t.Errorf("%s.%s.json %s is still in English: %q", f.area, f.tag, id, m.Other)
			}
		}
	}
}

// informalWords are the pronouns and possessives of informal address in
// each language. The catalogue addresses users formally: u, vous, Sie,
// usted.
var informalWords = map[language.Tag][]string{
	language.Dutch:   {"je", "jij", "jou", "jouw", "jullie"},
	language.French:  {"tu", "toi", "ton", "ta", "tes"},
	language.German:  {"du", "dich", "dir", "dein", "deine", "deinen", "deinem", "deiner", "deines", "euch", "euer", "eure"},
	language.Spanish: {"tú", "tu", "tus", "te", "ti", "contigo", "vosotros", "vuestro", "vuestra"},
}

var wordPattern = regexp.MustCompile(`\p{L}+`)

func TestFormalAddress(t *testing.T) {
	parsed, _ := readCatalogue(files)
	for _, f := range parsed {
		informal := informalWords[f.tag]
		for id, m := range f.messages {
			text := placeholderPattern.ReplaceAllString(strings.Join([]string{m.One, m.Many, m.Other}, " "), " ")
			for _, word := range wordPattern.FindAllString(text, -1) {
				if slices.Contains(informal, strings.ToLower(word)) {
					t.Errorf("%s.%s.json %s addresses the user informally (%q): %q", f.area, f.tag, id, word, m.Other)
				}
			}
		}
	}
}
