package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/store"
)

// TestAdminCLI runs the user subcommands with --json and checks their
// effect and audit events.
func TestAdminCLI(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	rp := s.relyingParty(t)
	u := enrolStaff(t, s, rp, "cli@a.example", "")
	if out, code := runCLI(t, s, "property", "create", "--id", "hotel-c", "--name", "Hotel C", "--json"); code != 0 {
		t.Fatalf("property create: %d %s", code, out)
	}

	if _, code := runCLI(t, s, "user", "grant", "--email", u.email, "--permission", "view_audit", "--property", "hotel-c", "--json"); code != 0 {
		t.Fatal("user grant failed")
	}
	if _, code := runCLI(t, s, "user", "grant", "--email", u.email, "--permission", "everything"); code == 0 {
		t.Error("an unknown permission was granted")
	}
	if _, code := runCLI(t, s, "user", "grant", "--email", "nobody@a.example", "--permission", "view_audit"); code == 0 {
		t.Error("a grant to an unknown user succeeded")
	}
	if _, code := runCLI(t, s, "user", "exempt", "--email", u.email, "--reason", "Kiosk", "--until", "2999-01-31", "--json"); code != 0 {
		t.Fatal("user exempt failed")
	}
	if _, code := runCLI(t, s, "user", "exempt", "--email", u.email, "--until", "tomorrow"); code != 2 {
		t.Error("exempt without a reason and with a bad date is not a usage error")
	}

	out, code := runCLI(t, s, "user", "list", "--json", "--filter", "exempt")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("user list: %d %s", code, out)
	}
	if list[0]["email"] != u.email || list[0]["exempt"] != true || !strings.HasPrefix(list[0]["exempt_until"].(string), "2999-02-01") ||
		list[0]["authentication"] != "exempt" || list[0]["status"] != "active" {
		t.Errorf("user list row = %v", list[0])
	}

	if _, code := runCLI(t, s, "user", "unexempt", "--email", u.email); code != 0 {
		t.Fatal("user unexempt failed")
	}
	if _, code := runCLI(t, s, "user", "reset-2fa", "--email", u.email, "--json"); code != 0 {
		t.Fatal("user reset-2fa failed")
	}
	if len(s.methods(t, u.email)) != 0 || !refreshFails(rp, u.first) {
		t.Error("reset-2fa left methods or tokens")
	}
	wantOutbox(t, s, u.email, store.EmailNotification)

	out, code = runCLI(t, s, "audit", "list", "--json", "--user-email", u.email)
	var events []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &events) != nil {
		t.Fatalf("audit list: %d %s", code, out)
	}
	seen := map[string]bool{}
	for _, e := range events {
		d, _ := e["detail"].(map[string]any)
		if strings.HasPrefix(e["event"].(string), "admin.") && d["via"] != "cli" {
			t.Errorf("event %v lacks via=cli", e)
		}
		seen[e["event"].(string)] = true
	}
	for _, want := range []string{"admin.grant_added", "admin.exemption_added", "admin.exemption_removed", "admin.2fa_reset"} {
		if !seen[want] {
			t.Errorf("audit list lacks %s: %v", want, seen)
		}
	}
	if _, code := runCLI(t, s, "audit", "list", "--since", "last week"); code != 2 {
		t.Error("a bad --since is not a usage error")
	}
}

// TestAdminClientEverywhere registers clients through the console, the
// command line and the API, then signs a user in through each.
func TestAdminClientEverywhere(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	rp := s.relyingParty(t)
	admin := enrolStaff(t, s, rp, "it@a.example", "hotel-a")
	s.grant(t, admin.email, store.PermManageClients, store.AllProperties)
	s.grant(t, admin.email, store.PermManageUsers, store.AllProperties)

	// Console: the secret is shown once, then never again.
	form := adminPage(t, s, admin.b, "/admin/clients/new")
	bad := admin.b.submit(form, map[string]string{"name": "Bad", "type": "web", "redirect_uris": "http://rp.example/cb"})
	if bad.Status != http.StatusBadRequest || bad.byID("client-problems") == nil {
		t.Fatalf("plain http redirect accepted: %d", bad.Status)
	}
	created := admin.b.submit(form, map[string]string{"name": "Console app", "type": "web", "redirect_uris": "http://127.0.0.1:9/console"})
	consoleID, consoleSecret := textOf(created.byID("client-id")), textOf(created.byID("client-secret"))
	if consoleID == "" || consoleSecret == "" {
		t.Fatalf("no client ID or secret shown:\n%s", created.Body)
	}
	if again := adminPage(t, s, admin.b, "/admin/clients/"+consoleID); again.byID("client-secret") != nil {
		t.Error("the secret is shown a second time")
	}
	s.wantClientAudit(t, consoleID, "admin.client_created")

	// Command line, with a rotated secret.
	out, code := runCLI(t, s, "client", "create", "--name", "CLI app", "--type", "web", "--redirect-uri", "http://127.0.0.1:9/cli", "--json")
	var cli map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &cli) != nil {
		t.Fatalf("client create: %d %s", code, out)
	}
	out, code = runCLI(t, s, "client", "rotate-secret", "--client-id", cli["client_id"], "--json")
	var rotated map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &rotated) != nil || rotated["client_secret"] == cli["client_secret"] {
		t.Fatalf("rotate-secret: %d %s", code, out)
	}

	// API, by a client that manages clients.
	out, code = runCLI(t, s, "client", "grant", "--client-id", cli["client_id"], "--grant", "manage_clients@*")
	if code != 0 {
		t.Fatalf("client grant: %s", out)
	}
	token := bearer(t, s, cli["client_id"], rotated["client_secret"], "")
	if status, _ := clientToken(t, s, cli["client_id"], cli["client_secret"], ""); status != http.StatusUnauthorized {
		t.Errorf("the secret before rotation still works: %d", status)
	}
	var api map[string]string
	resp := apiCall(t, s, token, http.MethodPost, "/clients", map[string]any{
		"name": "API app", "application_type": "web", "redirect_uris": []string{"http://127.0.0.1:9/api"},
	}, &api)
	if resp.StatusCode != http.StatusCreated || api["client_secret"] == "" {
		t.Fatalf("API create: %d %v", resp.StatusCode, api)
	}
	resp = apiCall(t, s, token, http.MethodPost, "/clients", map[string]any{
		"name": "Bad", "application_type": "native", "redirect_uris": []string{"https://rp.example/cb"}, "grants": []map[string]string{{"permission": "view_audit", "property_id": "*"}},
	}, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("public client with grants: %d, want 400", resp.StatusCode)
	}

	for _, c := range []struct{ id, secret, redirect string }{
		{consoleID, consoleSecret, "http://127.0.0.1:9/console"},
		{cli["client_id"], rotated["client_secret"], "http://127.0.0.1:9/cli"},
		{api["client_id"], api["client_secret"], "http://127.0.0.1:9/api"},
	} {
		other := *rp
		other.config = oauth2.Config{ClientID: c.id, ClientSecret: c.secret, Endpoint: rp.config.Endpoint,
			RedirectURL: c.redirect, Scopes: rp.config.Scopes}
		other.verifier = rp.provider.Verifier(&oidcConfig{ClientID: c.id, Now: s.clock.Now})
		tk := signInAgain(t, s, &other, newBrowser(t, s.url), admin.enrolledUser)
		if tk.claims(t).Email != admin.email {
			t.Errorf("client %s: wrong user", c.id)
		}
	}

	// Edit through the console, validated like a registration.
	page := adminPage(t, s, admin.b, "/admin/clients/"+consoleID)
	if p := admin.b.submit(page, map[string]string{"name": "Renamed app", "redirect_uris": "ftp://x"}); p.Status != http.StatusBadRequest {
		t.Errorf("edit with an invalid redirect URI: %d, want 400", p.Status)
	}
	if p := admin.b.submit(page, map[string]string{"name": "Renamed app", "redirect_uris": "http://127.0.0.1:9/console"}); p.Status != http.StatusOK {
		t.Fatalf("edit: %d\n%s", p.Status, p.Body)
	}
	if c, _ := s.app.store.ClientByID(context.Background(), consoleID); c.Name != "Renamed app" {
		t.Errorf("client name = %q after the edit", c.Name)
	}
	s.wantClientAudit(t, consoleID, "admin.client_updated")

	// The audit page filters by event and date.
	s.grant(t, admin.email, store.PermViewAudit, store.AllProperties)
	audit := adminPage(t, s, admin.b, "/admin/audit?event=admin.client_created&since="+s.clock.Now().UTC().Format("2006-01-02"))
	if audit.Status != http.StatusOK || !strings.Contains(audit.Body, consoleID) || strings.Contains(audit.Body, "admin.client_updated") {
		t.Errorf("audit page filtered by event: %d", audit.Status)
	}
	if bad := adminPage(t, s, admin.b, "/admin/audit?since=yesterday"); bad.Status != http.StatusBadRequest {
		t.Errorf("audit page with a bad date: %d, want 400", bad.Status)
	}

	// Delete through the console: the client's sign-ins stop.
	page = adminPage(t, s, admin.b, "/admin/clients/"+consoleID)
	if p := action(t, admin.b, page, "/delete", nil); p.Status != http.StatusOK {
		t.Fatalf("delete: %d", p.Status)
	}
	if _, err := s.app.store.ClientByID(context.Background(), consoleID); err == nil {
		t.Error("client not deleted")
	}
	s.wantClientAudit(t, consoleID, "admin.client_deleted")
}

// wantClientAudit checks that an event about the client was recorded.
func (s *testServer) wantClientAudit(t *testing.T, clientID, event string) {
	t.Helper()
	events, err := s.app.store.AuditEvents(context.Background(), store.AuditFilter{Event: event})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.ClientID == clientID {
			return
		}
	}
	t.Fatalf("no %s event for client %s", event, clientID)
}

// TestAdminImport imports users with bcrypt and argon2id hashes; each
// signs in with the old password, gets the hash upgraded to the current
// argon2id parameters, and must prove the mailbox and activate 2FA.
func TestAdminImport(t *testing.T) {
	s := startServer(t, sqliteURL(t))
	s.hotels(t)
	ctx := context.Background()
	bc, err := bcrypt.GenerateFromPassword([]byte("old bcrypt password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	weak := password.NewHasher(password.Params{Memory: 8 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, 1)
	ar, err := weak.Hash(ctx, "old argon2 password")
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"email":"bcrypt@a.example","name":"B Crypt","locale":"fr","password_hash":"` + string(bc) + `","properties":["hotel-a"]}`,
		`{"email":"argon@a.example","name":"Argon Two","password_hash":"` + ar + `","properties":["hotel-a"]}`,
		`{"email":"plain@a.example","name":"Plain","password_hash":"hunter2"}`,
		`{"email":"bcrypt@a.example","name":"Duplicate","password_hash":"` + string(bc) + `"}`,
		`{"email":"x@a.example","name":"X","password_hash":"` + string(bc) + `","properties":["no-such-hotel"]}`,
		`not json`,
	}
	file := filepath.Join(t.TempDir(), "users.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, s, "user", "import", "--file", file, "--json")
	var results []map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &results) != nil || len(results) != len(lines) {
		t.Fatalf("import: exit %d, want 1 for the bad lines:\n%s", code, out)
	}
	for i, r := range results {
		if ok := r["error"] == nil; ok != (i < 2) {
			t.Errorf("line %d: %v", i+1, r)
		}
	}
	if _, err := s.app.store.UserByEmailKey(ctx, "plain@a.example"); err == nil {
		t.Error("a user with an unusable hash was imported")
	}

	rp := s.relyingParty(t)
	for _, c := range []struct{ email, pw string }{{"bcrypt@a.example", "old bcrypt password"}, {"argon@a.example", "old argon2 password"}} {
		b := newBrowser(t, s.url)
		r := rp.start()
		p := signInWithPassword(t, b, r, c.email, c.pw)
		if p.Location != nil || p.URL.Path == "/login" {
			t.Fatalf("%s: the imported password did not pass, or no 2FA was asked: %s", c.email, p.URL)
		}
		if h := s.user(t, c.email).PasswordHash; !strings.HasPrefix(h, "$argon2id$v=19$m=47104,t=1,p=1$") {
			t.Errorf("%s: hash not upgraded: %.30s", c.email, h)
		}
		// Choosing the authenticator app first asks for the emailed code.
		if p.has("method") {
			p = b.submit(p, map[string]string{"method": "totp"})
		}
		if p.URL.Path != "/login/2fa/confirm-email" {
			t.Fatalf("%s: at %s, want the mailbox proof", c.email, p.URL.Path)
		}
		wantOutbox(t, s, c.email, store.EmailTwoFactor)
		s.wantAudit(t, c.email, "admin.user_imported")
	}
}
