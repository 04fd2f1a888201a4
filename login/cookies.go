package login

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/hotelsoft/idp/idp/secret"
)

// browserLifetime is how long a browser keeps its random ID. Browsers cap
// cookie lifetimes at 400 days.
const browserLifetime = 400 * 24 * time.Hour

// newCookieCodec returns the codec that authenticates and encrypts every
// cookie of the pages, with keys derived from the master key.
func newCookieCodec(keys *secret.Keys) *securecookie.SecureCookie {
	c := securecookie.New(keys.Derive(secret.PurposeCookieHash), keys.Derive(secret.PurposeCookieBlock))
	c.MaxAge(int(browserLifetime / time.Second))
	return c
}

// cookieNames returns the names of the browser and session cookies. Over
// https they carry the __Host- prefix, which makes browsers refuse them
// unless Secure, host-only and on path /.
func cookieNames(secure bool) (browser, session string) {
	if secure {
		return "__Host-browser", "__Host-session"
	}
	return "browser", "session"
}

// readCookie decodes the cookie name, returning "" when it is missing or
// fails authentication.
func (h *Handler) readCookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	var value string
	if err := h.cookies.Decode(name, c.Value, &value); err != nil {
		return ""
	}
	return value
}

// setCookie writes the cookie name with value until expires; a zero
// expires deletes the cookie.
func (h *Handler) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	c := &http.Cookie{
		Name:     name,
		Path:     "/",
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if expires.IsZero() {
		c.MaxAge = -1
	} else {
		encoded, err := h.cookies.Encode(name, value)
		if err != nil {
			// securecookie fails to encode only on serializer or cipher
			// errors, which a string value and a fixed key do not cause.
			h.logger.Error("encode cookie", "cookie", name, "err", err)
			return
		}
		c.Value = encoded
		c.MaxAge = max(1, int(expires.Sub(h.now())/time.Second))
	}
	http.SetCookie(w, c)
}

type browserKey struct{}

// withBrowser returns ctx carrying the browser ID.
func withBrowser(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, browserKey{}, id)
}

// browserFrom returns the browser ID that the page middleware stored, or
// "" outside it.
func browserFrom(ctx context.Context) string {
	id, _ := ctx.Value(browserKey{}).(string)
	return id
}

// browserHash returns the value stored to bind an auth request to a
// browser: the hash of the browser's random ID, never the ID itself.
func browserHash(browserID string) string {
	return secret.Hash(browserID)
}

// csrfToken returns the CSRF token of a browser. It is a MAC of the
// browser ID, so it needs no storage and a form from one browser fails in
// every other.
func (h *Handler) csrfToken(browserID string) string {
	return h.keys.MAC(secret.PurposeCSRF, browserID)
}
