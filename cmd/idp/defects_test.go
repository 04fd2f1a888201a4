package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
)

// postToken sends a raw token request, with Basic credentials unless user
// is empty, and returns the response with its decoded JSON body.
func postToken(t *testing.T, s *testServer, form url.Values, user, password string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// freshCode signs an enrolled user in with a fresh browser and returns
// the code and its request, unredeemed.
func freshCode(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser) (string, authRequest) {
	t.Helper()
	s.clock.Advance(31 * time.Second)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := signInWithPassword(t, b, r, u.email, testPassword)
	p = b.submit(p, map[string]string{"code": totpCode(t, u.key, s.clock.Now())})
	return rp.codeFrom(t, p, r), r
}

// TestCodeExchangeChecksClientFirst covers a code seen by someone without
// the client's secret or the PKCE verifier: they can neither burn a fresh
// code nor, by replaying a redeemed one, revoke the user's tokens. The
// client itself replaying its code still revokes them.
func TestCodeExchangeChecksClientFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		u := enrol(t, s, rp, "gina@example.com")
		code, r := freshCode(t, s, rp, u)
		form := url.Values{
			"grant_type":    {"authorization_code"},
			"code":          {code},
			"redirect_uri":  {rp.config.RedirectURL},
			"code_verifier": {r.verifier},
		}

		resp, body := postToken(t, s, form, s.client.ID, "wrong-secret")
		if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" ||
			!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("fresh code, wrong secret: %d %v %v", resp.StatusCode, body, resp.Header)
		}
		wrongVerifier := url.Values{}
		for k, v := range form {
			wrongVerifier[k] = v
		}
		wrongVerifier.Set("code_verifier", oauth2.GenerateVerifier())
		if resp, body := postToken(t, s, wrongVerifier, s.client.ID, s.secret); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("fresh code, wrong verifier: %d %v", resp.StatusCode, body)
		}

		tok, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier))
		if err != nil {
			t.Fatalf("the client cannot redeem its code after rejected attempts: %v", err)
		}

		noSecret := url.Values{"client_id": {s.client.ID}}
		for k, v := range form {
			noSecret[k] = v
		}
		if resp, body := postToken(t, s, noSecret, "", ""); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("redeemed code without secret: %d %v", resp.StatusCode, body)
		}
		if resp, body := postToken(t, s, form, s.client.ID, "wrong-secret"); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("redeemed code, wrong secret: %d %v", resp.StatusCode, body)
		}
		if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatalf("unauthenticated replays revoked the access token: %v", err)
		}

		if _, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier)); err == nil {
			t.Fatal("the client redeemed its code twice")
		}
		if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the client's own replay left the access token working")
		}
	})
}

// TestCodeExchangeConcurrent sends one code eight times at once: exactly
// one exchange succeeds.
func TestCodeExchangeConcurrent(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrol(t, s, rp, "hugo@example.com")
	code, r := freshCode(t, s, rp, u)

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier))
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent exchanges succeeded, want 1", ok, n)
	}
}

// writeMasterKey writes a valid master key file with mode perm.
func writeMasterKey(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	key := make([]byte, secret.MasterKeySize)
	rand.Read(key)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// TestServeLogsOnlyJSON runs `idp serve --log-format json`, makes the
// provider library log a rejected request, and checks that every line on
// standard error is JSON.
func TestServeLogsOnlyJSON(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	writeMasterKey(t, keyFile, 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--log-format", "json", "--listen", "127.0.0.1:0",
			"--issuer", "http://127.0.0.1:8080", "--database-url", "sqlite://" + filepath.Join(dir, "idp.db"),
			"--secret-key-file", keyFile, "--key-rotation", "0", "--purge-interval", "0"}, io.Discard, &stderr)
	}()

	addr := ""
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for line := range strings.Lines(stderr.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "identity provider started" {
				addr, _ = rec["listen"].(string)
			}
		}
	}
	if addr == "" {
		t.Fatalf("the server did not start:\n%s", stderr.String())
	}
	// A refresh by an unknown client makes the library log the request
	// error itself.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/oauth/token", strings.NewReader("grant_type=refresh_token&refresh_token=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("unknown", "secret")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, stderr.String())
	}

	libraryLines := 0
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("not a JSON log line: %s", sc.Text())
			continue
		}
		if rec["msg"] == "request error" {
			libraryLines++
		}
	}
	if libraryLines == 0 {
		t.Errorf("the library's request error was not logged:\n%s", stderr.String())
	}
}

// TestInviteRejectsAddressVariants: spellings that would make a second
// account for one mailbox are rejected, by the library call and the CLI,
// with an error naming the address.
func TestInviteRejectsAddressVariants(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	for _, addr := range []string{"gina@example.com.", `"gina"@example.com`, "gina..rossi@example.com", "gina@exa mple.com"} {
		_, _, err := login.InviteUser(context.Background(), s.app.store, s.url,
			login.Invite{Email: addr, Name: "Gina", Locale: "en"}, s.clock.Now())
		if err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("InviteUser(%q) = %v, want an error naming the address", addr, err)
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"user", "invite", "--email", addr, "--name", "Gina",
			"--database-url", s.app.cfg.DatabaseURL, "--secret-key-file", s.app.cfg.SecretKeyFile}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), addr) {
			t.Errorf("idp user invite --email %q: exit %d, stderr %q", addr, code, errb.String())
		}
	}
	if _, _, err := login.InviteUser(context.Background(), s.app.store, s.url,
		login.Invite{Email: "gina@example.com", Name: "Gina", Locale: "en"}, s.clock.Now()); err != nil {
		t.Fatalf("a plain address was rejected: %v", err)
	}
}

// wantSecurityHeaders checks the headers every response carries.
func wantSecurityHeaders(t *testing.T, label string, resp *http.Response, csp string) {
	t.Helper()
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q", label, got)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy = %q", label, got)
	}
	if got := resp.Header.Values("Content-Security-Policy"); len(got) != 1 || !strings.Contains(got[0], csp) {
		t.Errorf("%s: Content-Security-Policy = %q, want one containing %q", label, got, csp)
	}
}

// TestLibraryResponsesHaveSecurityHeaders checks the library's error
// responses and that the hosted pages keep their own policy.
func TestLibraryResponsesHaveSecurityHeaders(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	for _, tc := range []struct{ name, method, path, body string }{
		{"authorize", http.MethodGet, "/authorize?response_type=code&scope=openid", ""},
		{"authorize bad redirect", http.MethodGet, "/authorize?response_type=code&scope=openid&client_id=" + s.client.ID + "&redirect_uri=https://evil.example/cb", ""},
		{"end_session", http.MethodGet, "/end_session?post_logout_redirect_uri=https://evil.example/", ""},
		{"token", http.MethodPost, "/oauth/token", "grant_type=authorization_code&code=x"},
		{"userinfo", http.MethodGet, "/userinfo", ""},
	} {
		req, _ := http.NewRequest(tc.method, s.url+tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantSecurityHeaders(t, tc.name, resp, "default-src 'none'; frame-ancestors 'none'")
	}

	b := newBrowser(t, s.url)
	resp, err := b.client.Get(rp.start().url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	signIn, err := b.client.Get(resp.Request.URL.ResolveReference(mustParse(t, resp.Header.Get("Location"))).String())
	if err != nil {
		t.Fatal(err)
	}
	signIn.Body.Close()
	if signIn.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: status %d", signIn.StatusCode)
	}
	wantSecurityHeaders(t, "sign-in page", signIn, "style-src 'self'")
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUserinfoRejectsQueryToken: an access token in the URL is refused,
// in the form body or the Authorization header it is accepted.
func TestUserinfoRejectsQueryToken(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrol(t, s, rp, "ines@example.com")
	token := u.first.oauth.AccessToken

	resp, err := http.Get(s.url + "/userinfo?access_token=" + url.QueryEscape(token))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_request" {
		t.Errorf("token in query: %d %v, want 400 invalid_request", resp.StatusCode, body)
	}
	resp, err = http.PostForm(s.url+"/userinfo", url.Values{"access_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token in form body: %d, want 200", resp.StatusCode)
	}
	if _, err := rp.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(u.first.oauth)); err != nil {
		t.Errorf("token in header: %v", err)
	}
}

// TestCLIRefusesMissingDatabase: an admin command run from the wrong
// directory names the database it did not find and creates nothing;
// migrate still creates a new database.
func TestCLIRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := filepath.Join(dir, "data", "idp.db")
	for _, args := range [][]string{{"client", "list"}, {"user", "list"}, {"keys", "list"}, {"audit", "list"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "idp migrate") {
			t.Errorf("idp %s: exit %d, stderr %q; want 1 and an error naming %s", strings.Join(args, " "), code, errb.String(), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("a refused command created files under %s", dir)
	}

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, &out, &errb); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"client", "list"}, &out, &errb); code != 0 {
		t.Errorf("client list after migrate: exit %d: %s", code, errb.String())
	}
}

// TestConfigReportsEveryProblem: the master key file's problems are
// reported together with the other settings', and so is a bad port.
func TestConfigReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.key")
	writeMasterKey(t, loose, 0o644)
	garbage := filepath.Join(dir, "garbage.key")
	if err := os.WriteFile(garbage, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, listen, keyFile string
		want                  []string
	}{
		{"LooseKeyAndPort", "127.0.0.1:70000", loose, []string{"--listen", "chmod 600", "--log-format"}},
		{"GarbageKey", "127.0.0.1:0", garbage, []string{"hex-encoded", "--log-format"}},
		{"NegativePort", "localhost:-1", "", []string{"--listen", "--log-format"}},
		{"NamedPort", "localhost:http", "", []string{"--listen", "--log-format"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			code := run(context.Background(), []string{"client", "list", "--listen", tc.listen, "--secret-key-file", tc.keyFile,
				"--log-format", "xml", "--database-url", "sqlite://" + filepath.Join(dir, "idp.db")}, io.Discard, &errb)
			if code == 0 {
				t.Fatal("an invalid configuration was accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
	cfg := &config{DatabaseURL: "sqlite://x.db", Issuer: "http://localhost:8080", Listen: "localhost:0",
		SecretKeyFile: filepath.Join(dir, "missing.key"), ProductName: "Hotel ID", LogFormat: "text", LogLevel: "info"}
	if err := cfg.validate(); err != nil {
		t.Errorf("port 0 and a missing key file: %v", err)
	}
}

// TestVerifyMessages: a wrong recovery code gets its own message, and the
// throttled message promises no particular wait.
func TestVerifyMessages(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrol(t, s, rp, "jon@example.com")

	s.clock.Advance(31 * time.Second)
	b := newBrowser(t, s.url)
	p := signInWithPassword(t, b, rp.start(), u.email, testPassword)
	recoveryURL := *p.URL
	q := recoveryURL.Query()
	q.Set("mode", "recovery")
	recoveryURL.RawQuery = q.Encode()
	p = b.get(recoveryURL.String())
	p = b.submit(p, map[string]string{"code": "ABCDE-FGHJK"})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.alert(), "recovery code") || strings.Contains(p.alert(), "from your app") {
		t.Errorf("wrong recovery code: status %d, alert %q", p.Status, p.alert())
	}

	for i := 0; i < 10 && p.Status != http.StatusTooManyRequests; i++ {
		p = b.submit(p, map[string]string{"code": "000000"})
	}
	if p.Status != http.StatusTooManyRequests {
		t.Fatalf("no throttling after 10 wrong codes: status %d", p.Status)
	}
	if a := p.alert(); !strings.Contains(a, "Wait a moment") || strings.Contains(a, "minutes") {
		t.Errorf("throttled alert = %q", a)
	}
}

// TestCLIHelpAndErrors: group help exits 0 on stdout, and a database
// error says "open database" once.
func TestCLIHelpAndErrors(t *testing.T) {
	for _, group := range []string{"user", "client"} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{group, "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "usage: idp "+group) {
			t.Errorf("idp %s --help: exit %d, stdout %q", group, code, out.String())
		}
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	writeMasterKey(t, keyFile, 0o600)
	var errb bytes.Buffer
	// A folder where the database file should be cannot be opened.
	code := run(context.Background(), []string{"client", "list", "--database-url", "sqlite://" + dir, "--secret-key-file", keyFile}, io.Discard, &errb)
	if code != 1 || !strings.HasPrefix(errb.String(), "idp: open database") || strings.Contains(errb.String(), "open database: open database") {
		t.Errorf("exit %d, stderr %q; want one \"open database\" prefix", code, errb.String())
	}
}
