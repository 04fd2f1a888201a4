package metrics

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// tokenPath is the provider's token endpoint, whose successful responses
// are counted by grant type.
const tokenPath = "/oauth/token"

// maxPeekBytes bounds how much of a token request body Middleware reads to
// find the grant type; the provider rejects larger forms anyway.
const maxPeekBytes = 64 << 10

// grantTypes are the grant_type values counted under their own name; any
// other value is counted as "other", so a client cannot create labels.
var grantTypes = map[string]bool{
	"authorization_code":                              true,
	"refresh_token":                                   true,
	"client_credentials":                              true,
	"urn:ietf:params:oauth:grant-type:jwt-bearer":     true,
	"urn:ietf:params:oauth:grant-type:token-exchange": true,
	"urn:ietf:params:oauth:grant-type:device_code":    true,
}

// Middleware observes the latency of every request under the label that
// route returns for it, and counts successful token responses by grant
// type. route must return one of a bounded set of names (a route
// template, never a raw path), because each name becomes a time series.
func (m *Metrics) Middleware(route func(*http.Request) string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		grant := ""
		if r.Method == http.MethodPost && r.URL.Path == tokenPath {
			grant = peekGrantType(r)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)

		code := strconv.Itoa(rec.status)
		m.duration.WithLabelValues(route(r), r.Method, code).Observe(time.Since(start).Seconds())
		if grant != "" && rec.status == http.StatusOK {
			m.tokens.WithLabelValues(grant).Inc()
		}
	})
}

// peekGrantType reads the grant_type of a form body and puts the bytes
// back, so the handler reads the body unchanged.
func peekGrantType(r *http.Request) string {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "other"
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxPeekBytes+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil || len(head) > maxPeekBytes {
		return "other"
	}
	form, err := url.ParseQuery(string(head))
	if err != nil {
		return "other"
	}
	if g := form.Get("grant_type"); grantTypes[g] {
		return g
	}
	return "other"
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
