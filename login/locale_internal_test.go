package login

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestLocalURL(t *testing.T) {
	cases := []struct {
		path  string
		query url.Values
		want  string
	}{
		{"/login", url.Values{"id": {"abc"}}, "/login?id=abc"},
		{"/login", url.Values{"id": {"a&b=c"}}, "/login?id=a%26b%3Dc"},
		{"/terms", nil, "/terms"},
		{"//evil.example/x", url.Values{"id": {"1"}}, "/?id=1"},
		{"/\\evil.example", nil, "/"},
		{"evil.example", nil, "/"},
		{"", nil, "/"},
	}
	for _, tc := range cases {
		if got := localURL(tc.path, tc.query); got != tc.want {
			t.Errorf("localURL(%q, %v) = %q, want %q", tc.path, tc.query, got, tc.want)
		}
	}
}

func TestPickedValueRoundTrip(t *testing.T) {
	cases := []struct {
		tag       language.Tag
		id        string
		wantValue string
		wantFor   string
	}{
		{language.German, "", "de", ""},
		{language.German, "req-1", "de req-1", "req-1"},
		{language.French, strings.Repeat("x", maxIDLength+1), "fr", ""},
	}
	for _, tc := range cases {
		value := pickedValue(tc.tag, tc.id)
		if value != tc.wantValue {
			t.Errorf("pickedValue(%v, %q) = %q, want %q", tc.tag, tc.id, value, tc.wantValue)
		}
		lang, id := parsePicked(value)
		if lang != tc.tag.String() || id != tc.wantFor {
			t.Errorf("parsePicked(%q) = %q, %q; want %q, %q", value, lang, id, tc.tag, tc.wantFor)
		}
	}
}
