// Package i18n holds the message catalogue of every string a user reads on
// the hosted pages, and the negotiation of the language they are shown in.
//
// Messages live in embedded go-i18n JSON files named AREA.LANG.json, one
// file per area of the product (active for the sign-in pages) and language.
// English is the source language: every message exists in English, and a
// message missing from another language falls back to it at run time. The
// package tests fail on such a gap, on placeholders or plural forms that
// differ from English, and on literal text in the templates.
//
// Negotiate chooses the language of a page or an email. Localizer
// translates into one language and formats dates and durations in it.
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Catalogue is the set of messages in every supported language. It is safe
// for concurrent use.
type Catalogue struct {
	bundle *goi18n.Bundle
	ids    map[language.Tag]map[string]bool // message IDs by language
}

// Load parses the embedded message files. It fails when a file is malformed
// or names a language outside Supported.
func Load() (*Catalogue, error) {
	bundle := goi18n.NewBundle(language.English)
	names, err := fs.Glob(files, "*.*.json")
	if err != nil {
		return nil, fmt.Errorf("load catalogue: %w", err)
	}
	c := &Catalogue{bundle: bundle, ids: map[language.Tag]map[string]bool{}}
	for _, name := range names {
		mf, err := bundle.LoadMessageFileFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("load catalogue %s: %w", path.Base(name), err)
		}
		if !IsSupported(mf.Tag) {
			return nil, fmt.Errorf("load catalogue %s: language %q is not in Supported", name, mf.Tag)
		}
		if c.ids[mf.Tag] == nil {
			c.ids[mf.Tag] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			c.ids[mf.Tag][m.ID] = true
		}
	}
	if len(c.ids[language.English]) == 0 {
		return nil, errors.New("load catalogue: no English messages")
	}
	return c, nil
}

// Missing returns, sorted, the IDs among ids that have no English message.
// Callers check every ID they use at start, so a typo fails the start and
// never shows a raw ID to a user.
func (c *Catalogue) Missing(ids []string) []string {
	return c.MissingIn(language.English, ids)
}

// MissingIn returns, sorted, the IDs among ids that have no message in
// tag, one of Supported. Such a message appears in English in tag's pages.
func (c *Catalogue) MissingIn(tag language.Tag, ids []string) []string {
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !c.ids[tag][id] && !seen[id] {
			missing = append(missing, id)
			seen[id] = true
		}
	}
	sort.Strings(missing)
	return missing
}

// Localizer returns the translator for tag, which should come from
// Negotiate.
func (c *Catalogue) Localizer(tag language.Tag) *Localizer {
	return &Localizer{
		tag: tag,
		loc: goi18n.NewLocalizer(c.bundle, tag.String(), language.English.String()),
	}
}

// Localizer translates messages into one language.
type Localizer struct {
	tag language.Tag
	loc *goi18n.Localizer
}

// Tag returns the language the localizer was made for.
func (l *Localizer) Tag() language.Tag { return l.tag }

// Lang returns the primary language subtag, the value of <html lang>.
func (l *Localizer) Lang() string {
	base, _ := l.tag.Base()
	return base.String()
}

// CountKey is the placeholder that selects the plural form of a message.
// A message with plural forms ("one", "other", and "many" in French and
// Spanish) is chosen by the value of data[CountKey], an integer or a
// decimal string, in the plural rules of the localizer's language.
const CountKey = "Count"

// Translate returns the message id with data filled into its placeholders.
// A message missing in the localizer's language comes in English without an
// error. An ID missing from the catalogue returns the ID itself and an error.
func (l *Localizer) Translate(id string, data map[string]any) (string, error) {
	cfg := &goi18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data[CountKey]; ok {
		cfg.PluralCount = n
	}
	s, err := l.loc.Localize(cfg)
	var notFound *goi18n.MessageNotFoundErr
	if errors.As(err, &notFound) && s != "" {
		// The English fallback was used.
		return s, nil
	}
	if err != nil {
		return id, fmt.Errorf("translate %q: %w", id, err)
	}
	return s, nil
}
