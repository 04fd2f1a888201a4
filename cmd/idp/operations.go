package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hotelsoft/idp/idp"
)

// Defaults of the operations settings, used when a setting is empty.
const (
	defaultSigningAlg      = "RS256"
	defaultKeyRotation     = 30 * 24 * time.Hour
	defaultKeyPublishAhead = 24 * time.Hour
	defaultPurgeInterval   = 10 * time.Minute
)

// opsSettings are the parsed operations settings.
type opsSettings struct {
	signingAlg      string
	keyRotation     time.Duration // 0: no automatic rotation
	keyPublishAhead time.Duration
	purgeInterval   time.Duration // 0: no purging
}

// validateOperations parses the TLS, signing key and purge settings into
// c.ops and returns every problem found.
func (c *config) validateOperations() []error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	c.ops.signingAlg = c.SigningAlg
	switch c.ops.signingAlg {
	case "":
		c.ops.signingAlg = defaultSigningAlg
	case "RS256", "ES256":
	default:
		errs = append(errs, fmt.Errorf("--signing-alg %q: want RS256 or ES256", c.SigningAlg))
	}

	var err error
	if c.ops.keyRotation, err = parseDuration("--key-rotation", c.KeyRotation, defaultKeyRotation); err != nil {
		errs = append(errs, err)
	}
	if c.ops.keyPublishAhead, err = parseDuration("--key-publish-ahead", c.KeyPublishAhead, defaultKeyPublishAhead); err != nil {
		errs = append(errs, err)
	}
	if c.ops.purgeInterval, err = parseDuration("--purge-interval", c.PurgeInterval, defaultPurgeInterval); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := c.keyPolicy().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--key-rotation and --key-publish-ahead: %w", err))
		}
	}
	return errs
}

// parseDuration parses a non-negative duration setting; empty means def.
func parseDuration(flagName, raw string, def time.Duration) (time.Duration, error) {
	if raw == "" {
		return def, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: want a duration such as 90s, 10m or 720h", flagName, raw)
	}
	return d, nil
}

// tlsConfig loads the certificate and key when TLS is configured, and
// returns nil for plain HTTP.
func (c *config) tlsConfig() (*tls.Config, error) {
	if c.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert and --tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// every runs task at once and then every interval, each time after a
// random delay of up to a tenth of the interval, so the nodes of a cluster
// spread their runs. It returns when ctx ends. A zero interval runs
// nothing.
func every(ctx context.Context, interval time.Duration, task func(context.Context)) {
	if interval <= 0 {
		return
	}
	for {
		task(ctx)
		jitter := time.Duration(rand.Int64N(int64(interval/10) + 1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval + jitter):
		}
	}
}

// purgeOnce deletes expired rows. Every node purges; the deletes are
// idempotent, so overlapping runs only repeat work.
func (a *app) purgeOnce(ctx context.Context) {
	start := time.Now()
	if err := a.store.Purge(ctx, a.clock()); err != nil {
		if ctx.Err() == nil {
			a.logger.ErrorContext(ctx, "purge expired rows", "err", err)
		}
		return
	}
	a.logger.DebugContext(ctx, "purged expired rows", "duration", time.Since(start))
}

// clock returns the configured time.
func (a *app) clock() time.Time {
	if a.cfg.now != nil {
		return a.cfg.now()
	}
	return time.Now()
}

// runBackground starts the periodic tasks of a serving node and returns a
// function that stops them and waits for them to finish.
func (a *app) runBackground(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done, keysDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		every(ctx, a.cfg.ops.purgeInterval, a.purgeOnce)
	}()
	go func() {
		defer close(keysDone)
		every(ctx, keyCheckInterval(a.cfg.ops.keyRotation), a.maintainKeys)
	}()
	return func() {
		cancel()
		<-done
		<-keysDone
	}
}

// keyCheckInterval is how often a node checks whether the next signing
// key is due: a twentieth of the rotation period, between 1 s and 1 min.
func keyCheckInterval(rotation time.Duration) time.Duration {
	if rotation <= 0 {
		return 0
	}
	return min(max(rotation/20, time.Second), time.Minute)
}

// maintainKeys publishes the next signing key when it is due.
func (a *app) maintainKeys(ctx context.Context) {
	k, err := idp.MaintainSigningKeys(ctx, a.store, a.keys, a.cfg.keyPolicy(), a.clock())
	if err != nil {
		if ctx.Err() == nil {
			a.logger.ErrorContext(ctx, "rotate signing keys", "err", err)
		}
		return
	}
	if k != nil {
		a.logger.InfoContext(ctx, "published the next signing key", "key_id", k.ID, "alg", k.Algorithm,
			"active_from", k.ActiveFrom.UTC().Format(time.RFC3339))
	}
}

// logInsecureSettings warns once at start-up for every setting that is
// unsafe in production.
func logInsecureSettings(logger *slog.Logger, cfg *config, tlsOn bool) {
	if isLoopbackIssuer(cfg.Issuer) {
		logger.Warn("the issuer uses plain http; this is safe only for local development")
	}
	if cfg.SMTPURL == "" {
		logger.Warn("no --smtp-url: emails are written to files instead of being sent")
	}
	if cfg.keyFileDefaulted {
		logger.Warn("--secret-key-file is not set: the master key is read from the default file under ./data; back it up and give every node the same file")
	}
	if !tlsOn && !isLoopbackIssuer(cfg.Issuer) && cfg.TrustedProxies == "" {
		logger.Warn("serving plain HTTP under an https issuer without --trusted-proxies: terminate TLS in a proxy and list its address, or set --tls-cert and --tls-key")
	}
	if cfg.LogLevel == "debug" {
		logger.Warn("debug logging is on; it logs every request")
	}
	if cfg.ops.keyRotation == 0 {
		logger.Warn("automatic signing key rotation is off (--key-rotation 0)")
	}
	if cfg.ops.purgeInterval == 0 {
		logger.Warn("purging of expired rows is off (--purge-interval 0)")
	}
}
