package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/pgtest"
)

// clock is a settable clock shared by the server under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testServer is the provider under test with one registered web client.
type testServer struct {
	app    *app
	url    string
	clock  *clock
	client store.Client
	secret string
}

// backends lists the databases every end-to-end test runs against.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "idp.db")
		},
		"postgres": func(t *testing.T) string { return pgtest.Start(t) },
	}
}

// forEachBackend runs f once per database.
func forEachBackend(t *testing.T, f func(t *testing.T, s *testServer)) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			f(t, startServer(t, dsn(t)))
		})
	}
}

// startServer starts the whole provider on databaseURL and registers a
// confidential web client redirecting to a relying party that is never
// contacted (the test reads the redirect instead).
func startServer(t *testing.T, databaseURL string, options ...func(*config)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	cfg := &config{
		DatabaseURL:   databaseURL,
		Issuer:        "http://" + ln.Addr().String(),
		Listen:        ln.Addr().String(),
		SecretKeyFile: filepath.Join(t.TempDir(), "master.key"),
		ProductName:   "Hotel ID",
		AdminEmail:    "admin@localhost",
		LogFormat:     "text",
		LogLevel:      "info",
		now:           clk.Now,
	}
	for _, option := range options {
		option(cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	cfg.keyFileDefaulted = true
	logger := slog.New(slog.NewTextHandler(testLogWriter(t), nil))
	a, err := newApp(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.store.Close()
	})

	c, secretValue, err := idp.RegisterClient(context.Background(), a.store, idp.ClientSpec{
		Name:                   "Staff web app",
		Type:                   "web",
		RedirectURIs:           []string{"http://127.0.0.1:9/callback"},
		PostLogoutRedirectURIs: []string{"http://127.0.0.1:9/signed-out"},
	}, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{app: a, url: cfg.Issuer, clock: clk, client: c, secret: secretValue}
}

// testLogWriter sends server logs to the test log when -v is given.
func testLogWriter(t *testing.T) io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// invite creates an invited user and returns the invitation link.
func (s *testServer) invite(t *testing.T, email string) string {
	t.Helper()
	_, link, err := login.InviteUser(context.Background(), s.app.store, s.url,
		login.Invite{Email: email, Name: "Test User", Locale: "en"}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// relyingParty is an independent OIDC client: go-oidc and x/oauth2.
type relyingParty struct {
	provider *oidc.Provider
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func (s *testServer) relyingParty(t *testing.T) *relyingParty {
	t.Helper()
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	return &relyingParty{
		provider: p,
		config: oauth2.Config{
			ClientID:     s.client.ID,
			ClientSecret: s.secret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  s.client.RedirectURIs[0],
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		},
		verifier: p.Verifier(&oidc.Config{ClientID: s.client.ID, Now: s.clock.Now}),
	}
}

// authRequest is one authorization request the relying party started.
type authRequest struct {
	url, state, nonce, verifier string
}

func (rp *relyingParty) start(opts ...oauth2.AuthCodeOption) authRequest {
	r := authRequest{
		state:    oauth2.GenerateVerifier(),
		nonce:    oauth2.GenerateVerifier(),
		verifier: oauth2.GenerateVerifier(),
	}
	opts = append(opts, oauth2.S256ChallengeOption(r.verifier), oidc.Nonce(r.nonce))
	r.url = rp.config.AuthCodeURL(r.state, opts...)
	return r
}

// tokens is the result of a code exchange, verified.
type tokens struct {
	oauth *oauth2.Token
	id    *oidc.IDToken
	raw   string
}

// claims of the ID token this test suite checks.
type idClaims struct {
	Subject  string   `json:"sub"`
	AMR      []string `json:"amr"`
	ACR      string   `json:"acr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
	Email    string   `json:"email"`
	Nonce    string   `json:"nonce"`
}

func (tk tokens) claims(t *testing.T) idClaims {
	t.Helper()
	var c idClaims
	if err := tk.id.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}
