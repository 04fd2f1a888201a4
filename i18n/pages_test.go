package i18n_test

import (
	"html/template"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/templates"
)

// TestPagesInEveryLanguage renders every page in every language and checks
// that each message the pages name exists in that language, so no page
// falls back to English.
func TestPagesInEveryLanguage(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	stub := template.FuncMap{templates.TranslateFunc: func(string, ...any) string { return "" }}
	set, err := templates.Parse(stub, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := set.MessageIDs()
	if len(ids) == 0 {
		t.Fatal("the pages name no messages")
	}

	for _, tag := range i18n.Supported {
		if missing := c.MissingIn(tag, ids); len(missing) > 0 {
			t.Errorf("%v: the pages use messages missing in this language: %v", tag, missing)
		}
		loc := c.Localizer(tag)
		funcs := template.FuncMap{templates.TranslateFunc: func(id string, args ...any) string {
			data := map[string]any{}
			for i := 0; i+1 < len(args); i += 2 {
				name, _ := args[i].(string)
				data[name] = args[i+1]
			}
			s, err := loc.Translate(id, data)
			if err != nil {
				t.Errorf("%v: %v", tag, err)
			}
			return s
		}}
		for _, page := range set.Pages() {
			var b strings.Builder
			data := map[string]any{"Lang": loc.Lang(), "Page": map[string]any{}}
			if err := set.Execute(&b, page, tag.String(), funcs, data); err != nil {
				t.Errorf("%v %s: %v", tag, page, err)
				continue
			}
			if !strings.Contains(b.String(), `<html lang="`+tag.String()+`"`) {
				t.Errorf("%v %s: no <html lang=%q>", tag, page, tag)
			}
		}
	}
}

// emailMessage finds the constant message IDs of an email template.
var emailMessage = regexp.MustCompile(`\{\{-?\s*t\s+"([A-Za-z0-9_]+)"`)

// TestEmailsUseKnownMessages checks that every message an email template
// names exists in every language.
func TestEmailsUseKnownMessages(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = fs.WalkDir(templates.Email, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := fs.ReadFile(templates.Email, name)
		if err != nil {
			return err
		}
		for _, m := range emailMessage.FindAllStringSubmatch(string(buf), -1) {
			ids = append(ids, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("the email templates name no messages")
	}
	for _, tag := range i18n.Supported {
		if missing := c.MissingIn(tag, ids); len(missing) > 0 {
			t.Errorf("%v: the emails use messages missing in this language: %v", tag, missing)
		}
	}
}
