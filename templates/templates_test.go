package templates_test

import (
	"html/template"
	"slices"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/templates"
)

func stub(id string, args ...any) string { return "[" + id + "]" }

func TestParseMissingPage(t *testing.T) {
	_, err := templates.Parse(template.FuncMap{"t": stub}, []string{"signin", "nonexistent", "other"})
	if err == nil || !strings.Contains(err.Error(), "nonexistent, other") {
		t.Errorf("err = %v, want a list of the missing pages", err)
	}
}

func TestMessageIDsInCatalogue(t *testing.T) {
	set, err := templates.Parse(template.FuncMap{"t": stub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := set.MessageIDs()
	if !slices.Contains(ids, "SignInTitle") || !slices.Contains(ids, "HomeSignedInAs") {
		t.Fatalf("MessageIDs misses IDs used in the pages: %v", ids)
	}
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if missing := c.Missing(ids); len(missing) > 0 {
		t.Errorf("catalogue lacks %v", missing)
	}
}

func TestNoLiteralText(t *testing.T) {
	set, err := templates.Parse(template.FuncMap{"t": func(string, ...any) string { return "" }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range set.Pages() {
		var b strings.Builder
		data := map[string]any{"Page": map[string]any{}}
		if err := set.Execute(&b, page, "", template.FuncMap{"t": func(string, ...any) string { return "" }}, data); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		text := stripTags(b.String())
		if strings.TrimSpace(strings.Trim(text, " ·\n")) != "" {
			t.Errorf("%s renders literal text %q", page, strings.TrimSpace(text))
		}
	}
}

// stripTags returns the text outside HTML tags.
func stripTags(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}
