package i18n

import (
	"golang.org/x/text/language"
)

// Supported lists the languages of the catalogue, English first. Dutch,
// French, German and Spanish join the list with their message files.
var Supported = []language.Tag{language.English}

// maxAcceptLanguage is the longest Accept-Language header that Match reads.
// Real browsers send well under 200 bytes; a longer header is ignored so that
// parsing it cannot be made expensive.
const maxAcceptLanguage = 4096

var matcher = language.NewMatcher(Supported)

// Match chooses the language of a page: the first of uiLocales (the
// ui_locales of an auth request, most preferred first) that Supported
// contains, else the best match for the Accept-Language header, else
// English. Malformed tags and headers over 4 KiB are skipped, and English
// is the fallback, so Match always returns a supported language.
func Match(uiLocales []string, acceptLanguage string) language.Tag {
	for _, s := range uiLocales {
		tag, err := language.Parse(s)
		if err != nil {
			continue
		}
		if t, ok := match(tag); ok {
			return t
		}
	}

	if len(acceptLanguage) <= maxAcceptLanguage {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil {
			for _, tag := range tags {
				if t, ok := match(tag); ok {
					return t
				}
			}
		}
	}
	return language.English
}

// match returns the supported language that tag requests, if any.
func match(tag language.Tag) (language.Tag, bool) {
	_, i, conf := matcher.Match(tag)
	if conf < language.High {
		return language.Und, false
	}
	return Supported[i], true
}

func isSupported(tag language.Tag) bool {
	for _, t := range Supported {
		if t == tag {
			return true
		}
	}
	return false
}
