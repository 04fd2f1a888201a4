package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// Default lifetimes, used where Config leaves a lifetime zero.
const (
	DefaultAccessTokenLifetime  = 15 * time.Minute
	DefaultIDTokenLifetime      = time.Hour
	DefaultRefreshTokenLifetime = 30 * 24 * time.Hour
	DefaultAuthRequestLifetime  = 30 * time.Minute
	DefaultCodeLifetime         = 60 * time.Second
)

// cryptoKeyID names the key that encrypts authorization codes and opaque
// access tokens, so that a future key can be distinguished during rotation.
const cryptoKeyID = "oidc-1"

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's URL, for example "https://id.example.com",
	// without a path or trailing slash. http is allowed only for a loopback
	// host (localhost, 127.0.0.1, [::1]).
	Issuer string
	Store  store.Store
	Keys   *secret.Keys
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Lifetimes; zero means the Default... constant of the same name. The
	// refresh-token lifetime is absolute: rotation does not extend it.
	AccessTokenLifetime  time.Duration
	IDTokenLifetime      time.Duration
	RefreshTokenLifetime time.Duration
	AuthRequestLifetime  time.Duration
	CodeLifetime         time.Duration

	// SupportedLocales fills ui_locales_supported; nil means English only.
	SupportedLocales []language.Tag

	// SigningKeys is the algorithm of new signing keys and their rotation
	// schedule; the zero value means RS256. New uses only the algorithm:
	// the caller runs MaintainSigningKeys periodically for rotation.
	SigningKeys KeyPolicy
}

// Provider is the OpenID Provider: the library's handlers with this
// package's storage and patches.
type Provider struct {
	op      *op.Provider
	storage *storage
	issuer  string
	keys    *secret.Keys
	log     *slog.Logger
	now     func() time.Time
}

// New builds a Provider. It creates a signing key of
// cfg.SigningKeys.Algorithm when the store has no key that signs now.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	insecure, err := checkIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if cfg.Store == nil || cfg.Keys == nil {
		return nil, errors.New("idp: Config.Store and Config.Keys are required")
	}
	cfg = withDefaults(cfg)

	s := &storage{
		st:                   cfg.Store,
		keys:                 cfg.Keys,
		log:                  cfg.Logger,
		now:                  cfg.Now,
		issuer:               cfg.Issuer,
		accessTokenLifetime:  cfg.AccessTokenLifetime,
		idTokenLifetime:      cfg.IDTokenLifetime,
		refreshTokenLifetime: cfg.RefreshTokenLifetime,
		authRequestLifetime:  cfg.AuthRequestLifetime,
		codeLifetime:         cfg.CodeLifetime,
		clients:              newTTLCache[string, store.Client](cacheTTL),
		ring:                 &keyRingCache{st: cfg.Store, sealer: cfg.Keys.Sealer(), now: cfg.Now},
	}
	if err := ensureSigningKey(ctx, s, cfg); err != nil {
		return nil, err
	}

	p := &Provider{storage: s, issuer: cfg.Issuer, keys: cfg.Keys, log: cfg.Logger, now: cfg.Now}
	opCfg := opConfig(cfg)
	opts := []op.Option{
		op.WithHttpInterceptors(p.interceptors()...),
		op.WithCORSOptions(corsOptions()),
		// AES-GCM only: the library's default also tries its legacy
		// AES-CFB decrypter, which is unauthenticated and turns any
		// presented string into garbage that may parse as a token ID.
		op.WithCrypto(op.NewAES256GCMCrypto(opCfg.CryptoKey, opCfg.CryptoKeyId)),
	}
	if insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(opCfg, s, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: create provider: %w", err)
	}
	return p, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.AccessTokenLifetime, DefaultAccessTokenLifetime)
	setDefault(&cfg.IDTokenLifetime, DefaultIDTokenLifetime)
	setDefault(&cfg.RefreshTokenLifetime, DefaultRefreshTokenLifetime)
	setDefault(&cfg.AuthRequestLifetime, DefaultAuthRequestLifetime)
	setDefault(&cfg.CodeLifetime, DefaultCodeLifetime)
	if cfg.SupportedLocales == nil {
		cfg.SupportedLocales = []language.Tag{language.English}
	}
	return cfg
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func opConfig(cfg Config) *op.Config {
	c := &op.Config{
		CryptoKeyId:              cryptoKeyID,
		DefaultLogoutRedirectURI: defaultLogoutRedirect,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       cfg.SupportedLocales,
		SupportedClaims:          supportedClaims,
		SupportedScopes:          supportedScopes,
		// Logout tokens carry sid; see backchannel.go.
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	copy(c.CryptoKey[:], cfg.Keys.Derive(secret.PurposeOIDCCrypto))
	return c
}

// checkIssuer validates the issuer and reports whether it is a plain-http
// loopback issuer, the only case in which the library's insecure mode is
// turned on.
func checkIssuer(issuer string) (insecure bool, err error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return false, fmt.Errorf("idp: issuer %q is not an absolute URL", issuer)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false, fmt.Errorf("idp: issuer %q must be scheme and host only, without path, trailing slash, query or user", issuer)
	}
	switch u.Scheme {
	case "https":
		return false, nil
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return false, fmt.Errorf("idp: issuer %q uses http on a non-loopback host: use https", issuer)
		}
		return true, nil
	}
	return false, fmt.Errorf("idp: issuer %q must use https", issuer)
}

// ensureSigningKey stores a new signing key unless one signs now.
func ensureSigningKey(ctx context.Context, s *storage, cfg Config) error {
	created, err := EnsureSigningKey(ctx, cfg.Store, cfg.Keys, cfg.SigningKeys, cfg.Now())
	if err != nil {
		return fmt.Errorf("idp: %w", err)
	}
	if created {
		cfg.Logger.InfoContext(ctx, "signing key created", "alg", cfg.SigningKeys.withDefaults().Algorithm)
	}
	// Opening the keys now makes a wrong master key fail the start.
	s.ring.ring = nil
	if _, err := s.ring.get(ctx); err != nil {
		return fmt.Errorf("idp: %w", err)
	}
	return nil
}

// Handler returns the provider's HTTP handler: the library's routes
// (/authorize, /authorize/callback, /oauth/token, /oauth/introspect,
// /userinfo, /revoke, /end_session, /keys, discovery, /healthz, /ready)
// with this package's patches.
func (p *Provider) Handler() http.Handler {
	return p.op
}

// CallbackURL returns the absolute URL to which the hosted login redirects
// the browser once it has completed the auth request. The provider issues
// the code there.
func (p *Provider) CallbackURL(ctx context.Context, authRequestID string) string {
	return op.AuthCallbackURL(p.op)(op.ContextWithIssuer(ctx, p.issuer), authRequestID)
}

// IssuerInterceptor puts the issuer into the request context, as the
// library's URL helpers expect of handlers outside its router.
func (p *Provider) IssuerInterceptor(h http.Handler) http.Handler {
	return op.NewIssuerInterceptor(p.op.IssuerFromRequest).Handler(h)
}

// AuthRequestError ends the auth request with an OAuth error, such as
// oidc.ErrLoginRequired() or oidc.ErrAccessDenied(): it redirects the
// browser to the client's redirect URI with error and state, in the
// request's response mode. An unknown or expired request gets a 400 page,
// because there is no validated redirect URI to send the error to.
func (p *Provider) AuthRequestError(w http.ResponseWriter, r *http.Request, authRequestID string, err error) {
	ctx := r.Context()
	ar, lookupErr := p.storage.st.AuthRequestByID(ctx, authRequestID, p.now())
	if lookupErr != nil {
		if !errors.Is(lookupErr, store.ErrNotFound) {
			p.log.ErrorContext(ctx, "load auth request", "auth_request_id", authRequestID, "err", lookupErr)
		}
		http.Error(w, "The sign-in request is unknown or has expired. Start again from the application.", http.StatusBadRequest)
		return
	}
	if delErr := p.storage.st.DeleteAuthRequest(ctx, authRequestID); delErr != nil {
		p.log.ErrorContext(ctx, "delete auth request", "auth_request_id", authRequestID, "err", delErr)
	}
	op.AuthRequestError(w, r.WithContext(op.ContextWithIssuer(ctx, p.issuer)), &authRequest{r: ar}, err, p.op)
}

// SigningKeyIDs returns the IDs of the published signing keys, the one that
// signs first.
func (p *Provider) SigningKeyIDs(ctx context.Context) ([]string, error) {
	ring, err := p.storage.ring.get(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	if ring.signing != nil {
		ids = append(ids, ring.signing.ID())
	}
	for _, k := range ring.published {
		if ring.signing == nil || k.ID() != ring.signing.ID() {
			ids = append(ids, k.ID())
		}
	}
	return ids, nil
}
