package idp_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// clock is a settable time source for expiry tests.
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

// env is one provider on a fresh SQLite database, served over real HTTP.
type env struct {
	t      *testing.T
	ctx    context.Context
	st     *sqlstore.Store
	keys   *secret.Keys
	clock  *clock
	p      *idp.Provider
	srv    *httptest.Server
	issuer string
	// browser follows no redirects and keeps no cookies.
	browser *http.Client
	user    store.User
}

func newEnv(t *testing.T, configure ...func(*idp.Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "idp.db"), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	master := make([]byte, secret.MasterKeySize)
	rand.Read(master)
	keys, err := secret.NewKeys(master)
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	clk := &clock{now: time.Now().Truncate(time.Millisecond)}
	cfg := idp.Config{Issuer: issuer, Store: st, Keys: keys, Now: clk.Now}
	for _, f := range configure {
		f(&cfg)
	}
	p, err := idp.New(ctx, cfg)
	if err != nil {
		t.Fatalf("idp.New: %v", err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	e := &env{
		t: t, ctx: ctx, st: st, keys: keys, clock: clk, p: p, srv: srv, issuer: issuer,
		browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	e.user = e.createUser("ana@example.com", "Ana Ferreira", "nl")
	return e
}

func (e *env) createUser(email, name, locale string) store.User {
	e.t.Helper()
	return e.insertUser(email, name, locale, store.UserActive)
}

// createInvitedUser adds a user who has not accepted the invitation yet.
func (e *env) createInvitedUser(email string) store.User {
	e.t.Helper()
	return e.insertUser(email, "Invited", "en", store.UserInvited)
}

func (e *env) insertUser(email, name, locale string, status store.UserStatus) store.User {
	e.t.Helper()
	u := store.User{
		ID:        secret.ID(),
		Email:     email,
		EmailKey:  store.NormalizeEmail(email),
		Name:      name,
		Locale:    locale,
		Status:    status,
		CreatedAt: e.clock.Now(),
	}
	if status == store.UserActive {
		u.PasswordHash = "$argon2id$test"
	}
	if err := e.st.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	return u
}

// rp is a registered relying party with its go-oidc and oauth2 setup.
type rp struct {
	client   store.Client
	secret   string
	conf     *oauth2.Config
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
}

func (e *env) newRP(spec idp.ClientSpec) *rp {
	e.t.Helper()
	c, sec, err := idp.RegisterClient(e.ctx, e.st, spec, e.clock.Now())
	if err != nil {
		e.t.Fatalf("register client: %v", err)
	}
	prov, err := gooidc.NewProvider(e.rpContext(), e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	// A fixed style keeps oauth2 from retrying a failed exchange with the
	// other style, which would replay the code.
	endpoint := prov.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return &rp{
		client:   c,
		secret:   sec,
		provider: prov,
		verifier: prov.Verifier(&gooidc.Config{ClientID: c.ID, Now: e.clock.Now}),
		conf: &oauth2.Config{
			ClientID:     c.ID,
			ClientSecret: sec,
			Endpoint:     endpoint,
			RedirectURL:  spec.RedirectURIs[0],
			Scopes:       []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess},
		},
	}
}

func (e *env) webRP() *rp {
	return e.newRP(idp.ClientSpec{
		Name:                   "Staff app",
		Type:                   store.AppTypeWeb,
		RedirectURIs:           []string{"https://staff.example.com/callback"},
		PostLogoutRedirectURIs: []string{"https://staff.example.com/bye"},
	})
}

func (e *env) nativeRP() *rp {
	return e.newRP(idp.ClientSpec{
		Name:         "Mobile app",
		Type:         store.AppTypeNative,
		RedirectURIs: []string{"com.hotelsoft.mobile:/cb"},
	})
}

func (e *env) rpContext() context.Context {
	return gooidc.ClientContext(e.ctx, e.srv.Client())
}

// completion is what the hosted login records for a two-factor sign-in.
func (e *env) completion() store.Completion {
	return store.Completion{
		Subject:   e.user.ID,
		AuthTime:  e.clock.Now().Add(-time.Minute).Truncate(time.Second),
		AMR:       []string{"pwd", "otp", "mfa"},
		ACR:       idp.ACR2FA,
		SessionID: secret.ID(),
	}
}

// get sends a GET without following redirects.
func (e *env) get(rawURL string) *http.Response {
	e.t.Helper()
	resp, err := e.browser.Get(rawURL)
	if err != nil {
		e.t.Fatalf("GET %s: %v", rawURL, err)
	}
	resp.Body.Close()
	return resp
}

// authorize sends the browser to authURL and returns the auth request ID
// from the redirect to the login page.
func (e *env) authorize(authURL string) string {
	e.t.Helper()
	resp := e.get(authURL)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login?id=") {
		e.t.Fatalf("authorize: got %d Location %q, want 302 to /login?id=", resp.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	return u.Query().Get("id")
}

// signIn completes the auth request as the hosted login would and follows
// the callback, returning the redirect to the client.
func (e *env) signIn(authURL string, c store.Completion) *url.URL {
	e.t.Helper()
	id := e.authorize(authURL)
	browserHash := secret.Hash(secret.Token())
	if err := e.st.BindAuthRequest(e.ctx, id, browserHash); err != nil {
		e.t.Fatalf("bind: %v", err)
	}
	if err := e.st.CompleteAuthRequest(e.ctx, id, browserHash, c, e.clock.Now()); err != nil {
		e.t.Fatalf("complete: %v", err)
	}
	resp := e.get(e.p.CallbackURL(e.ctx, id))
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("callback: got %d, want 302", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// codeFlow runs authorize, sign-in and callback with PKCE and a nonce and
// returns the code and the verifier.
func (e *env) codeFlow(r *rp, c store.Completion) (code, verifier string) {
	e.t.Helper()
	verifier = oauth2.GenerateVerifier()
	state := secret.ID()
	authURL := r.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-"+state))
	back := e.signIn(authURL, c)
	if got := back.Query().Get("state"); got != state {
		e.t.Fatalf("callback state = %q, want %q", got, state)
	}
	code = back.Query().Get("code")
	if code == "" {
		e.t.Fatalf("callback has no code: %s", back)
	}
	return code, verifier
}

// tokens runs a whole code flow and exchanges the code.
func (e *env) tokens(r *rp) *oauth2.Token {
	e.t.Helper()
	code, verifier := e.codeFlow(r, e.completion())
	tok, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	return tok
}

// refresh redeems a refresh token.
func (e *env) refresh(r *rp, refreshToken string) (*oauth2.Token, error) {
	src := r.conf.TokenSource(e.rpContext(), &oauth2.Token{RefreshToken: refreshToken})
	return src.Token()
}

// idClaims are the ID token claims the tests check.
type idClaims struct {
	Subject       string   `json:"sub"`
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	AuthTime      int64    `json:"auth_time"`
	SID           string   `json:"sid"`
	Nonce         string   `json:"nonce"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Locale        string   `json:"locale"`
}

func (e *env) verifyIDToken(r *rp, tok *oauth2.Token) (*gooidc.IDToken, idClaims) {
	e.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		e.t.Fatal("token response has no id_token")
	}
	idt, err := r.verifier.Verify(e.rpContext(), raw)
	if err != nil {
		e.t.Fatalf("verify ID token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		e.t.Fatal(err)
	}
	return idt, c
}

// postForm sends a form with optional Basic credentials and decodes a JSON
// response into a map.
func (e *env) postForm(path string, form url.Values, user, password string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp, m
}

// userinfo calls the userinfo endpoint with an access token.
func (e *env) userinfo(accessToken string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp, m
}

func (e *env) introspect(r *rp, token string) map[string]any {
	e.t.Helper()
	resp, m := e.postForm("/oauth/introspect", url.Values{"token": {token}}, r.client.ID, r.secret)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("introspect: status %d", resp.StatusCode)
	}
	return m
}

func withLocales(tags ...string) func(*idp.Config) {
	return func(c *idp.Config) {
		for _, s := range tags {
			c.SupportedLocales = append(c.SupportedLocales, language.MustParse(s))
		}
	}
}

// decodeSegment decodes one base64url JSON segment of a JWT.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
