package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/metrics"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// app is the assembled server: store, provider and hosted pages.
type app struct {
	cfg      *config
	logger   *slog.Logger
	store    *sqlstore.Store
	keys     *secret.Keys
	provider *idp.Provider
	metrics  *metrics.Metrics
	handler  http.Handler
	mail     *mail.Composer
	sender   *mail.Sender
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg *config, logger *slog.Logger) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return nil, err // the error starts with "open database"
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return st, nil
}

// loadKeys reads the master key, creating it on first start when no key
// file was configured.
func loadKeys(cfg *config, logger *slog.Logger) (*secret.Keys, error) {
	master, created, err := secret.LoadOrCreateMasterKey(cfg.SecretKeyFile, cfg.keyFileDefaulted)
	if err != nil {
		return nil, err
	}
	if created {
		logger.Warn("generated a new master key; back it up, and give every node the same key with --secret-key-file",
			"path", cfg.SecretKeyFile)
	}
	return secret.NewKeys(master)
}

// newApp opens the store and builds the HTTP handler. The caller closes
// a.store.
func newApp(ctx context.Context, cfg *config, logger *slog.Logger) (*app, error) {
	keys, err := loadKeys(cfg, logger)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, store: st, keys: keys}
	if err := a.setupMail(); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.buildHandler(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) buildHandler(ctx context.Context) error {
	provider, err := idp.New(ctx, idp.Config{
		Issuer: a.cfg.Issuer,
		Store:  a.store,
		Keys:   a.keys,
		Logger: a.logger,
		Now:    a.cfg.now,
		// Fills ui_locales_supported in discovery.
		SupportedLocales: i18n.Supported,
		SigningKeys:      a.cfg.keyPolicy(),
	})
	if err != nil {
		return fmt.Errorf("start provider: %w", err)
	}
	a.metrics = a.newMetrics()
	proxies, _ := a.cfg.trustedProxies() // validated before
	idleLock, _ := a.cfg.idleLock()      // validated before
	pages, err := login.New(login.Config{
		Issuer:         a.cfg.Issuer,
		Store:          metrics.AuditStore(a.store, a.metrics),
		Keys:           a.keys,
		Provider:       provider,
		Logger:         a.logger,
		Now:            a.cfg.now,
		ProductName:    a.cfg.ProductName,
		TrustedProxies: proxies,
		Mail:           a.mail,
		MailQueued:     a.sender.Wake,
		IdleLock:       idleLock,
		Brand:          a.cfg.brand,
	})
	if err != nil {
		return fmt.Errorf("start hosted pages: %w", err)
	}

	r := mux.NewRouter()
	r.Path("/healthz").HandlerFunc(healthy)
	r.Path("/readyz").HandlerFunc(a.ready)
	r.Path("/metrics").Handler(a.metrics.Handler())
	pages.Register(r)
	if err := a.registerAdmin(r, pages, provider); err != nil {
		return fmt.Errorf("start admin console: %w", err)
	}
	op := provider.Handler()
	r.Path("/authorize/callback").Handler(pages.GuardCallback(op))
	r.Path("/authorize").Handler(authorizeErrorPages(pages, op))
	r.PathPrefix("/").Handler(op)

	a.provider = provider
	a.handler = securityHeaders(a.cfg.Issuer, withRequestID(a.metrics.Middleware(routeLabel(r), accessLog(a.logger, provider.IssuerInterceptor(r)))))
	return nil
}

// ready responds with 200 when the database is reachable and every migration
// this binary knows is applied, so a load balancer sends no traffic to a
// node whose schema is behind.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.logger.WarnContext(ctx, "readiness check failed", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	pending, err := a.store.PendingMigrations(ctx)
	if err != nil || pending > 0 {
		a.logger.WarnContext(ctx, "readiness check failed", "pending_migrations", pending, "err", err)
		http.Error(w, "database migrations pending", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// accessLog logs one line per request. It logs the path without the query
// string, because queries carry codes, tokens and auth request IDs.
func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start))
	})
}

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
