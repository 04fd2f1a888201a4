package login_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// testPassword is the password of every test user.
const testPassword = "correct horse battery"

// cheapParams keep argon2id fast in tests.
var cheapParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable time source shared by the store, the provider and
// the pages.
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
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a running provider with the hosted pages on a real SQLite store.
type env struct {
	t           *testing.T
	url         string
	st          *sqlstore.Store
	keys        *secret.Keys
	clock       *clock
	logs        *syncBuffer
	clientID    string
	redirectURI string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts the provider and the pages; configure may change the
// pages' Config before New.
func newEnv(t *testing.T, configure ...func(*login.Config)) *env {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"), logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	master := sha256.Sum256([]byte(t.Name()))
	keys, err := secret.NewKeys(master[:])
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	clk := &clock{now: time.Now().Truncate(time.Second)}
	provider, err := idp.New(ctx, idp.Config{Issuer: issuer, Store: st, Keys: keys, Logger: logger, Now: clk.Now})
	if err != nil {
		t.Fatalf("start provider: %v", err)
	}
	cfg := login.Config{
		Issuer:    issuer,
		Store:     st,
		Keys:      keys,
		Provider:  provider,
		Logger:    logger,
		Now:       clk.Now,
		Passwords: password.NewHasher(cheapParams, 0),
	}
	for _, f := range configure {
		f(&cfg)
	}
	pages, err := login.New(cfg)
	if err != nil {
		t.Fatalf("login.New: %v", err)
	}

	r := mux.NewRouter()
	pages.Register(r)
	op := provider.Handler()
	r.Path("/authorize/callback").Handler(pages.GuardCallback(op))
	r.PathPrefix("/").Handler(op)
	srv.Config.Handler = provider.IssuerInterceptor(r)
	srv.Start()
	t.Cleanup(srv.Close)

	// Every page of every test must render all its messages, and nothing
	// in a test is a server fault.
	t.Cleanup(func() {
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("errors logged:\n%s", logs.String())
		}
	})

	e := &env{t: t, url: issuer, st: st, keys: keys, clock: clk, logs: logs, redirectURI: "http://127.0.0.1:9/callback"}
	client, _, err := idp.RegisterClient(ctx, st, idp.ClientSpec{
		Name: "Front desk", Type: store.AppTypeWeb, RedirectURIs: []string{e.redirectURI}, Public: true,
	}, clk.Now())
	if err != nil {
		t.Fatalf("register client: %v", err)
	}
	e.clientID = client.ID
	return e
}

// addUser creates an active user with testPassword and returns its ID.
func (e *env) addUser(email string) string {
	e.t.Helper()
	ctx := context.Background()
	id, link, err := login.InviteUser(ctx, e.st, e.url, login.Invite{Email: email, Name: "Ana Test", Locale: "en"}, e.clock.Now())
	if err != nil {
		e.t.Fatalf("invite: %v", err)
	}
	u, _ := url.Parse(link)
	hash, err := password.NewHasher(cheapParams, 0).Hash(ctx, testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.AcceptInvitation(ctx, secret.Hash(u.Query().Get("token")), hash, e.clock.Now()); err != nil {
		e.t.Fatalf("accept invitation: %v", err)
	}
	return id
}

// auditCount returns how many audit events named event exist.
func (e *env) auditCount(event string) int {
	e.t.Helper()
	events, err := e.st.AuditEvents(context.Background(), store.AuditFilter{Event: event})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(events)
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is a response with its body read.
type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.abs(path), nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

// post submits form to path as a browser form would, with the CSRF token
// of the page p unless form sets csrf_token itself.
func (b *browser) post(path string, p page, form url.Values) page {
	b.e.t.Helper()
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", p.csrf(b.e.t))
	}
	req, err := http.NewRequest(http.MethodPost, b.abs(path), strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit posts form to the action of the first form on p, adding the
// form's hidden fields as a browser would.
func (b *browser) submit(p page, form url.Values) page {
	b.e.t.Helper()
	for _, m := range hiddenPattern.FindAllStringSubmatch(p.body, -1) {
		name := html.UnescapeString(m[1])
		if _, ok := form[name]; !ok {
			form.Set(name, html.UnescapeString(m[2]))
		}
	}
	return b.post(p.action(b.e.t), p, form)
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.e.url + path
}

var (
	csrfPattern   = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	actionPattern = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	keyPattern    = regexp.MustCompile(`<code class="key">([^<]+)</code>`)
	codePattern   = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
	alertPattern  = regexp.MustCompile(`role="alert">([^<]*)<`)
)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token on the page (status %d):\n%s", p.status, p.body)
	}
	return m[1]
}

func (p page) action(t *testing.T) string {
	t.Helper()
	m := actionPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form on the page (status %d):\n%s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

func (p page) alert() string {
	m := alertPattern.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// totpKey reads the authenticator key shown on the activation page.
func (p page) totpKey(t *testing.T) []byte {
	t.Helper()
	m := keyPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no key on the page (status %d):\n%s", p.status, p.body)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		t.Fatalf("decode key %q: %v", m[1], err)
	}
	return key
}

func (p page) recoveryCodes() []string {
	var codes []string
	for _, m := range codePattern.FindAllStringSubmatch(p.body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// wantStatus fails the test when p has another status.
func (p page) wantStatus(t *testing.T, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; Location %q; body:\n%s", p.status, status, p.location, p.body)
	}
}

// authorize starts an authorization-code flow with PKCE and returns the
// sign-in page path the provider redirects to, and the PKCE verifier.
func (b *browser) authorize(extra url.Values) (loginPath, verifier string) {
	b.e.t.Helper()
	verifier = secret.Token()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id":             {b.e.clientID},
		"redirect_uri":          {b.e.redirectURI},
		"response_type":         {"code"},
		"scope":                 {"openid email"},
		"state":                 {"state-1"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	p := b.get("/authorize?" + q.Encode())
	if p.status != http.StatusFound || !strings.Contains(p.location, "/login?id=") {
		b.e.t.Fatalf("authorize: status %d, Location %q, body %s", p.status, p.location, p.body)
	}
	return p.location, verifier
}

// signInPassword opens the sign-in page and submits the password.
func (b *browser) signInPassword(loginPath, email, pw string) page {
	b.e.t.Helper()
	form := b.get(loginPath)
	form.wantStatus(b.e.t, http.StatusOK)
	return b.submit(form, url.Values{"email": {email}, "password": {pw}})
}

// activateTOTP takes a browser that passed the password step of a new
// user through method choice and activation. It returns the recovery
// codes page and the authenticator key.
func (b *browser) activateTOTP(afterPassword page) (page, []byte) {
	t := b.e.t
	t.Helper()
	afterPassword.wantStatus(t, http.StatusSeeOther)
	methods := b.get(afterPassword.location)
	methods.wantStatus(t, http.StatusOK)
	chosen := b.submit(methods, url.Values{"method": {"totp"}})
	chosen.wantStatus(t, http.StatusSeeOther)
	activation := b.get(chosen.location)
	activation.wantStatus(t, http.StatusOK)
	key := activation.totpKey(t)
	codes := b.submit(activation, url.Values{"code": {totp.Code(key, b.e.clock.Now())}, "password": {testPassword}})
	codes.wantStatus(t, http.StatusOK)
	return codes, key
}

// signUp signs a new user in for the first time through authorize,
// password and authenticator activation, and returns the callback
// redirect and the authenticator key.
func (b *browser) signUp(email string) (callback page, key []byte) {
	t := b.e.t
	t.Helper()
	loginPath, _ := b.authorize(nil)
	codes, key := b.activateTOTP(b.signInPassword(loginPath, email, testPassword))
	done := b.submit(codes, url.Values{})
	done.wantStatus(t, http.StatusSeeOther)
	return done, key
}
