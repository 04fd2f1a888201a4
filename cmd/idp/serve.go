package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("serve", cfg, stderr)
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	logger := slog.New(requestIDHandler{cfg.newLogger(stderr).Handler()})
	// The provider library logs through the default logger; give it ours,
	// so its lines have the configured format and request IDs too.
	slog.SetDefault(logger)

	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.store.Close()

	if err := bootstrapAdmin(ctx, a, stdout); err != nil {
		return err
	}
	stopSender := a.startSender(ctx)
	defer stopSender()
	stopLogouts := a.provider.StartBackchannelLogout(ctx, idp.BackchannelConfig{})
	defer stopLogouts()
	stopLapse := a.startLapse(ctx)
	defer stopLapse()
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	stopDebug, err := startDebug(ctx, logger, cfg.DebugListen)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopDebug()
	logStart(logger, a, ln.Addr().String(), tlsCfg != nil)
	stopBackground := a.runBackground(ctx)
	defer stopBackground()
	return serveUntilDone(ctx, logger, a.handler, ln)
}

func logStart(logger *slog.Logger, a *app, addr string, tlsOn bool) {
	keyIDs, err := a.provider.SigningKeyIDs(context.Background())
	if err != nil {
		logger.Warn("cannot list signing keys", "err", err)
	}
	logger.Info("identity provider started",
		"version", version,
		"issuer", a.cfg.Issuer,
		"listen", addr,
		"tls", tlsOn,
		"database", a.store.Dialect(),
		"database_url", redactURL(a.cfg.DatabaseURL),
		"mail", a.cfg.mailDestination(),
		"signing_keys", keyIDs,
		"signing_alg", a.cfg.ops.signingAlg,
		"key_rotation", a.cfg.ops.keyRotation.String(),
		"purge_interval", a.cfg.ops.purgeInterval.String())
	logInsecureSettings(logger, a.cfg, tlsOn)
}

func isLoopbackIssuer(issuer string) bool {
	return len(issuer) > 7 && issuer[:7] == "http://"
}

// serveUntilDone serves until ctx ends, then shuts down gracefully,
// letting requests in flight finish for up to 20 seconds.
func serveUntilDone(ctx context.Context, logger *slog.Logger, h http.Handler, ln net.Listener) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "reason", context.Cause(ctx))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// allGrants gives every permission for every property.
func allGrants() []store.Grant {
	var gs []store.Grant
	for _, p := range []store.Permission{store.PermManageUsers, store.PermReset2FA, store.PermManageClients, store.PermViewAudit} {
		gs = append(gs, store.Grant{Permission: p, PropertyID: store.AllProperties})
	}
	return gs
}

// bootstrapAdmin invites the first admin when the database has no user,
// and prints the one-time invitation link on stdout (never to the log).
// While that admin has not accepted, each start replaces the link, so a
// lost link is recovered by restarting.
func bootstrapAdmin(ctx context.Context, a *app, stdout io.Writer) error {
	n, err := a.store.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	var link string
	switch {
	case n == 0:
		_, link, err = login.InviteUser(ctx, a.store, a.cfg.Issuer, login.Invite{
			Email: a.cfg.AdminEmail, Name: "Administrator", Locale: "en", Grants: allGrants(),
		}, time.Now())
	case n == 1:
		link, err = reinviteWaitingAdmin(ctx, a)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		// Another node starting at the same time invited the admin first,
		// and printed the link.
		return nil
	}
	if err != nil {
		return fmt.Errorf("invite the first admin: %w", err)
	}
	if link != "" {
		fmt.Fprintf(stdout, "\nNo admin has signed in yet. Open this one-time link to set the password of the first admin (%s):\n\n    %s\n\n",
			a.cfg.AdminEmail, link)
	}
	return nil
}

// reinviteWaitingAdmin issues a fresh link when the only user is the
// first admin and has not accepted the invitation yet.
func reinviteWaitingAdmin(ctx context.Context, a *app) (string, error) {
	u, err := a.store.UserByEmailKey(ctx, store.NormalizeEmail(a.cfg.AdminEmail))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil || u.Status != store.UserInvited {
		return "", err
	}
	return login.ReissueInvitation(ctx, a.store, a.cfg.Issuer, u.ID, time.Now())
}
