package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hotelsoft/idp/login"
)

// config holds the global settings every subcommand accepts. Each flag is
// also read from an environment variable; a flag given on the command line
// wins.
type config struct {
	DatabaseURL    string
	Issuer         string
	Listen         string
	SMTPURL        string
	SecretKeyFile  string
	TrustedProxies string
	ProductName    string
	LogoFile       string
	AccentColor    string
	AdminEmail     string
	LogFormat      string
	LogLevel       string
	JSON           bool

	// Operations settings; see operations.go.
	TLSCert         string
	TLSKey          string
	SigningAlg      string
	KeyRotation     string
	KeyPublishAhead string
	PurgeInterval   string
	DebugListen     string
	ops             opsSettings

	// IdleLockMinutes locks sessions after that many minutes without
	// activity; "0" turns the idle lock off.
	IdleLockMinutes string

	// MailDir is where emails are written without --smtp-url.
	MailDir string
	// smtpTLS, when set, configures TLS to the SMTP server; tests set it
	// to trust their own certificate authority.
	smtpTLS *tls.Config
	// brand is the logo and accent colour, loaded by validate.
	brand login.Brand
	// mailPoll is how often the email sender polls the outbox; zero means
	// its default.
	mailPoll time.Duration

	// keyFileDefaulted is true when no key file was configured, so the
	// default under ./data is used and created on first start.
	keyFileDefaulted bool
	// now is the clock; nil means time.Now. Tests set it.
	now func() time.Time
}

const (
	defaultDatabaseURL = "sqlite://data/idp.db"
	defaultIssuer      = "http://localhost:8080"
	defaultListen      = "localhost:8080"
	defaultKeyFile     = "data/master.key"
	defaultMailDir     = "data/mail"
)

// globalFlag is one setting with its environment variable.
type globalFlag struct {
	name, env, usage, def string
	target                *string
}

func (c *config) globalFlags() []globalFlag {
	return []globalFlag{
		{"database-url", "IDP_DATABASE_URL", "database: postgres://... or sqlite://PATH", defaultDatabaseURL, &c.DatabaseURL},
		{"issuer", "IDP_ISSUER", "issuer URL relying parties see; https except on loopback hosts", defaultIssuer, &c.Issuer},
		{"listen", "IDP_LISTEN", "address the HTTP server listens on", defaultListen, &c.Listen},
		{"smtp-url", "IDP_SMTP_URL", "smtp://[user:password@]host:port?from=ADDRESS or smtps://...; unset: emails are written to files under ./data/mail", "", &c.SMTPURL},
		{"secret-key-file", "IDP_SECRET_KEY_FILE", "file holding the hex master key for cookies and encryption at rest; unset: ./data/master.key, generated on first start", "", &c.SecretKeyFile},
		{"trusted-proxies", "IDP_TRUSTED_PROXIES", "comma-separated addresses or CIDR prefixes of proxies whose X-Forwarded-For is trusted", "", &c.TrustedProxies},
		{"product-name", "IDP_PRODUCT_NAME", "product name shown on the pages and in authenticator apps", "Hotel ID", &c.ProductName},
		{"logo-file", "IDP_LOGO_FILE", "PNG, JPEG, GIF, WebP or SVG logo shown on the pages, at most 256 KiB, served at /static/logo", "", &c.LogoFile},
		{"accent-color", "IDP_ACCENT_COLOR", "accent colour #rrggbb of buttons and links; needs a contrast of 4.5:1 with white", "", &c.AccentColor},
		{"admin-email", "IDP_ADMIN_EMAIL", "email address of the first admin, invited when the database has no user", "admin@localhost", &c.AdminEmail},
		{"mail-dir", "IDP_MAIL_DIR", "folder that emails are written to as .eml files when --smtp-url is unset; unset: mail next to a SQLite database, else ./data/mail", "", &c.MailDir},
		{"log-format", "IDP_LOG_FORMAT", "log format: text or json", "text", &c.LogFormat},
		{"log-level", "IDP_LOG_LEVEL", "log level: debug, info, warn or error", "info", &c.LogLevel},
		{"tls-cert", "IDP_TLS_CERT", "PEM certificate chain file; with --tls-key the server speaks HTTPS itself", "", &c.TLSCert},
		{"tls-key", "IDP_TLS_KEY", "PEM private key file of --tls-cert", "", &c.TLSKey},
		{"signing-alg", "IDP_SIGNING_ALG", "algorithm of new token signing keys: RS256 or ES256", "RS256", &c.SigningAlg},
		{"key-rotation", "IDP_KEY_ROTATION", "how long a signing key signs before the next one takes over, such as 720h; 0 turns automatic rotation off", "720h", &c.KeyRotation},
		{"key-publish-ahead", "IDP_KEY_PUBLISH_AHEAD", "how long a new signing key is published in /keys before it signs; at least the time relying parties cache the key set", "24h", &c.KeyPublishAhead},
		{"idle-lock-minutes", "IDP_IDLE_LOCK_MINUTES", "lock a session after this many minutes without activity on the sign-in pages, for shared computers; 0 turns it off", "0", &c.IdleLockMinutes},
		{"debug-listen", "IDP_DEBUG_LISTEN", "loopback host:port that serves Go runtime profiles under /debug/pprof/; unset: off", "", &c.DebugListen},
		{"purge-interval", "IDP_PURGE_INTERVAL", "how often expired auth requests, sessions, codes, tokens and sent emails are deleted; 0 turns purging off", "10m", &c.PurgeInterval},
	}
}

// newFlagSet returns a flag set for a subcommand with the global flags
// registered on cfg. Defaults come from the environment when set there.
func newFlagSet(name string, cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, g := range cfg.globalFlags() {
		def := g.def
		if v, ok := os.LookupEnv(g.env); ok {
			def = v
		}
		fs.StringVar(g.target, g.name, def, g.usage+" (env "+g.env+")")
	}
	fs.BoolVar(&cfg.JSON, "json", false, "print the result as JSON")
	return fs
}

// validate checks every setting and reports all problems at once.
func (c *config) validate() error {
	var errs []error
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	if err := validateIssuer(c.Issuer); err != nil {
		errs = append(errs, err)
	}
	if err := validateListen(c.Listen); err != nil {
		errs = append(errs, err)
	}
	if err := validateDebugListen(c.DebugListen); err != nil {
		errs = append(errs, err)
	}
	if err := validateSMTPURL(c.SMTPURL); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	errs = append(errs, c.validateOperations()...)
	if _, err := c.idleLock(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.ProductName) == "" {
		errs = append(errs, errors.New("--product-name is empty"))
	}
	errs = append(errs, c.loadBrand()...)
	if c.SecretKeyFile == "" {
		c.SecretKeyFile = defaultKeyFile
		c.keyFileDefaulted = true
	}
	if err := validateKeyFile(c.SecretKeyFile); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validateDatabaseURL(raw string) error {
	switch {
	case strings.HasPrefix(raw, "sqlite://") && len(raw) > len("sqlite://"):
		return nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return fmt.Errorf("--database-url: invalid PostgreSQL URL: %w", err)
		}
		return nil
	}
	return fmt.Errorf("--database-url %q: want postgres://... or sqlite://PATH", redactURL(raw))
}

func validateIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("--issuer %q: want an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "/") {
		return fmt.Errorf("--issuer %q: must have no query, fragment or trailing slash", raw)
	}
	if u.Path != "" {
		return fmt.Errorf("--issuer %q: a path is not supported; serve the provider at the root of its host", raw)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("--issuer %q: http is allowed only on loopback hosts; use https", raw)
	}
	return nil
}

func validateSMTPURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return fmt.Errorf("--smtp-url %q: want smtp://[user:password@]host:port?from=ADDRESS, or the same with smtps", redactURL(raw))
	}
	if u.Query().Get("from") == "" {
		return fmt.Errorf("--smtp-url %q: the from parameter is missing", redactURL(raw))
	}
	return nil
}

// trustedProxies parses --trusted-proxies into prefixes.
func (c *config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// mailDestination describes where emails go, for the start-up log.
func (c *config) mailDestination() string {
	if c.SMTPURL == "" {
		abs, err := filepath.Abs(c.mailDir())
		if err != nil {
			return c.mailDir()
		}
		return "files under " + abs
	}
	return redactURL(c.SMTPURL)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// redactURL removes the password from a URL so it can be logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// newLogger builds the process logger from the settings.
func (c *config) newLogger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// idleLock parses --idle-lock-minutes: a whole number of minutes, zero or
// empty for off.
func (c *config) idleLock() (time.Duration, error) {
	raw := strings.TrimSpace(c.IdleLockMinutes)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > maxIdleLockMinutes {
		return 0, fmt.Errorf("--idle-lock-minutes %q: want a whole number of minutes from 0 (off) to %d", c.IdleLockMinutes, maxIdleLockMinutes)
	}
	return time.Duration(n) * time.Minute, nil
}

// maxIdleLockMinutes is a week; a longer idle lock would outlast every
// session anyway.
const maxIdleLockMinutes = 7 * 24 * 60
