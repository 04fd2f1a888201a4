package main

import (
	"net/http"
	"strings"
)

// defaultCSP is the Content Security Policy of responses that set none of
// their own: the library's error pages and JSON. They load nothing and may
// not be framed.
const defaultCSP = "default-src 'none'; frame-ancestors 'none'"

// securityHeaders gives every response the headers that the hosted pages
// set for themselves, so that the library's responses (errors at
// /authorize, /end_session and the token endpoint) carry them too. It sets
// them before calling next, and the pages replace the Content Security
// Policy with their own by Header().Set. HSTS is sent on an https issuer.
func securityHeaders(issuer string, next http.Handler) http.Handler {
	https := strings.HasPrefix(issuer, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", defaultCSP)
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
