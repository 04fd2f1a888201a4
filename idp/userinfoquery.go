package idp

import (
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// rejectQueryAccessToken responds 400 invalid_request to a userinfo request
// that carries its access token in the URL query. URLs end up in logs,
// browser history and Referer headers, which is why RFC 6750, section 2.3
// advises against the query method; the Authorization header and the form
// body stay accepted.
func (p *Provider) rejectQueryAccessToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pathUserinfo || !r.URL.Query().Has("access_token") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
		writeOIDCError(w, oidc.ErrInvalidRequest().WithDescription(
			"Send the access token in the Authorization header or the form body, not in the URL."), http.StatusBadRequest)
	})
}
