package login

import (
	"context"
	"net/http"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// The methods in this file let sub-packages such as the admin console
// serve pages with the same browser-safety rules, sessions, layout and
// throttling as the hosted sign-in.

// Page wraps fn with the rules of every hosted page: security headers,
// the browser ID cookie, and for a POST a capped, parsed form that must
// carry the browser's CSRF token and not be cross-site.
func (h *Handler) Page(fn http.HandlerFunc) http.Handler { return h.page(fn) }

// CurrentSession returns the live session of the browser, or ok=false.
func (h *Handler) CurrentSession(r *http.Request) (s store.Session, ok bool, err error) {
	return h.currentSession(r)
}

// UpdateSession writes s, keeping the browser's session cookie.
func (h *Handler) UpdateSession(ctx context.Context, s store.Session) error {
	return h.store.UpdateSession(ctx, s)
}

// View is a page to render with the shared layout. Page names a template
// under templates/pages; Alert is the message ID of an error shown above
// the content, with AlertData filling its placeholders.
type View struct {
	Page      string
	Status    int // zero means 200
	Alert     string
	AlertData map[string]any
	Locales   []string // preferred languages ahead of Accept-Language
	// Saved is the saved language of the signed-in user. It ranks below
	// Locales and the language picked with the switcher, above
	// Accept-Language, as on every hosted page.
	Saved string
	Data  any
}

// Render writes v as an HTML page in the language of the request. The
// layout's CSRF field holds the browser's token.
func (h *Handler) Render(w http.ResponseWriter, r *http.Request, v View) {
	h.render(w, r, view{page: v.Page, status: v.Status, alert: v.Alert, alertData: v.AlertData, uiLocales: v.Locales, userLocale: v.Saved, data: v.Data})
}

// Localizer returns the localizer of the language Render would choose
// for r, with saved as the signed-in user's saved language.
func (h *Handler) Localizer(r *http.Request, saved string) *i18n.Localizer {
	return h.catalogue.Localizer(h.pageLanguage(r, nil, saved))
}

// Fail renders the error page with a message ID.
func (h *Handler) Fail(w http.ResponseWriter, r *http.Request, status int, messageID string) {
	h.fail(w, r, status, messageID)
}

// ServerError logs err and renders the generic error page.
func (h *Handler) ServerError(w http.ResponseWriter, r *http.Request, op string, err error) {
	h.serverError(w, r, op, err)
}

// ClientAddr returns the client address of r, honouring trusted proxies.
func (h *Handler) ClientAddr(r *http.Request) string { return h.clientAddr(r) }

// ErrThrottled reports a password check refused because of too many
// failed attempts.
var ErrThrottled = throttle.ErrThrottled

// ConfirmPassword checks the password of a signed-in user who confirms a
// sensitive action, with the same throttling as the sign-in's password
// step. It returns ErrThrottled while the account or address waits.
func (h *Handler) ConfirmPassword(ctx context.Context, r *http.Request, user store.User, pw string) (bool, error) {
	if pw == "" || len(pw) > password.MaxBytes {
		return false, nil
	}
	attempt, err := h.limiter.Begin(ctx, throttle.StepPassword, user.EmailKey, h.clientAddr(r))
	if err != nil {
		return false, err
	}
	ok, _, err := h.passwords.Verify(ctx, user.PasswordHash, pw)
	if err != nil {
		return false, err
	}
	if ok {
		h.forgive(ctx, attempt, user.ID)
	}
	return ok, nil
}

// Messages of the shared error page that sub-packages use.
const (
	MsgErrorCSRF       = msgErrorCSRF
	MsgErrorBadRequest = msgErrorBadRequest
	MsgErrorServer     = msgErrorServer
)
