package login

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/store"
)

// languageParam is the query parameter of the language switcher's links:
// any hosted page opened with ?lang=de stores German as the browser's
// choice and reloads without the parameter.
const languageParam = "lang"

// languageCookie returns the name of the cookie that keeps the language
// picked with the switcher, with the __Host- prefix over https like the
// other cookies.
func (h *Handler) languageCookie() string {
	if h.secure {
		return "__Host-lang"
	}
	return "lang"
}

// switchLanguage handles the switcher's ?lang= parameter on a GET: it
// stores a supported language in the cookie, ignores any other value, and
// redirects to the same path and query without the parameter, so the auth
// request id and every other parameter stay as they were. It returns false
// and writes nothing when the request has no such parameter.
func (h *Handler) switchLanguage(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	query := r.URL.Query()
	if !query.Has(languageParam) {
		return false
	}
	if tag, ok := i18n.Parse(query.Get(languageParam)); ok {
		h.rememberLanguage(w, tag, query.Get("id"))
	}
	query.Del(languageParam)
	http.Redirect(w, r, localURL(r.URL.Path, query), http.StatusSeeOther)
	return true
}

// rememberLanguage stores tag as the language the browser picked, on a
// page of the auth request authRequestID or, when it is empty, for every
// page. A page where the user saves a language for the account should
// call it too, because the picked language comes before the saved one.
func (h *Handler) rememberLanguage(w http.ResponseWriter, tag language.Tag, authRequestID string) {
	h.setCookie(w, h.languageCookie(), pickedValue(tag, authRequestID), h.now().Add(browserLifetime))
}

// localURL returns path with query as a URL of this host. A path that a
// browser would read as another host ("//evil.example") becomes "/".
func localURL(path string, query url.Values) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
		path = "/"
	}
	u := url.URL{Path: path, RawQuery: query.Encode()}
	return u.String()
}

// pageLanguage negotiates the language of a page: the auth request's
// ui_locales, then the language picked with the switcher, then
// userLocale, then the signed-in user's saved language, then
// Accept-Language, then English. One exception puts the picked language
// first: a pick made on a page of this same auth request, because a user
// who chose a language while signing in must see it even when the relying
// party asked for another. The saved language is looked up only when the
// stronger signals decide nothing and userLocale is empty.
func (h *Handler) pageLanguage(r *http.Request, uiLocales []string, userLocale string) language.Tag {
	picked, pickedFor := parsePicked(h.readCookie(r, h.languageCookie()))
	if id := r.URL.Query().Get("id"); picked != "" && id != "" && pickedFor == id {
		uiLocales = nil
	}
	p := i18n.Preferences{
		UILocales:      uiLocales,
		Picked:         picked,
		Saved:          userLocale,
		AcceptLanguage: r.Header.Get("Accept-Language"),
	}
	if _, decided := p.Explicit(); !decided && p.Saved == "" {
		p.Saved = h.sessionLocale(r)
	}
	return i18n.Negotiate(p)
}

// pickedValue returns the language cookie's value for a pick of tag on a
// page of the auth request authRequestID, which may be empty.
func pickedValue(tag language.Tag, authRequestID string) string {
	if authRequestID == "" || len(authRequestID) > maxIDLength {
		return tag.String()
	}
	return tag.String() + " " + authRequestID
}

// parsePicked splits the language cookie's value into the picked language
// and the auth request it was picked on, if any.
func parsePicked(value string) (lang, authRequestID string) {
	lang, authRequestID, _ = strings.Cut(value, " ")
	return lang, authRequestID
}

// sessionLocale returns the saved language of the user of the browser's
// session, or "" without a session. A failed lookup only costs the user
// their saved language on this page, so it is logged and not returned.
func (h *Handler) sessionLocale(r *http.Request) string {
	s, ok, err := h.currentSession(r)
	if err != nil || !ok {
		if err != nil {
			h.logger.WarnContext(r.Context(), "load session for the page language", "err", err)
		}
		return ""
	}
	user, err := h.store.UserByID(r.Context(), s.UserID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.logger.WarnContext(r.Context(), "load user for the page language", "user_id", s.UserID, "err", err)
		}
		return ""
	}
	return user.Locale
}

// languageLink is one entry of the language switcher.
type languageLink struct {
	Tag     string // BCP 47 tag, for the lang and hreflang attributes
	Name    string // the language's name in itself, such as "Deutsch"
	URL     string // the current page with ?lang=Tag
	Current bool
}

// msgLanguageName is the name of each catalogue's language in itself.
const msgLanguageName = "LanguageName"

// languageLinks returns the switcher entries for the page of r shown in
// current. Each link keeps the page's path and query, the auth request id
// included.
func (h *Handler) languageLinks(r *http.Request, current language.Tag) []languageLink {
	links := make([]languageLink, 0, len(i18n.Supported))
	for _, tag := range i18n.Supported {
		name, err := h.catalogue.Localizer(tag).Translate(msgLanguageName, nil)
		if err != nil {
			h.logger.ErrorContext(r.Context(), "translate language name", "lang", tag.String(), "err", err)
		}
		query := r.URL.Query()
		query.Set(languageParam, tag.String())
		links = append(links, languageLink{
			Tag:     tag.String(),
			Name:    name,
			URL:     localURL(r.URL.Path, query),
			Current: tag == current,
		})
	}
	return links
}

// offersSwitcher reports whether the page v, rendered for r, shows the
// language switcher. Its links reload the page's URL with a GET, so a
// page that answers a successful form shows none: a reload would not show
// it again but the form, or an error once the form's link was used (the
// recovery codes, an accepted invitation). A form shown again with an
// alert does show the switcher.
func offersSwitcher(r *http.Request, v view) bool {
	if r.Method != http.MethodPost {
		return true
	}
	return v.alert != "" || v.status >= http.StatusBadRequest
}
