package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp/metrics"
	"github.com/hotelsoft/idp/idp/secret"
)

// requestIDHeader carries the request ID in and out. An incoming value is
// kept when it is short and plain, so a load balancer's ID links its log
// to ours; otherwise a new one is made.
const requestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// withRequestID gives every request an ID, puts it into the request
// context, where the logger's handler finds it (see requestIDHandler), and
// returns it in the response header.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !plainID(id) {
			id = secret.ID()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// plainID reports whether id is 1 to 64 letters, digits, '-', '_' or '.',
// safe to copy into logs and headers.
func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// requestIDHandler adds request_id to every record logged with a request's
// context (InfoContext and the like), so handlers need not pass it.
type requestIDHandler struct {
	slog.Handler
}

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// oidcRoutes are the provider's own paths, which the router reaches
// through its catch-all route.
var oidcRoutes = map[string]bool{
	"/.well-known/openid-configuration": true,
	"/authorize":                        true,
	"/authorize/callback":               true,
	"/oauth/token":                      true,
	"/oauth/introspect":                 true,
	"/userinfo":                         true,
	"/revoke":                           true,
	"/end_session":                      true,
	"/keys":                             true,
	"/healthz":                          true,
	"/ready":                            true,
}

// routeLabel returns a function that names the route of a request for
// metrics: the router's path template (so IDs and tokens in paths never
// become labels), a provider path, or "other".
func routeLabel(r *mux.Router) func(*http.Request) string {
	return func(req *http.Request) string {
		var match mux.RouteMatch
		if r.Match(req, &match) && match.Route != nil {
			if tpl, err := match.Route.GetPathTemplate(); err == nil && tpl != "/" {
				return tpl
			}
		}
		if oidcRoutes[req.URL.Path] {
			return req.URL.Path
		}
		return "other"
	}
}

// healthy answers 200 while the process serves requests; unlike /readyz it
// does not touch the database, so a database outage does not get every
// node restarted.
func healthy(w http.ResponseWriter, _ *http.Request) {
	w.Write([]byte("ok\n"))
}

// newMetrics creates the process metrics with collectors for the
// database pool and the outbox.
func (a *app) newMetrics() *metrics.Metrics {
	m := metrics.New()
	m.RegisterPool(a.store.PoolStats)
	m.RegisterOutbox(a.store, a.logger)
	return m
}
