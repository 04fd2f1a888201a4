package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login/mail/smtptest"
	"github.com/hotelsoft/idp/store"
)

var amrEmail = []string{"pwd", "otp", "email", "mfa"}

// startMailServer starts a test SMTP server and the provider delivering
// to it, with its email sender running.
func startMailServer(t *testing.T, databaseURL string) (*testServer, *smtptest.Server) {
	t.Helper()
	smtp := smtptest.Start(t)
	s := startServer(t, databaseURL, func(c *config) {
		c.SMTPURL = smtp.URL("Hotel ID <no-reply@hotel.test>")
		c.mailPoll = 50 * time.Millisecond
	})
	t.Cleanup(s.app.startSender(context.Background()))
	return s, smtp
}

func sqliteURL(t *testing.T) string { return backends(t)["sqlite"](t) }

// activeUser invites email and accepts the invitation in a browser of its
// own; the user has a password and no second factor yet.
func activeUser(t *testing.T, s *testServer, email string) {
	t.Helper()
	p := acceptInvitation(t, newBrowser(t, s.url), s.invite(t, email), testPassword)
	if p.Status != http.StatusOK {
		t.Fatalf("accept invitation: status %d", p.Status)
	}
}

// toCheckPage passes the password and, for a user without a method, picks
// the preselected one. It returns the email page.
func toCheckPage(t *testing.T, b *browser, r authRequest, email string) *page {
	t.Helper()
	p := signInWithPassword(t, b, r, email, testPassword)
	if p.has("method") {
		p = b.submit(p, map[string]string{})
	}
	if !p.has("code") || !p.has("resend") {
		t.Fatalf("expected the email page with a code field, got status %d:\n%s", p.Status, p.Body)
	}
	return p
}

func checkAMR(t *testing.T, tk tokens) {
	t.Helper()
	c := tk.claims(t)
	if !slices.Equal(c.AMR, amrEmail) || c.ACR != "2fa" {
		t.Errorf("amr = %v, acr = %q, want %v and 2fa", c.AMR, c.ACR, amrEmail)
	}
}

func TestEmailLinkSignIn(t *testing.T) {
	for name, dsn := range backends(t) {
		t.Run(name, func(t *testing.T) { testEmailLinkSignIn(t, dsn(t)) })
	}
}

func testEmailLinkSignIn(t *testing.T, databaseURL string) {
	s, smtp := startMailServer(t, databaseURL)
	const email = "anna@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)

	r := rp.start()
	p := signInWithPassword(t, b, r, email, testPassword)
	if form := p.formWith([]string{"method"}); form == nil || formValues(form).Get("method") != "email" {
		t.Fatalf("method page does not preselect email:\n%s", p.Body)
	}
	p = b.submit(p, map[string]string{})
	if !strings.Contains(p.Body, `http-equiv="refresh"`) {
		t.Errorf("check page has no meta refresh:\n%s", p.Body)
	}
	check := p.URL.String()
	m := smtp.Wait(t, email, "email-2fa")
	if m.HTML == "" || !strings.HasPrefix(m.Link(t), s.url+"/") || m.Code(t) == "" {
		t.Fatalf("email lacks an HTML part, a link under the issuer or a code:\n%s", m.Text)
	}
	tk := rp.exchange(t, b.get(m.Link(t)), r)
	checkAMR(t, tk)

	// The original tab's reload notices that the other tab signed in.
	if p := b.get(check); p.Status != http.StatusOK || p.has("code") {
		t.Errorf("reload of the check page: status %d, want the signed-in page:\n%s", p.Status, p.Body)
	}
	methods, err := s.app.store.Methods(context.Background(), userID(t, s, email))
	if err != nil || !slices.Equal(methods, []string{"email"}) {
		t.Errorf("Methods = %v, %v, want [email]", methods, err)
	}
	users, err := s.app.store.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email && !slices.Equal(u.Methods, []string{"email"}) {
			t.Errorf("ListUsers methods = %v, want [email]", u.Methods)
		}
	}
	if n := smtp.Wait(t, email, "notification"); !strings.Contains(n.Text, "email") {
		t.Errorf("notification does not name the new method:\n%s", n.Text)
	}

	// Later sign-ins send the email right after the password.
	b2 := newBrowser(t, s.url)
	r2 := rp.start(oauth2.SetAuthURLParam("prompt", "login"))
	p = signInWithPassword(t, b2, r2, email, testPassword)
	if !p.has("code") || p.has("method") {
		t.Fatalf("second sign-in: want the email page, got:\n%s", p.Body)
	}
	checkAMR(t, rp.exchange(t, b2.get(smtp.Wait(t, email, "email-2fa").Link(t)), r2))
}

func TestEmailLinkScanner(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "ben@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	r := rp.start()
	toCheckPage(t, b, r, email)
	m := smtp.Wait(t, email, "email-2fa")
	link := m.Link(t)

	// A mail scanner fetches and submits the link without the session.
	scanner := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		req, _ := http.NewRequest(method, link, strings.NewReader("csrf_token=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := scanner.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 || resp.StatusCode >= 300 && resp.StatusCode < 400 {
			t.Errorf("scanner %s: status %d, want a page", method, resp.StatusCode)
		}
	}
	other := newBrowser(t, s.url)
	if p := other.get(link); !strings.Contains(p.Body, "6-digit code") {
		t.Errorf("link in another browser does not point to the code:\n%s", p.Body)
	}
	if p := other.post(link, url.Values{}); p.Status >= 500 {
		t.Errorf("post to the link in another browser: status %d", p.Status)
	}

	// Nothing was consumed: the owner's link still signs in.
	checkAMR(t, rp.exchange(t, b.get(link), r))
}

func TestEmailCodeFromOtherDevice(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "cara@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := toCheckPage(t, b, r, email)
	m := smtp.Wait(t, email, "email-2fa")

	phone := newBrowser(t, s.url)
	phone.get(m.Link(t))
	checkAMR(t, rp.exchange(t, b.submit(p, map[string]string{"code": m.Code(t)}), r))
}

func TestEmailLinkRejected(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "dan@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)

	t.Run("expired", func(t *testing.T) {
		b := newBrowser(t, s.url)
		r := rp.start()
		toCheckPage(t, b, r, email)
		link := smtp.Wait(t, email, "email-2fa").Link(t)
		s.clock.Advance(16 * time.Minute)
		defer s.clock.Advance(-16 * time.Minute)
		if p := b.get(link); p.Location != nil || p.Status >= 500 {
			t.Errorf("expired link: status %d, location %v", p.Status, p.Location)
		}
	})
	t.Run("superseded", func(t *testing.T) {
		// The cooldown is per user: let the previous email's pass.
		s.clock.Advance(61 * time.Second)
		b := newBrowser(t, s.url)
		r := rp.start()
		p := toCheckPage(t, b, r, email)
		first := smtp.Wait(t, email, "email-2fa")
		// Resending waits for the cooldown.
		if p := b.submit(p, map[string]string{"resend": "1"}); p.Status != http.StatusTooManyRequests {
			t.Errorf("resend during the cooldown: status %d, want 429", p.Status)
		}
		s.clock.Advance(61 * time.Second)
		b.submit(p, map[string]string{"resend": "1"})
		second := smtp.Wait(t, email, "email-2fa")
		if p := b.get(first.Link(t)); p.Location != nil {
			t.Fatal("the older link signed in after a newer email")
		}
		if p := b.submit(p, map[string]string{"code": first.Code(t)}); p.Location != nil {
			t.Fatal("the older code signed in after a newer email")
		}
		tk := rp.exchange(t, b.get(second.Link(t)), r)
		checkAMR(t, tk)
		// Reused: the link works once.
		if p := b.get(second.Link(t)); p.Location != nil {
			t.Error("a used link signed in again")
		}
	})
}

func TestEmailCodeNativeClient(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "eva@example.com"
	activeUser(t, s, email)
	rp := nativeRelyingParty(t, s)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := toCheckPage(t, b, r, email)
	if strings.Contains(p.Body, `http-equiv="refresh"`) {
		t.Error("the code page reloads itself")
	}
	m := smtp.Wait(t, email, "email-2fa")
	if strings.Contains(m.Text, "http") {
		t.Errorf("a native client's email carries a link:\n%s", m.Text)
	}
	checkAMR(t, rp.exchange(t, b.submit(p, map[string]string{"code": m.Code(t)}), r))
}

func TestEmailCodeFiveWrong(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "finn@example.com"
	activeUser(t, s, email)
	rp := nativeRelyingParty(t, s)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := toCheckPage(t, b, r, email)
	code := smtp.Wait(t, email, "email-2fa").Code(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 5 {
		if p := b.submit(p, map[string]string{"code": wrong}); p.Status != http.StatusBadRequest {
			t.Fatalf("wrong code %d: status %d, want 400", i+1, p.Status)
		}
	}
	if p := b.submit(p, map[string]string{"code": code}); p.Location != nil {
		t.Fatal("the right code worked after five wrong ones")
	}
}

func TestInvitationEmail(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	args := []string{"--database-url", s.app.cfg.DatabaseURL, "--secret-key-file", s.app.cfg.SecretKeyFile,
		"--issuer", s.url, "--email", "gina@example.com", "--name", "Gina Ruiz", "--locale", "nl", "--json"}
	var out, errOut strings.Builder
	if err := runUserInvite(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("user invite: %v\n%s", err, errOut.String())
	}
	// The command stamps the email with the wall clock; the server's
	// clock must reach it before the email is due.
	s.clock.Advance(time.Second)
	m := smtp.Wait(t, "gina@example.com", "invitation")
	if !strings.Contains(out.String(), m.Link(t)) {
		t.Errorf("email link %s is not the printed one: %s", m.Link(t), out.String())
	}
	if m.Header.Get("Content-Language") != "nl" || !strings.Contains(m.Text, "Gina Ruiz") {
		t.Errorf("invitation not in Dutch for Gina: %s\n%s", m.Header.Get("Content-Language"), m.Text)
	}
	if p := acceptInvitation(t, newBrowser(t, s.url), m.Link(t), testPassword); p.Status != http.StatusOK {
		t.Errorf("accept the emailed invitation: status %d", p.Status)
	}

	args[7] = "GINA@example.com "
	err := runUserInvite(context.Background(), args, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "GINA@example.com") {
		t.Errorf("invite of an existing address: err = %v, want an error naming it", err)
	}
	emails, _ := s.app.store.OutboxEmails(context.Background())
	if len(emails) != 1 {
		t.Errorf("outbox holds %d emails, want only the first invitation", len(emails))
	}
}

func TestForgotPassword(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	activeUser(t, s, "hana@example.com")
	oldInvitation := s.invite(t, "ivan@example.com")
	b := newBrowser(t, s.url)

	forgot := func(email string) *page {
		p := b.get(s.url + "/login")
		link := p.linkWithPrefix("/login/forgot")
		if link == "" {
			t.Fatalf("sign-in page has no forgot-password link:\n%s", p.Body)
		}
		return b.submit(b.get(s.url+link), map[string]string{"email": email})
	}
	known, unknown := forgot("hana@example.com"), forgot("nobody@example.com")
	if known.Status != http.StatusOK || strings.ReplaceAll(known.Body, "hana", "X") != strings.ReplaceAll(unknown.Body, "nobody", "X") {
		t.Errorf("answers differ for a known and an unknown address:\n%s\n---\n%s", known.Body, unknown.Body)
	}
	reset := smtp.Wait(t, "hana@example.com", "password-reset")
	forgot("ivan@example.com")
	invitation := smtp.Wait(t, "ivan@example.com", "invitation")
	if p := newBrowser(t, s.url).get(oldInvitation); p.Status != http.StatusBadRequest {
		t.Errorf("older invitation link: status %d, want 400 after a fresh one", p.Status)
	}
	if p := newBrowser(t, s.url).get(invitation.Link(t)); !p.has("password_confirm") {
		t.Errorf("fresh invitation link does not open the invitation page:\n%s", p.Body)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.Messages()); n != 2 {
		t.Errorf("%d emails sent, want 2 (none for the unknown address)", n)
	}

	// The reset sets a new password and signs nobody in.
	p := b.get(reset.Link(t))
	p = b.submit(p, map[string]string{"password": "a new long passphrase", "password_confirm": "a new long passphrase"})
	if p.Status != http.StatusOK || p.has("password") {
		t.Fatalf("reset: status %d:\n%s", p.Status, p.Body)
	}
	smtp.Wait(t, "hana@example.com", "notification")
	if p := b.get(reset.Link(t)); p.Status != http.StatusBadRequest {
		t.Errorf("reused reset link: status %d, want 400", p.Status)
	}
	if p := b.get(s.url + "/"); !p.has("password") {
		t.Errorf("the reset signed the browser in:\n%s", p.Body)
	}
}

func TestResetNeedsTOTP(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "jo@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)
	b := newBrowser(t, s.url)
	r := rp.start()
	p := signInWithPassword(t, b, r, email, testPassword)
	key, codes := activateTOTP(t, s, b, p, testPassword)
	tk := rp.exchange(t, b.submit(codes, map[string]string{}), r)

	other := newBrowser(t, s.url)
	other.submit(other.get(s.url+"/login/forgot"), map[string]string{"email": email})
	link := smtp.Wait(t, email, "password-reset").Link(t)
	p = other.get(link)
	if !p.has("code") || p.has("password") {
		t.Fatalf("reset of a TOTP user does not ask for the code first:\n%s", p.Body)
	}
	// Posting a password without the factor changes nothing.
	if p := other.post(s.url+"/login/reset", url.Values{"token": {tokenOf(t, link)}, "csrf_token": {csrfOf(t, p)},
		"password": {"a new long passphrase"}, "password_confirm": {"a new long passphrase"}}); p.Status != http.StatusBadRequest {
		t.Errorf("password without the factor: status %d, want 400", p.Status)
	}
	s.clock.Advance(30 * time.Second)
	p = other.submit(p, map[string]string{"code": totpCode(t, key, s.clock.Now())})
	p = other.submit(p, map[string]string{"password": "a new long passphrase", "password_confirm": "a new long passphrase"})
	if p.Status != http.StatusOK {
		t.Fatalf("reset after the code: status %d:\n%s", p.Status, p.Body)
	}

	// Every session and refresh token died.
	if _, err := rp.config.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tk.oauth.RefreshToken}).Token(); err == nil {
		t.Error("the refresh token still works after the reset")
	}
	r2 := rp.start()
	if p := b.get(r2.url); !p.has("password") {
		t.Errorf("the old session still signs in after the reset:\n%s", p.Body)
	}
}

func TestOutboxSurvivesOutage(t *testing.T) {
	dsn := sqliteURL(t)
	smtp := smtptest.Start(t)
	s := startServer(t, dsn, func(c *config) {
		c.SMTPURL, c.mailPoll = smtp.URL("no-reply@hotel.test"), 50*time.Millisecond
	})
	stopSender := s.app.startSender(context.Background())
	smtp.Stop()
	for _, name := range []string{"k1", "k2", "k3"} {
		if err := s.app.store.QueueEmails(context.Background(), mustCompose(t, s, name+"@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	s.app.sender.Wake()
	time.Sleep(300 * time.Millisecond)
	emails, _ := s.app.store.OutboxEmails(context.Background())
	for _, e := range emails {
		if !e.SentAt.IsZero() || e.Attempts == 0 || e.LastError == "" {
			t.Errorf("email during the outage: %+v, want unsent with a recorded failure", e)
		}
	}

	// The node restarts during the outage: its sender stops, and a new
	// node takes over the database and the master key.
	stopSender()
	restarted := startServer(t, dsn, func(c *config) {
		c.SMTPURL, c.mailPoll = smtp.URL("no-reply@hotel.test"), 50*time.Millisecond
		c.SecretKeyFile = s.app.cfg.SecretKeyFile
	})
	t.Cleanup(restarted.app.startSender(context.Background()))
	// The emails fall due only once the server is back. A sender that
	// polled a due email before the restart would fail it again and push
	// its next attempt a minute further.
	smtp.Restart(t)
	restarted.clock.Advance(time.Minute)
	restarted.app.sender.Wake()
	for _, name := range []string{"k1", "k2", "k3"} {
		smtp.Wait(t, name+"@example.com", "notification")
	}
	restarted.clock.Advance(time.Hour)
	restarted.app.sender.Wake()
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.Messages()); n != 3 {
		t.Errorf("%d emails delivered, want each of the 3 once", n)
	}
}

func TestOutboxTwoSendersPostgres(t *testing.T) {
	dsn := backends(t)["postgres"](t)
	s, smtp := startMailServer(t, dsn)
	// A second node on the same database with its own sender.
	second := startServer(t, dsn, func(c *config) {
		c.SMTPURL, c.mailPoll = smtp.URL("no-reply@hotel.test"), 10*time.Millisecond
		c.SecretKeyFile = s.app.cfg.SecretKeyFile
	})
	t.Cleanup(second.app.startSender(context.Background()))

	const n = 30
	for i := range n {
		to := fmt.Sprintf("user%d@example.com", i)
		if err := s.app.store.QueueEmails(context.Background(), mustCompose(t, s, to)); err != nil {
			t.Fatal(err)
		}
		s.app.sender.Wake()
		second.app.sender.Wake()
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(smtp.Messages()) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if got := len(smtp.Messages()); got != n {
		t.Errorf("%d emails delivered by two senders, want each of the %d once", got, n)
	}
}

func mustCompose(t *testing.T, s *testServer, to string) store.OutboundEmail {
	t.Helper()
	e, err := s.app.mail.Notification(store.User{Email: to, Name: "Test User"}, language.English, "PasswordChanged", "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// nativeRelyingParty registers a native client and returns a public
// relying party with a loopback redirect on any port.
func nativeRelyingParty(t *testing.T, s *testServer) *relyingParty {
	t.Helper()
	c, _, err := idp.RegisterClient(context.Background(), s.app.store, idp.ClientSpec{
		Name: "Mobile app", Type: store.AppTypeNative, RedirectURIs: []string{"http://127.0.0.1/callback"},
	}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rp := s.relyingParty(t)
	rp.config.ClientID, rp.config.ClientSecret = c.ID, ""
	rp.config.RedirectURL = "http://127.0.0.1:9/callback"
	rp.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: c.ID, Now: s.clock.Now})
	return rp
}

func userID(t *testing.T, s *testServer, email string) string {
	t.Helper()
	u, err := s.app.store.UserByEmailKey(context.Background(), store.NormalizeEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestEmailHostileInput(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	const email = "lena@example.com"
	activeUser(t, s, email)
	rp := s.relyingParty(t)

	// Without a session the email pages send the browser to the sign-in.
	stranger := newBrowser(t, s.url)
	if p := stranger.get(s.url + "/login/2fa/email"); !p.has("password") {
		t.Errorf("email page without a session: status %d, want the sign-in form", p.Status)
	}
	long := strings.Repeat("A", 5000)
	for _, path := range []string{"/login/2fa/email?id=" + long, "/login/2fa/email/link?token=" + long, "/login/reset?token=" + long} {
		if p := stranger.get(s.url + path); p.Status >= 500 || p.Location != nil {
			t.Errorf("GET %.40s: status %d", path, p.Status)
		}
	}

	b := newBrowser(t, s.url)
	r := rp.start()
	p := toCheckPage(t, b, r, email)
	m := smtp.Wait(t, email, "email-2fa")
	for _, code := range []string{strings.Repeat("1", 100), "12345", "abcdef", "<script>"} {
		if got := b.submit(p, map[string]string{"code": code}); got.Status != http.StatusBadRequest {
			t.Errorf("code %.10q: status %d, want 400", code, got.Status)
		}
	}
	if got := b.get(s.url + "/login/2fa/email/link?token=forged&id=" + url.QueryEscape(r.state)); got.Location != nil || got.Status >= 500 {
		t.Errorf("forged link token: status %d", got.Status)
	}
	// A code typed with a space in the middle still works.
	code := m.Code(t)
	checkAMR(t, rp.exchange(t, b.submit(p, map[string]string{"code": code[:3] + " " + code[3:]}), r))
}

func TestForgotPasswordTiming(t *testing.T) {
	s, smtp := startMailServer(t, sqliteURL(t))
	activeUser(t, s, "mia@example.com")
	s.invite(t, "noah@example.com")
	b := newBrowser(t, s.url)
	form := b.get(s.url + "/login/forgot")
	for _, email := range []string{"mia@example.com", "noah@example.com", "nobody@example.com"} {
		start := time.Now()
		p := b.submit(form, map[string]string{"email": email})
		took := time.Since(start)
		t.Logf("forgot password for %s took %s", email, took)
		if p.Status != http.StatusOK || took < 300*time.Millisecond {
			t.Errorf("%s: status %d after %s, want 200 after at least 300ms", email, p.Status, took)
		}
	}
	smtp.Wait(t, "mia@example.com", "password-reset")
	smtp.Wait(t, "noah@example.com", "invitation")
}
