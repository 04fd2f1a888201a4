package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// pluralForms are the CLDR plural categories that a message with plural
// forms needs in each language, as go-i18n v2.7 selects them: French and
// Spanish use "many" for round millions.
var pluralForms = map[language.Tag][]string{
	language.English: {"one", "other"},
	language.Dutch:   {"one", "other"},
	language.French:  {"one", "many", "other"},
	language.German:  {"one", "other"},
	language.Spanish: {"one", "many", "other"},
}

// placeholderPattern finds the template fields a message uses, such as
// {{.Name}} or {{ .Count }}.
var placeholderPattern = regexp.MustCompile(`\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)`)

// catalogueFile is one parsed AREA.LANG.json file.
type catalogueFile struct {
	area     string
	tag      language.Tag
	messages map[string]*goi18n.Message
}

// checkCatalogue returns every drift between the message files of fsys:
// a file outside the AREA.LANG.json scheme or in an unsupported language,
// an area without all languages, an ID missing from one language of its
// area or defined in two areas, placeholders that differ from English, and
// plural forms that a language's rules need but its message lacks.
func checkCatalogue(fsys fs.FS) []string {
	files, problems := readCatalogue(fsys)
	byArea := map[string]map[language.Tag]catalogueFile{}
	for _, f := range files {
		if byArea[f.area] == nil {
			byArea[f.area] = map[language.Tag]catalogueFile{}
		}
		byArea[f.area][f.tag] = f
	}

	owner := map[string]string{} // message ID to the area that defines it
	for _, area := range sortedKeys(byArea) {
		langs := byArea[area]
		for _, tag := range Supported {
			if _, ok := langs[tag]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s.json is missing", area, tag))
			}
		}
		for _, id := range areaIDs(langs) {
			if other, ok := owner[id]; ok && other != area {
				problems = append(problems, fmt.Sprintf("%s: defined in both %s and %s", id, other, area))
			}
			owner[id] = area
			problems = append(problems, checkMessage(area, id, langs)...)
		}
	}
	return problems
}

// readCatalogue parses every JSON file at the root of fsys.
func readCatalogue(fsys fs.FS) ([]catalogueFile, []string) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, []string{err.Error()}
	}
	var files []catalogueFile
	var problems []string
	for _, name := range names {
		parts := strings.Split(name, ".")
		if len(parts) != 3 {
			problems = append(problems, fmt.Sprintf("%s: want a name of the form AREA.LANG.json", name))
			continue
		}
		tag, err := language.Parse(parts[1])
		if err != nil || !IsSupported(tag) || tag.String() != parts[1] {
			problems = append(problems, fmt.Sprintf("%s: language %q is not one of %v", name, parts[1], Supported))
			continue
		}
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		mf, err := goi18n.ParseMessageFileBytes(buf, path.Base(name), nil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		f := catalogueFile{area: parts[0], tag: tag, messages: map[string]*goi18n.Message{}}
		for _, m := range mf.Messages {
			f.messages[m.ID] = m
		}
		files = append(files, f)
	}
	return files, problems
}

// checkMessage compares message id across the languages of one area
// with its English source.
func checkMessage(area, id string, langs map[language.Tag]catalogueFile) []string {
	var problems []string
	source := langs[language.English].messages[id]
	for _, tag := range Supported {
		f, ok := langs[tag]
		if !ok {
			continue // reported for the whole file
		}
		m := f.messages[id]
		if m == nil {
			problems = append(problems, fmt.Sprintf("%s: missing from %s.%s.json", id, area, tag))
			continue
		}
		if source == nil {
			continue // reported by the English iteration
		}
		if got, want := placeholders(m), placeholders(source); !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("%s in %s.%s.json: placeholders %v, English has %v", id, area, tag, got, want))
		}
		if isPlural(source) {
			for _, form := range pluralForms[tag] {
				if formText(m, form) == "" {
					problems = append(problems, fmt.Sprintf("%s in %s.%s.json: plural form %q is missing", id, area, tag, form))
				}
			}
		}
	}
	return problems
}

// placeholders returns the sorted, distinct field names that m's forms
// use.
func placeholders(m *goi18n.Message) []string {
	seen := map[string]bool{}
	for _, text := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		for _, match := range placeholderPattern.FindAllStringSubmatch(text, -1) {
			seen[match[1]] = true
		}
	}
	return sortedKeys(seen)
}

func isPlural(m *goi18n.Message) bool {
	return m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
}

func formText(m *goi18n.Message, form string) string {
	switch form {
	case "one":
		return m.One
	case "many":
		return m.Many
	default:
		return m.Other
	}
}

// areaIDs returns every message ID of an area in any language, sorted.
func areaIDs(langs map[language.Tag]catalogueFile) []string {
	seen := map[string]bool{}
	for _, f := range langs {
		for id := range f.messages {
			seen[id] = true
		}
	}
	return sortedKeys(seen)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
