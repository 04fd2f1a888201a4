package i18n

import (
	"strings"
	"testing"

	"golang.org/x/text/language"
)

// frenchSpaces are the spaces French typography puts before ? ! ; : and
// » and after «: the no-break space U+00A0, or the narrow no-break space
// U+202F that some publishers prefer before ? ! and ;.
const frenchSpaces = "\u00a0\u202f"

func TestFrenchPunctuationSpacing(t *testing.T) {
	parsed, _ := readCatalogue(files)
	for _, f := range parsed {
		if f.tag != language.French {
			continue
		}
		for id, m := range f.messages {
			for _, form := range []string{"one", "many", "other"} {
				text := formText(m, form)
				if problem := frenchSpacingProblem(text); problem != "" {
					t.Errorf("%s.fr.json %s (%s): %s in %q", f.area, id, form, problem, text)
				}
			}
		}
	}
}

// frenchSpacingProblem returns what is wrong with the spacing of text
// around ? ! ; : « and », or "" when nothing is. A colon or question
// mark directly between two non-space characters, as in a URL or a time,
// is fine.
func frenchSpacingProblem(text string) string {
	runes := []rune(text)
	for i, r := range runes {
		var before, after rune
		if i > 0 {
			before = runes[i-1]
		}
		if i+1 < len(runes) {
			after = runes[i+1]
		}
		switch r {
		case '?', '!', ';', ':', '»':
			if (r == ':' || r == '?') && before != ' ' && after != ' ' && after != 0 {
				continue
			}
			if i > 0 && !strings.ContainsRune(frenchSpaces, before) {
				return "no no-break space before " + string(r)
			}
		case '«':
			if !strings.ContainsRune(frenchSpaces, after) {
				return "no no-break space after «"
			}
		}
	}
	return ""
}

func TestFrenchSpacingProblem(t *testing.T) {
	for text, bad := range map[string]bool{
		"Mot de passe oublié\u00a0?":    false,
		"Mot de passe oublié ?":         true,
		"Mot de passe oublié?":          true,
		"Date\u00a0: {{.Time}}":         false,
		"Date : {{.Time}}":              true,
		"à 21:05":                       false,
		"« Valider »":                   true,
		"«\u00a0Valider\u00a0»":         false,
		"Attention\u202f!":              false,
		"https://id.hotel.example/x?y=": false,
	} {
		if got := frenchSpacingProblem(text) != ""; got != bad {
			t.Errorf("frenchSpacingProblem(%q) reports a problem: %v, want %v", text, got, bad)
		}
	}
}

// dutchTerms maps words that the Dutch catalogue does not use to the
// term it uses instead, so that every page names a thing alike.
var dutchTerms = map[string]string{
	"toepassing": "applicatie",
	"aanmeld":    "inlog",
	"afmeld":     "uitlog",
	"passkey":    "toegangssleutel",
}

func TestDutchTerminology(t *testing.T) {
	parsed, _ := readCatalogue(files)
	for _, f := range parsed {
		if f.tag != language.Dutch {
			continue
		}
		for id, m := range f.messages {
			text := strings.ToLower(formText(m, "one") + " " + formText(m, "other"))
			for avoid, use := range dutchTerms {
				// "toegangssleutel (passkey)" introduces the term once.
				if avoid == "passkey" && strings.Contains(text, "(passkey)") {
					continue
				}
				if strings.Contains(text, avoid) {
					t.Errorf("%s.nl.json %s: uses %q, the catalogue says %q", f.area, id, avoid, use)
				}
			}
		}
	}
}
