package idp

import (
	"errors"
	"net/http"

	"github.com/rs/cors"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Paths of the library's endpoints; the provider keeps the defaults.
var (
	pathToken               = op.DefaultEndpoints.Token.Relative()
	pathIntrospection       = op.DefaultEndpoints.Introspection.Relative()
	pathRevocation          = op.DefaultEndpoints.Revocation.Relative()
	pathUserinfo            = op.DefaultEndpoints.Userinfo.Relative()
	pathEndSession          = op.DefaultEndpoints.EndSession.Relative()
	pathKeys                = op.DefaultEndpoints.JwksURI.Relative()
	pathDeviceAuthorization = op.DefaultEndpoints.DeviceAuthorization.Relative()
)

// maxFormBytes bounds a request body on the provider's endpoints; every
// legitimate form is a few kilobytes.
const maxFormBytes = 64 << 10

// interceptors returns the provider's patches to the library's handlers,
// outermost first. They run inside the library's router, after CORS and
// after the issuer is put into the context.
func (p *Provider) interceptors() []op.HttpInterceptor {
	return []op.HttpInterceptor{
		p.parseForm,
		p.captureClaims,
		p.blockUnsupported,
		p.rejectQueryAccessToken,
		p.noStore,
		p.guardTokenEndpoints,
		p.guardCodeExchange,
		p.serveDiscovery,
		p.rewriteUserinfoErrors,
	}
}

// parseForm reads the form once with a size limit and responds 400 or 413
// to a malformed or oversized one. Without it the library would respond 500
// to some of these (at end_session) and parse an unbounded body.
func (p *Provider) parseForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			writeOIDCError(w, oidc.ErrInvalidRequest().WithDescription("The request body is malformed or too large."), status)
			return
		}
		if r.URL.Path == pathEndSession {
			if err := p.op.Decoder().Decode(new(oidc.EndSessionRequest), r.Form); err != nil {
				writeOIDCError(w, oidc.ErrInvalidRequest().WithDescription("The logout request is malformed."), http.StatusBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// blockUnsupported responds 404 at the library's device authorization
// endpoint, which this provider does not offer.
func (p *Provider) blockUnsupported(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathDeviceAuthorization {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// noStore marks responses that carry tokens or personal data as
// uncacheable (RFC 6749, section 5.1); the library sets no such header.
func (p *Provider) noStore(next http.Handler) http.Handler {
	paths := map[string]bool{
		pathToken:         true,
		pathIntrospection: true,
		pathRevocation:    true,
		pathUserinfo:      true,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if paths[r.URL.Path] {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Pragma", "no-cache")
		}
		next.ServeHTTP(w, r)
	})
}

// guardTokenEndpoints accepts only POST at the token, introspection and
// revocation endpoints, so that credentials never travel in a URL, and only
// the authorization_code, refresh_token and client_credentials grants, so
// that the jwt-bearer grant the library always serves stays off.
func (p *Provider) guardTokenEndpoints(next http.Handler) http.Handler {
	token := pathToken
	postOnly := map[string]bool{
		token:             true,
		pathIntrospection: true,
		pathRevocation:    true,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !postOnly[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeOIDCError(w, oidc.ErrInvalidRequest().WithDescription("Use POST."), http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == token {
			switch r.Form.Get("grant_type") { // the library reads the query too
			case "", string(oidc.GrantTypeCode), string(oidc.GrantTypeRefreshToken), string(oidc.GrantTypeClientCredentials):
			default:
				writeOIDCError(w, oidc.ErrUnsupportedGrantType().WithDescription("Only authorization_code, refresh_token and client_credentials are supported."), http.StatusBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// rewriteUserinfoErrors turns the library's 403 for a rejected access token
// into the 401 with WWW-Authenticate that RFC 6750, section 3.1 requires,
// and adds the header to the library's own 401s. A request without any
// token gets the challenge without an error code, as section 3.1 requires.
func (p *Provider) rewriteUserinfoErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pathUserinfo {
			next.ServeHTTP(w, r)
			return
		}
		challenge := `Bearer error="invalid_token"`
		if r.Header.Get("Authorization") == "" && r.Form.Get("access_token") == "" {
			challenge = "Bearer"
		}
		next.ServeHTTP(&bearerErrorWriter{ResponseWriter: w, challenge: challenge}, r)
	})
}

// bearerErrorWriter rewrites a 403 or 401 status into a 401 with a
// WWW-Authenticate challenge.
type bearerErrorWriter struct {
	http.ResponseWriter
	challenge string
}

func (w *bearerErrorWriter) WriteHeader(status int) {
	if status == http.StatusForbidden || status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", w.challenge)
		status = http.StatusUnauthorized
	}
	w.ResponseWriter.WriteHeader(status)
}

func writeOIDCError(w http.ResponseWriter, e *oidc.Error, status int) {
	httphelper.MarshalJSONWithStatus(w, e, status)
}

// corsOptions allows cross-origin calls from browser apps to the endpoints
// they need (token, userinfo, keys, discovery), from any origin but without
// credentials: these endpoints authenticate with tokens and PKCE, never
// with cookies. The library's default allows every endpoint with
// credentials.
func corsOptions() *cors.Options {
	allowed := map[string]bool{
		pathToken:              true,
		pathUserinfo:           true,
		pathKeys:               true,
		oidc.DiscoveryEndpoint: true,
	}
	return &cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, _ string) (bool, []string) {
			return allowed[r.URL.Path], nil
		},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept"},
		AllowCredentials: false,
		MaxAge:           600,
	}
}
