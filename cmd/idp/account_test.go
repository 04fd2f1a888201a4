package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/store"
)

const newTestPassword = "a fresh and longer passphrase"

// csrfOf returns the CSRF token of the page's forms.
func csrfOf(t *testing.T, p *page) string {
	t.Helper()
	token := ""
	walk(p.Doc, func(n *htmlNode) bool {
		if isElement(n, "input") && attr(n, "name") == "csrf_token" {
			token = attr(n, "value")
		}
		return token == ""
	})
	if token == "" {
		t.Fatalf("%s has no CSRF token:\n%s", p.URL.Path, p.Body)
	}
	return token
}

func (s *testServer) user(t *testing.T, email string) store.User {
	t.Helper()
	u, err := s.app.store.UserByEmailKey(context.Background(), store.NormalizeEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (s *testServer) methods(t *testing.T, email string) []string {
	t.Helper()
	m, err := s.app.store.Methods(context.Background(), s.user(t, email).ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantAudit checks that the audit log holds event for the user.
func (s *testServer) wantAudit(t *testing.T, email, event string) store.AuditEvent {
	t.Helper()
	events, err := s.app.store.AuditEvents(context.Background(), store.AuditFilter{UserID: s.user(t, email).ID, Event: event})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatalf("no audit event %s", event)
	}
	return events[0]
}

func wantPath(t *testing.T, p *page, path string) {
	t.Helper()
	if p.Location != nil {
		t.Fatalf("left the provider for %s, want %s", p.Location, path)
	}
	if p.URL.Path != path {
		t.Fatalf("at %s (status %d), want %s:\n%s", p.URL.Path, p.Status, path, p.Body)
	}
}

func TestAccountChangesNeedRecentSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		b := newBrowser(t, s.url)
		u := enrolWithBrowser(t, s, rp, b, "anna@example.com")

		// Right after sign-in a change needs nothing more.
		p := b.get(s.url + "/account")
		if p.Status != http.StatusOK || !p.has("current_password") || !p.has("password_confirm") {
			t.Fatalf("account page: status %d:\n%s", p.Status, p.Body)
		}
		p = b.submit(p, map[string]string{"locale": "de"})
		wantPath(t, p, "/account")
		if got := s.user(t, u.email).Locale; got != "de" {
			t.Fatalf("locale = %q, want de", got)
		}

		// 16 minutes later the change waits for the password and a code.
		s.clock.Advance(16 * time.Minute)
		hashBefore := s.user(t, u.email).PasswordHash
		p = b.get(s.url + "/account")
		p = b.submit(p, map[string]string{"current_password": testPassword, "password": newTestPassword, "password_confirm": newTestPassword})
		wantPath(t, p, "/account/verify")
		if !p.has("code") || s.user(t, u.email).PasswordHash != hashBefore {
			t.Fatalf("stale session changed the password or got no verification form:\n%s", p.Body)
		}
		stale := totpCode(t, u.key, s.clock.Now().Add(-10*time.Minute))
		if bad := b.submit(p, map[string]string{"password": testPassword, "code": stale}); bad.Status != http.StatusBadRequest {
			t.Fatalf("old code: status %d, want 400", bad.Status)
		}
		if bad := b.submit(p, map[string]string{"password": "wrong password", "code": totpCode(t, u.key, s.clock.Now())}); bad.Status != http.StatusBadRequest {
			t.Fatalf("wrong password: status %d, want 400", bad.Status)
		}
		p = b.submit(p, map[string]string{"password": testPassword, "code": totpCode(t, u.key, s.clock.Now())})
		wantPath(t, p, "/account")

		mismatch := b.submit(p, map[string]string{"current_password": testPassword, "password": newTestPassword, "password_confirm": newTestPassword + "x"})
		if mismatch.Status != http.StatusBadRequest || s.user(t, u.email).PasswordHash != hashBefore {
			t.Fatalf("mismatched confirmation: status %d, or the password changed", mismatch.Status)
		}
		wrong := b.submit(p, map[string]string{"current_password": "not it", "password": newTestPassword, "password_confirm": newTestPassword})
		if wrong.Status != http.StatusBadRequest || s.user(t, u.email).PasswordHash != hashBefore {
			t.Fatalf("wrong current password: status %d, or the password changed", wrong.Status)
		}
		p = b.submit(p, map[string]string{"current_password": testPassword, "password": newTestPassword, "password_confirm": newTestPassword})
		wantPath(t, p, "/account")
		if p.URL.Query().Get("done") != "password" {
			t.Fatalf("after the change: %s", p.URL)
		}
		s.wantAudit(t, u.email, "password.changed")
		s.wantNotification(t, u.email)

		// The old password no longer signs in, but the new one does.
		other := newBrowser(t, s.url)
		if p := signInWithPassword(t, other, rp.start(), u.email, testPassword); !p.has("email") {
			t.Fatalf("old password still accepted: at %s", p.URL.Path)
		}
		if p := signInWithPassword(t, other, rp.start(), u.email, newTestPassword); !p.has("code") {
			t.Fatalf("new password rejected: at %s:\n%s", p.URL.Path, p.Body)
		}
	})
}

func TestAccountChangeWithoutSession(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	b := newBrowser(t, s.url)
	p := b.get(s.url + "/account")
	wantPath(t, p, "/login")
	p = b.post(s.url+"/account/password", url.Values{"csrf_token": {csrfOf(t, p)}, "password": {newTestPassword}})
	wantPath(t, p, "/login")
	p = b.post(s.url+"/account/language", url.Values{"locale": {"de"}})
	if p.Status != http.StatusForbidden {
		t.Fatalf("form without CSRF token: status %d, want 403", p.Status)
	}
}

func TestAccountLastMethod(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		b := newBrowser(t, s.url)
		u := enrolWithBrowser(t, s, rp, b, "carl@example.com")

		p := b.get(s.url + "/account")
		if p.formWith([]string{"method"}) != nil {
			t.Fatalf("the page offers to remove the only method:\n%s", p.Body)
		}
		csrf := csrfOf(t, p)
		p = b.post(s.url+"/account/methods/remove", url.Values{"csrf_token": {csrf}, "method": {"totp"}})
		if p.Status != http.StatusConflict || p.alert() == "" {
			t.Fatalf("removing the last method: status %d, alert %q; want 409 with an alert", p.Status, p.alert())
		}
		if m := s.methods(t, u.email); !slices.Equal(m, []string{"totp"}) {
			t.Fatalf("methods = %v after a refused removal", m)
		}
		for _, method := range []string{"", "bogus", "webauthn", string(make([]byte, 5000))} {
			p = b.post(s.url+"/account/methods/remove", url.Values{"csrf_token": {csrf}, "method": {method}})
			if p.Status != http.StatusBadRequest {
				t.Errorf("method %.10q: status %d, want 400", method, p.Status)
			}
		}

		// On the exception list the last method may go.
		user := s.user(t, u.email)
		err := s.app.store.SetExemption(context.Background(), store.Exemption{UserID: user.ID, Reason: "test", CreatedAt: s.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		p = b.get(s.url + "/account")
		p = b.submit(p, map[string]string{"method": "totp"})
		wantPath(t, p, "/account")
		if m := s.methods(t, u.email); len(m) != 0 {
			t.Fatalf("methods = %v after removal, want none", m)
		}
		s.wantAudit(t, u.email, "totp.removed")
	})
}

func TestAccountRecoveryCodes(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "dora@example.com")

	p := b.get(s.url + "/account")
	p = b.post(s.url+"/account/recovery-codes", url.Values{"csrf_token": {csrfOf(t, p)}})
	codes := recoveryCodes(t, p)
	if slices.Equal(codes, u.recoveryCodes) {
		t.Fatal("new recovery codes equal the old ones")
	}
	p = b.submit(p, map[string]string{})
	wantPath(t, p, "/account")

	// An old code no longer signs in, but a new one does.
	other := newBrowser(t, s.url)
	p = signInWithPassword(t, other, rp.start(), u.email, testPassword)
	if bad := other.submit(p, map[string]string{"code": u.recoveryCodes[0]}); bad.Status != http.StatusBadRequest {
		t.Fatalf("old recovery code: status %d, want 400", bad.Status)
	}
	r := rp.start()
	p = signInWithPassword(t, other, r, u.email, testPassword)
	rp.exchange(t, other.submit(p, map[string]string{"code": codes[0]}), r)
}

// lockWithButton locks the browser's session with the account page's
// Lock button and returns the page it lands on.
func lockWithButton(t *testing.T, s *testServer, b *browser) *page {
	t.Helper()
	p := b.get(s.url + "/account")
	p = b.submit(p, map[string]string{"lock": "1"})
	wantPath(t, p, "/unlock")
	return p
}

func TestLockAndUnlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp, front := s.relyingParty(t), s.lockingRP(t)
		b := newBrowser(t, s.url)
		u := enrolWithBrowser(t, s, rp, b, "emil@example.com")
		first := u.first.claims(t)

		// A relying party's GET from another site asks first.
		lockURL := s.url + "/lock?" + url.Values{"client_id": {front.client.ID}, "post_lock_redirect_uri": {testLockURI}}.Encode()
		req, _ := http.NewRequest(http.MethodGet, lockURL, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		p := b.do(req)
		if p.Status != http.StatusOK || !p.has("post_lock_redirect_uri") {
			t.Fatalf("cross-site lock: status %d, want a confirmation form:\n%s", p.Status, p.Body)
		}
		if acc := b.get(s.url + "/account"); acc.URL.Path != "/account" {
			t.Fatalf("a GET from another site locked the session")
		}
		for _, bad := range []url.Values{
			{"client_id": {front.client.ID}, "post_lock_redirect_uri": {"https://evil.example/"}},
			{"client_id": {"unknown"}, "post_lock_redirect_uri": {testLockURI}},
			{"post_lock_redirect_uri": {testLockURI}},
		} {
			if q := b.get(s.url + "/lock?" + bad.Encode()); q.Status != http.StatusBadRequest || q.Location != nil {
				t.Errorf("lock with %v: status %d, location %v; want 400 and no redirect", bad, q.Status, q.Location)
			}
		}
		p = b.submit(p, map[string]string{})
		if p.Location == nil || p.Location.String() != testLockURI {
			t.Fatalf("after the lock: location %v, want %s", p.Location, testLockURI)
		}
		s.wantAudit(t, u.email, "session.locked")

		// prompt=none gets login_required.
		none := rp.start(oauth2.SetAuthURLParam("prompt", "none"))
		if p := b.get(none.url); p.Location == nil || p.Location.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none while locked: %v (status %d)", p.Location, p.Status)
		}

		// The account page and a new request show the unlock page.
		wantPath(t, b.get(s.url+"/account"), "/unlock")
		s.clock.Advance(time.Minute)
		r := rp.start()
		p = b.get(r.url)
		wantPath(t, p, "/unlock")
		if bad := b.submit(p, map[string]string{"password": "wrong password"}); bad.Status != http.StatusBadRequest {
			t.Fatalf("wrong unlock password: status %d, want 400", bad.Status)
		}
		s.wantAudit(t, u.email, "session.unlock_failed")

		// The password alone unlocks and returns to the pending request.
		c := rp.exchange(t, b.submit(p, map[string]string{"password": testPassword}), r).claims(t)
		if c.SID != first.SID || c.AuthTime <= first.AuthTime {
			t.Errorf("after unlock sid %q auth_time %d; want sid %q and a later auth_time than %d", c.SID, c.AuthTime, first.SID, first.AuthTime)
		}
		wantAMR(t, c.AMR, first.AMR...)
		s.wantAudit(t, u.email, "session.unlocked")
		wantPath(t, b.get(s.url+"/account"), "/account")
	})
}

func TestUnlockReturnsToPage(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	enrolWithBrowser(t, s, rp, b, "fay@example.com")
	lockWithButton(t, s, b)

	p := b.get(s.url + "/account")
	wantPath(t, p, "/unlock")
	p = b.submit(p, map[string]string{"password": testPassword})
	wantPath(t, p, "/account")

	// "Sign in as someone else" ends the locked session.
	lockWithButton(t, s, b)
	r := rp.start()
	p = b.get(r.url)
	p = b.post(s.url+"/unlock/switch?id="+url.QueryEscape(p.URL.Query().Get("id")), url.Values{"csrf_token": {csrfOf(t, p)}})
	wantPath(t, p, "/login")
	if !p.has("email") {
		t.Fatalf("switching users did not show the sign-in form:\n%s", p.Body)
	}
}

func TestUnlockAfterFactorAge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp := s.relyingParty(t)
		// ID tokens expire by the real clock, which the test clock leaves
		// hours behind.
		rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: s.client.ID})
		b := newBrowser(t, s.url)
		u := enrolWithBrowser(t, s, rp, b, "gus@example.com")

		// Eleven hours after the code, the password alone unlocks.
		lockWithButton(t, s, b)
		s.clock.Advance(11 * time.Hour)
		r := rp.start()
		p := b.submit(b.get(r.url), map[string]string{"password": testPassword})
		rp.exchange(t, p, r)

		// Thirteen hours after it, the code is asked again.
		lockWithButton(t, s, b)
		s.clock.Advance(2 * time.Hour)
		r = rp.start()
		p = b.get(r.url)
		wantPath(t, p, "/unlock")
		p = b.submit(p, map[string]string{"password": testPassword})
		if !p.has("code") {
			t.Fatalf("second factor not asked after 13 hours: at %s:\n%s", p.URL.Path, p.Body)
		}
		c := rp.exchange(t, b.submit(p, map[string]string{"code": totpCode(t, u.key, s.clock.Now())}), r).claims(t)
		wantAMR(t, c.AMR, "pwd", "otp", "mfa")
		if got := time.Unix(c.AuthTime, 0); s.clock.Now().Sub(got) > time.Minute {
			t.Errorf("auth_time %v, want about %v", got, s.clock.Now())
		}
	})
}

func TestIdleLock(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), func(c *config) { c.IdleLockMinutes = "15" })
			rp := s.relyingParty(t)
			b := newBrowser(t, s.url)
			u := enrolWithBrowser(t, s, rp, b, "hana@example.com")

			// Activity every ten minutes keeps the session open.
			for range 3 {
				s.clock.Advance(10 * time.Minute)
				wantPath(t, b.get(s.url+"/account"), "/account")
			}

			// Sixteen idle minutes lock it.
			s.clock.Advance(16 * time.Minute)
			none := rp.start(oauth2.SetAuthURLParam("prompt", "none"))
			if p := b.get(none.url); p.Location == nil || p.Location.Query().Get("error") != "login_required" {
				t.Fatalf("prompt=none after idling: %v (status %d)", p.Location, p.Status)
			}
			r := rp.start()
			p := b.get(r.url)
			wantPath(t, p, "/unlock")
			if e := s.wantAudit(t, u.email, "session.locked"); e.Detail["reason"] != "idle" {
				t.Errorf("lock reason = %q, want idle", e.Detail["reason"])
			}
			rp.exchange(t, b.submit(p, map[string]string{"password": testPassword}), r)
		})
	}
}

func TestUnlockThrottled(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	enrolWithBrowser(t, s, rp, b, "ines@example.com")
	p := lockWithButton(t, s, b)

	var last *page
	for range 6 {
		last = b.submit(p, map[string]string{"password": "wrong password"})
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("sixth wrong unlock password: status %d, want 429", last.Status)
	}
	// Even the right password waits while the step is throttled.
	if p := b.submit(p, map[string]string{"password": testPassword}); p.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while throttled: status %d, want 429", p.Status)
	}
}

func TestAccountPagesRejectOtherUsersSession(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "jon@example.com")
	// A cookie from one browser is worthless without its session row.
	if err := s.app.store.RevokeUserSessions(context.Background(), s.user(t, u.email).ID, s.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantPath(t, b.get(s.url+"/account"), "/login")
}

// addKey stores a security key for the user, as a finished registration
// would.
func (s *testServer) addKey(t *testing.T, email, id, name string) {
	t.Helper()
	err := s.app.store.AddWebAuthnCredential(context.Background(), store.WebAuthnCredential{
		ID: id, UserID: s.user(t, email).ID, CredentialID: []byte("credential-" + id), PublicKey: []byte("cose-key"),
		AttestationFormat: "none", Name: name, CreatedAt: s.clock.Now(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func (s *testServer) keyNames(t *testing.T, email string) []string {
	t.Helper()
	keys, err := s.app.store.WebAuthnCredentials(context.Background(), s.user(t, email).ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	return names
}

func TestAccountSecurityKeys(t *testing.T) {
	s := startServer(t, "sqlite://"+t.TempDir()+"/idp.db")
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	u := enrolWithBrowser(t, s, rp, b, "kim@example.com")
	s.addKey(t, u.email, "key-1", "Blue key")
	s.addKey(t, u.email, "key-2", "Laptop")
	enrolWithBrowser(t, s, rp, newBrowser(t, s.url), "lea@example.com")
	s.addKey(t, "lea@example.com", "key-of-lea", "Lea's key")

	p := b.get(s.url + "/account")
	csrf := csrfOf(t, p)
	rename := func(id, name string) *page {
		return b.post(s.url+"/account/keys/rename", url.Values{"csrf_token": {csrf}, "id": {id}, "name": {name}})
	}
	remove := func(id string) *page {
		return b.post(s.url+"/account/keys/remove", url.Values{"csrf_token": {csrf}, "id": {id}})
	}

	wantPath(t, rename("key-1", "  Front desk key  "), "/account")
	for _, bad := range []struct{ id, name string }{{"key-1", "   "}, {"key-of-lea", "Mine now"}, {"", "x"}, {"missing", "x"}} {
		if p := rename(bad.id, bad.name); p.Status != http.StatusBadRequest {
			t.Errorf("rename %q to %q: status %d, want 400", bad.id, bad.name, p.Status)
		}
	}
	if got := s.keyNames(t, u.email); !slices.Equal(got, []string{"Front desk key", "Laptop"}) {
		t.Fatalf("key names = %q", got)
	}
	if p := remove("key-of-lea"); p.Status != http.StatusBadRequest {
		t.Fatalf("removing another user's key: status %d, want 400", p.Status)
	}
	if got := s.keyNames(t, "lea@example.com"); len(got) != 1 {
		t.Fatalf("another user's keys = %q after a refused removal", got)
	}

	// With the app gone, the last key is the last method and stays.
	wantPath(t, remove("key-1"), "/account")
	if err := s.app.store.DeleteTOTP(context.Background(), s.user(t, u.email).ID, nil); err != nil {
		t.Fatal(err)
	}
	if p := remove("key-2"); p.Status != http.StatusConflict {
		t.Fatalf("removing the last key: status %d, want 409", p.Status)
	}
	if got := s.keyNames(t, u.email); !slices.Equal(got, []string{"Laptop"}) {
		t.Fatalf("key names = %q, want [Laptop]", got)
	}
	s.wantAudit(t, u.email, "webauthn.removed")
}

// wantNotification checks that a notification email to the user waits in
// the outbox or was sent.
func (s *testServer) wantNotification(t *testing.T, email string) {
	t.Helper()
	emails, err := s.app.store.OutboxEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		if e.Kind == store.EmailNotification && store.NormalizeEmail(e.Recipient) == store.NormalizeEmail(email) {
			return
		}
	}
	t.Fatalf("no notification email to %s among %d emails", email, len(emails))
}
