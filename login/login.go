// Package login serves the hosted sign-in pages of the identity provider:
// email and password, the choice and activation of a second factor,
// verification with an authenticator app or a recovery code, invitations,
// and sign-out.
//
// A sign-in is a chain of server-side states. The password step creates an
// incomplete session (AMR "pwd") that reaches nothing but the second-factor
// pages. The second factor rotates the session token and completes the
// session. Only then is the auth request completed and the browser sent to
// the provider's callback. Every auth request is bound to the browser that
// first opened its sign-in page, and GuardCallback checks that binding and a
// complete session of the request's subject before the provider issues a
// code. No URL, form field or header can skip a step.
package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/gorilla/mux"
	"github.com/gorilla/securecookie"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/templates"
)

// Provider is the part of the OpenID Provider that the pages hand a
// finished or failed auth request back to.
type Provider interface {
	// CallbackURL returns the absolute URL where the provider issues the
	// authorization code of a completed auth request.
	CallbackURL(ctx context.Context, authRequestID string) string
	// AuthRequestError sends the browser back to the relying party with
	// err, such as login_required for prompt=none.
	AuthRequestError(w http.ResponseWriter, r *http.Request, authRequestID string, err error)
}

// Config configures the hosted pages. Issuer, Store, Keys, Provider and
// Logger are required.
type Config struct {
	// Issuer is the absolute base URL of the provider. With https, cookies
	// are Secure with the __Host- prefix and pages send HSTS.
	Issuer   string
	Store    store.Store
	Keys     *secret.Keys
	Provider Provider
	Logger   *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ProductName is shown in the page header and as the issuer in
	// authenticator apps; empty means "Hotel ID".
	ProductName string
	// Passwords hashes and verifies passwords; nil means
	// password.NewHasher(password.DefaultParams, 0).
	Passwords *password.Hasher
	// Throttle limits failed attempts; the zero value means
	// throttle.DefaultConfig.
	Throttle throttle.Config
	// SessionLifetime is how long a complete session lasts, counted from
	// its last interactive sign-in; zero means 12 hours, a staff shift.
	SessionLifetime time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client address. Requests from other addresses are taken
	// at their RemoteAddr.
	TrustedProxies []netip.Prefix
	// IdleLock locks a complete session after this long without activity
	// on the hosted pages, for computers that staff share; zero turns it
	// off.
	IdleLock time.Duration
	// UnlockFactorAge is how long a second factor counts when unlocking a
	// locked session: an older one is asked for again. Zero means 12
	// hours.
	UnlockFactorAge time.Duration
	// Mail composes the emails the pages send; nil means a composer with
	// ProductName, Keys and Now.
	Mail *mail.Composer
	// MailQueued, when set, is called after an email was queued, for
	// example to wake the sender (mail.Sender.Wake).
	MailQueued func()
	// Brand is the logo and accent colour of the pages. The zero value
	// is the default look.
	Brand Brand
}

// Defaults of Config.
const (
	DefaultProductName     = "Hotel ID"
	DefaultSessionLifetime = 12 * time.Hour
)

// Handler serves the hosted pages. Build it with New.
type Handler struct {
	issuer     string
	secure     bool // the issuer is https
	store      store.Store
	keys       *secret.Keys
	provider   Provider
	logger     *slog.Logger
	now        func() time.Time
	product    string
	passwords  *password.Hasher
	limiter    *throttle.Limiter
	lifetime   time.Duration
	proxies    []netip.Prefix
	idleLock   time.Duration
	factorAge  time.Duration // see Config.UnlockFactorAge
	cookies    *securecookie.SecureCookie
	pages      *templates.Set
	catalogue  *i18n.Catalogue
	mail       *mail.Composer
	mailQueued func()
	brand      Brand
	browserKey string // cookie name of the browser ID
	sessionKey string // cookie name of the session token
	// relyingParty verifies security keys and passkeys.
	relyingParty *webauthn.WebAuthn
}

// New checks cfg, parses every page template and checks that the message
// catalogue holds every message the pages and this package use. It fails
// with the list of what is missing, so a broken deployment fails at start
// rather than in front of a user.
func New(cfg Config) (*Handler, error) {
	issuer, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		issuer:    strings.TrimSuffix(issuer.String(), "/"),
		secure:    issuer.Scheme == "https",
		store:     cfg.Store,
		keys:      cfg.Keys,
		provider:  cfg.Provider,
		logger:    cfg.Logger,
		now:       cfg.Now,
		product:   cfg.ProductName,
		brand:     cfg.Brand,
		passwords: cfg.Passwords,
		lifetime:  cfg.SessionLifetime,
		proxies:   cfg.TrustedProxies,
		idleLock:  cfg.IdleLock,
		factorAge: cfg.UnlockFactorAge,
	}
	h.applyDefaults(cfg)
	if err := h.applyMail(cfg); err != nil {
		return nil, err
	}
	h.cookies = newCookieCodec(cfg.Keys)
	h.browserKey, h.sessionKey = cookieNames(h.secure)

	if err := h.loadPages(); err != nil {
		return nil, err
	}
	if h.relyingParty, err = newRelyingParty(issuer, h.product); err != nil {
		return nil, err
	}
	if h.relyingParty == nil {
		h.logger.Warn("security keys and passkeys are off: the issuer's host is an IP address", "issuer", h.issuer)
	}
	return h, nil
}

func checkConfig(cfg Config) (*url.URL, error) {
	var errs []error
	issuer, err := url.Parse(cfg.Issuer)
	if err != nil || (issuer.Scheme != "https" && issuer.Scheme != "http") || issuer.Host == "" {
		errs = append(errs, fmt.Errorf("issuer %q is not an absolute http or https URL", cfg.Issuer))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("store is missing"))
	}
	if cfg.Keys == nil {
		errs = append(errs, errors.New("keys are missing"))
	}
	if cfg.Provider == nil {
		errs = append(errs, errors.New("provider is missing"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("logger is missing"))
	}
	if cfg.Throttle != (throttle.Config{}) {
		if err := cfg.Throttle.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Brand.Accent != "" {
		if err := CheckAccent(cfg.Brand.Accent); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.SessionLifetime < 0 {
		errs = append(errs, fmt.Errorf("session lifetime %s is negative", cfg.SessionLifetime))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("login: invalid config: %w", errors.Join(errs...))
	}
	return issuer, nil
}

func (h *Handler) applyDefaults(cfg Config) {
	if h.now == nil {
		h.now = time.Now
	}
	if h.product == "" {
		h.product = DefaultProductName
	}
	if h.passwords == nil {
		h.passwords = password.NewHasher(password.DefaultParams, 0)
	}
	if h.lifetime == 0 {
		h.lifetime = DefaultSessionLifetime
	}
	limits := cfg.Throttle
	if limits == (throttle.Config{}) {
		limits = throttle.DefaultConfig
	}
	h.limiter = throttle.New(cfg.Store, limits, h.now)
	if h.factorAge <= 0 {
		h.factorAge = DefaultUnlockFactorAge
	}
}

// Register adds the hosted pages and /static/ to r.
func (h *Handler) Register(r *mux.Router) {
	get := func(path string, fn http.HandlerFunc) {
		r.Path(path).Methods(http.MethodGet, http.MethodHead).Handler(h.page(fn))
	}
	post := func(path string, fn http.HandlerFunc) {
		r.Path(path).Methods(http.MethodPost).Handler(h.page(fn))
	}

	get(pathHome, h.home)
	get(pathLogin, h.showSignIn)
	post(pathLogin, h.signIn)
	get(pathMethod, h.showMethods)
	post(pathMethod, h.chooseMethod)
	get(pathTOTP, h.showActivation)
	post(pathTOTP, h.activate)
	get(pathMailboxProof, h.showMailboxProof)
	post(pathMailboxProof, h.mailboxProof)
	post(pathDone, h.done)
	get(pathVerify, h.showVerify)
	post(pathVerify, h.verify)
	get(pathInvite, h.showInvitation)
	post(pathInvite, h.acceptInvitation)
	get(pathTerms, h.terms)
	get(pathLogout, h.showLogout)
	post(pathLogout, h.logout)
	get(pathLoggedOut, h.loggedOut)
	h.registerAccount(get, post)
	h.registerWebAuthn(r, get, post)
	h.registerEmail(r, get, post)
	r.Path(pathBrandCSS).Methods(http.MethodGet, http.MethodHead).HandlerFunc(h.brandCSS)
	r.Path(pathLogo).Methods(http.MethodGet, http.MethodHead).HandlerFunc(h.logo)
	r.PathPrefix("/static/").Methods(http.MethodGet, http.MethodHead).Handler(h.static())
}

// Paths of the hosted pages. The provider's clients send browsers to
// pathLogin with the auth request ID in the query parameter id.
const (
	pathHome      = "/"
	pathLogin     = "/login"
	pathMethod    = "/login/2fa/method"
	pathTOTP      = "/login/2fa/totp"
	pathDone      = "/login/2fa/done"
	pathVerify    = "/login/2fa/verify"
	pathInvite    = "/invite"
	pathTerms     = "/terms"
	pathLogout    = "/logout"
	pathLoggedOut = "/logged-out"
)

// withID returns path with the auth request ID in its query, or path alone
// for a sign-in without an auth request.
func withID(path, authRequestID string) string {
	if authRequestID == "" {
		return path
	}
	return path + "?id=" + url.QueryEscape(authRequestID)
}
