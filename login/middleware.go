package login

import (
	"errors"
	"io/fs"
	"net/http"
	"strings"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/templates"
)

// maxBodyBytes caps a form body. The largest legitimate form, the
// invitation with two passwords of password.MaxBytes, stays far below it.
const maxBodyBytes = 64 << 10

// contentSecurityPolicy allows the stylesheet, images and scripts from this
// origin, data: images (the QR code), and requests from scripts to this
// origin (the security-key script's JSON endpoints), and nothing else: no
// inline script or style, no third-party script, no framing. It sets no
// form-action, because browsers apply that to the redirects after a form,
// and the sign-in forms end in a redirect to the relying party.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
	"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// setSecurityHeaders sets the headers that every response of the pages
// carries.
func (h *Handler) setSecurityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	if h.secure {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// page wraps a page handler with the browser-safety rules. Every response
// gets the security headers, and a GET without a browser ID cookie gets a
// new one. A GET with the language switcher's parameter stores the choice
// and reloads the page without it. A POST has its form capped and parsed, is rejected when
// cross-site, and must carry the browser's CSRF token. A POST that fails a
// check changes nothing.
func (h *Handler) page(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		browserID := h.readCookie(r, h.browserKey)

		if r.Method == http.MethodPost {
			if !h.checkPost(w, r, browserID) {
				return
			}
		} else if browserID == "" {
			browserID = secret.Token()
			h.setCookie(w, h.browserKey, browserID, h.now().Add(browserLifetime))
		}
		if h.switchLanguage(w, r) {
			return
		}
		next(w, r.WithContext(withBrowser(r.Context(), browserID)))
	})
}

// checkPost parses the form of a POST and checks it came from a page of
// this browser. It writes an error page and returns false otherwise.
func (h *Handler) checkPost(w http.ResponseWriter, r *http.Request, browserID string) bool {
	// Fetch metadata marks a cross-site form. Browsers that do not send it
	// are still stopped by the CSRF token below.
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		h.logger.WarnContext(r.Context(), "cross-site form rejected", "path", r.URL.Path, "ip", h.clientAddr(r))
		h.fail(w, r, http.StatusForbidden, msgErrorCSRF)
		return false
	}

	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, msgErrorTooLarge)
			return false
		}
		h.fail(w, r, http.StatusBadRequest, msgErrorBadRequest)
		return false
	}

	token := r.PostForm.Get("csrf_token")
	if browserID == "" || token == "" || !secret.Equal(token, h.csrfToken(browserID)) {
		h.logger.WarnContext(r.Context(), "form with a missing or wrong CSRF token rejected", "path", r.URL.Path, "ip", h.clientAddr(r))
		h.fail(w, r, http.StatusForbidden, msgErrorCSRF)
		return false
	}
	return true
}

// static serves the embedded stylesheet. It may be cached for an hour:
// it holds nothing personal.
func (h *Handler) static() http.Handler {
	files := http.FileServerFS(mustSub(templates.Static, "static"))
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			// No directory listings.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant that the embed directive names
	}
	return sub
}
