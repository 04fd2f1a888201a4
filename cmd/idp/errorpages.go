package main

import (
	"net/http"
	"strings"

	"github.com/hotelsoft/idp/login"
)

// authorizeErrorPages renders the provider library's plain-text error
// responses at /authorize (an unknown client_id, an unregistered
// redirect_uri, a malformed request) as the hosted error page, in the
// browser's language, with the pages' security headers. Redirects to the
// relying party and every other response pass through unchanged.
func authorizeErrorPages(pages *login.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &errorCatcher{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.caught {
			pages.Fail(w, r, http.StatusBadRequest, "ErrorBadRequest")
		}
	})
}

// errorCatcher discards a 400 plain-text response so that a page can replace it.
type errorCatcher struct {
	http.ResponseWriter
	caught, wrote bool
}

func (c *errorCatcher) WriteHeader(code int) {
	if !c.wrote && code == http.StatusBadRequest && !strings.Contains(c.Header().Get("Content-Type"), "json") {
		c.caught = true
		c.wrote = true
		return
	}
	c.wrote = true
	c.ResponseWriter.WriteHeader(code)
}

func (c *errorCatcher) Write(b []byte) (int, error) {
	if c.caught {
		return len(b), nil
	}
	c.wrote = true
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *errorCatcher) Unwrap() http.ResponseWriter { return c.ResponseWriter }
