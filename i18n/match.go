package i18n

import (
	"golang.org/x/text/language"
)

// Supported lists the languages of the catalogue, English first: the
// language of last resort and the source of every message.
var Supported = []language.Tag{
	language.English,
	language.Dutch,
	language.French,
	language.German,
	language.Spanish,
}

// maxAcceptLanguage is the longest Accept-Language header that Negotiate
// reads; browsers commonly send under 100 bytes. A longer header is ignored
// whole before any parsing, so the cost of a hostile header is bounded by
// the cost of parsing 512 bytes (BenchmarkNegotiate measures both).
const maxAcceptLanguage = 512

// maxAcceptEntries is how many of the most preferred Accept-Language
// entries are matched against Supported. Browsers send a handful.
const maxAcceptEntries = 16

// maxTag is the longest language tag read from a cookie, a user record or
// ui_locales. BCP 47 tags in practical use stay below 35 characters.
const maxTag = 64

// maxUILocales is how many entries of ui_locales are tried.
const maxUILocales = 16

var matcher = language.NewMatcher(Supported)

// Preferences are the signals that choose the language of a page or an
// email, strongest first. Every field may be empty.
type Preferences struct {
	// UILocales is the ui_locales parameter of the OpenID Connect auth
	// request, most preferred first.
	UILocales []string
	// Picked is the language the user chose with the language switcher.
	Picked string
	// Saved is the language stored with the user's account.
	Saved string
	// AcceptLanguage is the browser's Accept-Language header.
	AcceptLanguage string
}

// Negotiate returns the language of p: the first of UILocales that is
// supported, else Picked, else Saved, else the best match for
// AcceptLanguage, else English. Regional variants land on their language
// (fr-CA is French, de-AT German). Malformed values are skipped, and an
// Accept-Language header that is malformed or longer than 512 bytes is
// ignored whole, so Negotiate never fails and always returns one of
// Supported.
func Negotiate(p Preferences) language.Tag {
	if tag, ok := p.Explicit(); ok {
		return tag
	}
	if tag, ok := Parse(p.Saved); ok {
		return tag
	}
	if tag, ok := matchAcceptLanguage(p.AcceptLanguage); ok {
		return tag
	}
	return language.English
}

// Explicit returns the language that UILocales or Picked choose, the
// signals stronger than the saved language. Callers that load the saved
// language from storage ask this first and skip the load when it is true.
func (p Preferences) Explicit() (language.Tag, bool) {
	for i, s := range p.UILocales {
		if i == maxUILocales {
			break
		}
		if tag, ok := Parse(s); ok {
			return tag, true
		}
	}
	return Parse(p.Picked)
}

// Match returns the language of a page from the ui_locales of an auth
// request and the Accept-Language header alone. It is Negotiate without
// the picked and saved languages.
func Match(uiLocales []string, acceptLanguage string) language.Tag {
	return Negotiate(Preferences{UILocales: uiLocales, AcceptLanguage: acceptLanguage})
}

// ForEmail returns the language of an email to a user: their saved
// language, or when none is saved the language of the sign-in that caused
// the email.
func ForEmail(saved string, signIn language.Tag) language.Tag {
	if tag, ok := Parse(saved); ok {
		return tag
	}
	if tag, ok := Parse(signIn.String()); ok {
		return tag
	}
	return language.English
}

// Parse returns the supported language that the BCP 47 tag s names, such
// as German for "de" or "de-AT". It returns false for an empty, malformed
// or unsupported tag.
func Parse(s string) (language.Tag, bool) {
	if s == "" || len(s) > maxTag {
		return language.Und, false
	}
	tag, err := language.Parse(s)
	if err != nil {
		return language.Und, false
	}
	return match(tag)
}

// matchAcceptLanguage returns the supported language of the most
// preferred entry of an Accept-Language header that has one. Entries with
// q=0 are excluded and "*" matches nothing, so it leaves the choice to
// the fallback.
func matchAcceptLanguage(header string) (language.Tag, bool) {
	if header == "" || len(header) > maxAcceptLanguage {
		return language.Und, false
	}
	// ParseAcceptLanguage sorts the entries by q-value, keeping the header
	// order among equal values, and drops those with q=0.
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return language.Und, false
	}
	for i, tag := range tags {
		if i == maxAcceptEntries {
			break
		}
		if t, ok := match(tag); ok {
			return t, true
		}
	}
	return language.Und, false
}

// match returns the supported language that tag requests, if any. A
// regional or script variant matches its language with high confidence; a
// related but different language, such as Catalan for Spanish, does not.
func match(tag language.Tag) (language.Tag, bool) {
	_, i, conf := matcher.Match(tag)
	if conf < language.High {
		return language.Und, false
	}
	return Supported[i], true
}

// IsSupported reports whether tag is exactly one of Supported.
func IsSupported(tag language.Tag) bool {
	for _, t := range Supported {
		if t == tag {
			return true
		}
	}
	return false
}
