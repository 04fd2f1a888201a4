// Package i18n holds the message catalogue of every string a user reads on
// the hosted pages, and the negotiation of the language they are shown in.
//
// Messages live in embedded go-i18n JSON files named AREA.LANG.json, one
// file per area of the product (active for the sign-in pages) and language.
// English is the source language: every message exists in English, and a
// message missing from another language falls back to it.
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
	ids    map[string]bool // message IDs of the English source
}

// Load parses the embedded message files. It fails when a file is malformed
// or names a language outside Supported.
func Load() (*Catalogue, error) {
	bundle := goi18n.NewBundle(language.English)
	names, err := fs.Glob(files, "*.*.json")
	if err != nil {
		return nil, fmt.Errorf("load catalogue: %w", err)
	}
	c := &Catalogue{bundle: bundle, ids: map[string]bool{}}
	for _, name := range names {
		mf, err := bundle.LoadMessageFileFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("load catalogue %s: %w", path.Base(name), err)
		}
		if !isSupported(mf.Tag) {
			return nil, fmt.Errorf("load catalogue %s: language %q is not in Supported", name, mf.Tag)
		}
		if mf.Tag == language.English {
			for _, m := range mf.Messages {
				c.ids[m.ID] = true
			}
		}
	}
	if len(c.ids) == 0 {
		return nil, errors.New("load catalogue: no English messages")
	}
	return c, nil
}

// Missing returns, sorted, the IDs among ids that have no English message.
// Callers check every ID they use at start, so a typo fails the start and
// never shows a raw ID to a user.
func (c *Catalogue) Missing(ids []string) []string {
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !c.ids[id] && !seen[id] {
			missing = append(missing, id)
			seen[id] = true
		}
	}
	sort.Strings(missing)
	return missing
}

// Localizer returns the translator for tag, which should come from Match.
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

// Translate returns the message id with data filled into its placeholders.
// A message missing in the localizer's language comes in English without an
// error. An ID missing from the catalogue returns the ID itself and an error.
func (l *Localizer) Translate(id string, data map[string]any) (string, error) {
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
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
