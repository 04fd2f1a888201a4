package login_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
)

func TestCSRFRejected(t *testing.T) {
	cases := []struct {
		name  string
		token string
		fetch string
	}{
		{"missing token", "", ""},
		{"wrong token", strings.Repeat("0", 64), ""},
		{"cross-site fetch", "", "cross-site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addUser("ana@hotel.example")
			b := e.browser()
			loginPath, _ := b.authorize(nil)
			form := b.get(loginPath)

			values := url.Values{"email": {"ana@hotel.example"}, "password": {testPassword}}
			if tc.token != "" {
				values.Set("csrf_token", tc.token)
			} else if tc.fetch == "" {
				values["csrf_token"] = nil
			} else {
				values.Set("csrf_token", form.csrf(t))
			}
			req, _ := http.NewRequest(http.MethodPost, e.url+form.action(t), strings.NewReader(values.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.fetch != "" {
				req.Header.Set("Sec-Fetch-Site", tc.fetch)
			}
			p := b.do(req)
			p.wantStatus(t, http.StatusForbidden)

			if e.auditCount("sign_in.failed")+e.auditCount("sign_in.succeeded") != 0 {
				t.Error("a rejected form reached the password check")
			}
			if next := b.get(loginPath); next.status != http.StatusOK {
				t.Errorf("sign-in page after a rejected form: status %d, want the form again", next.status)
			}
		})
	}
}

func TestCSRFTokenOfOtherBrowser(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	victim, attacker := e.browser(), e.browser()
	attackerForm := attacker.get("/login")
	victimForm := victim.get("/login")
	p := victim.post("/login", victimForm, url.Values{
		"email": {"ana@hotel.example"}, "password": {testPassword}, "csrf_token": {attackerForm.csrf(t)},
	})
	p.wantStatus(t, http.StatusForbidden)
}

func TestPasswordOnlySessionBlocked(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	id := strings.TrimPrefix(loginPath, "/login?id=")
	afterPassword := b.signInPassword(loginPath, "ana@hotel.example", testPassword)
	afterPassword.wantStatus(t, http.StatusSeeOther)
	methods := b.get(afterPassword.location)

	t.Run("callback", func(t *testing.T) {
		b.get("/authorize/callback?id="+url.QueryEscape(id)).wantStatus(t, http.StatusBadRequest)
	})
	t.Run("done step", func(t *testing.T) {
		p := b.post("/login/2fa/done?id="+url.QueryEscape(id), methods, url.Values{})
		p.wantStatus(t, http.StatusSeeOther)
		if !strings.HasPrefix(p.location, "/login/2fa/") || strings.HasPrefix(p.location, "/login/2fa/done") {
			t.Errorf("done step redirects to %q, want a second-factor page", p.location)
		}
	})
	t.Run("verify without app", func(t *testing.T) {
		p := b.get("/login/2fa/verify?id=" + url.QueryEscape(id))
		p.wantStatus(t, http.StatusSeeOther)
		if !strings.HasPrefix(p.location, "/login/2fa/method") {
			t.Errorf("verify redirects to %q, want the method choice", p.location)
		}
	})
	t.Run("signed-in page", func(t *testing.T) {
		p := b.get("/")
		p.wantStatus(t, http.StatusSeeOther)
		if !strings.HasPrefix(p.location, "/login/2fa/") {
			t.Errorf("/ redirects to %q, want a second-factor page", p.location)
		}
	})

	req, err := e.st.AuthRequestByID(context.Background(), id, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !req.DoneAt.IsZero() || req.Subject != "" {
		t.Error("auth request was completed with only a password")
	}
}

func TestSecondFactorWithoutPassword(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	b.get(loginPath)
	id := strings.TrimPrefix(loginPath, "/login?id=")
	for _, path := range []string{"/login/2fa/method", "/login/2fa/totp", "/login/2fa/verify"} {
		p := b.get(path + "?id=" + url.QueryEscape(id))
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") || strings.Contains(p.location, "2fa") {
			t.Errorf("GET %s: status %d, Location %q; want a redirect to sign in", path, p.status, p.location)
		}
	}
}

func TestCallbackOtherBrowser(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	callback, _ := b.signUp("ana@hotel.example")
	e.browser().get(callback.location).wantStatus(t, http.StatusBadRequest)
	b.get(callback.location).wantStatus(t, http.StatusFound)
}

func TestAuthRequestOtherBrowser(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	owner, other := e.browser(), e.browser()
	loginPath, _ := owner.authorize(nil)
	owner.get(loginPath).wantStatus(t, http.StatusOK)

	p := other.get(loginPath)
	p.wantStatus(t, http.StatusBadRequest)
	form := other.get("/login")
	p = other.post(loginPath, form, url.Values{"email": {"ana@hotel.example"}, "password": {testPassword}})
	p.wantStatus(t, http.StatusBadRequest)
	if e.auditCount("sign_in.failed")+e.auditCount("sign_in.succeeded") != 0 {
		t.Error("the other browser reached the password check")
	}
}

func TestAuthRequestUnknown(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, id := range []string{"unknown", strings.Repeat("x", 5000)} {
		p := b.get("/login?id=" + id)
		p.wantStatus(t, http.StatusBadRequest)
		if !strings.Contains(p.body, "start") {
			t.Errorf("error page does not say to start again:\n%s", p.body)
		}
	}
}

func TestTOTPReplay(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	_, key := e.browser().signUp("ana@hotel.example")
	e.clock.Advance(time.Minute)

	first := e.browser()
	loginPath, _ := first.authorize(nil)
	form := first.get(first.signInPassword(loginPath, "ana@hotel.example", testPassword).location)
	code := totp.Code(key, e.clock.Now())
	first.submit(form, url.Values{"code": {code}}).wantStatus(t, http.StatusSeeOther)

	second := e.browser()
	loginPath, _ = second.authorize(nil)
	form = second.get(second.signInPassword(loginPath, "ana@hotel.example", testPassword).location)
	replay := second.submit(form, url.Values{"code": {code}})
	replay.wantStatus(t, http.StatusBadRequest)
	if replay.alert() == "" {
		t.Error("replayed code: no alert")
	}

	e.clock.Advance(30 * time.Second)
	second.submit(form, url.Values{"code": {totp.Code(key, e.clock.Now())}}).wantStatus(t, http.StatusSeeOther)
}

func TestRecoveryCodeSingleUse(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	codesPage, _ := b.activateTOTP(b.signInPassword(loginPath, "ana@hotel.example", testPassword))
	codes := codesPage.recoveryCodes()

	signIn := func(code string) page {
		b := e.browser()
		loginPath, verifier := b.authorize(nil)
		_ = verifier
		form := b.get(b.signInPassword(loginPath, "ana@hotel.example", testPassword).location + "&mode=recovery")
		if !strings.Contains(form.body, `inputmode="text"`) {
			t.Error("recovery mode: code field is not a text field")
		}
		return b.submit(form, url.Values{"code": {code}})
	}

	used := signIn(strings.ToUpper(codes[0]))
	used.wantStatus(t, http.StatusSeeOther)
	if !strings.Contains(used.location, "/authorize/callback") {
		t.Fatalf("recovery code sign-in redirects to %q", used.location)
	}
	signIn(codes[0]).wantStatus(t, http.StatusBadRequest)
	signIn(codes[1]).wantStatus(t, http.StatusSeeOther)
	if n := e.auditCount("recovery_code.used"); n != 2 {
		t.Errorf("recovery_code.used events = %d, want 2", n)
	}
}

func TestActivationRejectsWrongInput(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	afterPassword := b.signInPassword(loginPath, "ana@hotel.example", testPassword)
	activation := b.get(strings.Replace(afterPassword.location, "method", "totp", 1))
	activation.wantStatus(t, http.StatusOK)
	key := activation.totpKey(t)
	if !strings.Contains(activation.body, `href="otpauth://totp/`) || !strings.Contains(activation.body, `src="data:image/png;base64,`) {
		t.Error("activation page lacks the otpauth link or the QR code")
	}

	cases := []struct{ name, code, password string }{
		{"wrong code", "000000", testPassword},
		{"wrong password", totp.Code(key, e.clock.Now()), "not my password"},
		{"letters", "abcdef", testPassword},
		{"huge code", strings.Repeat("1", 10000), testPassword},
	}
	for _, tc := range cases {
		p := b.submit(activation, url.Values{"code": {tc.code}, "password": {tc.password}})
		if p.status != http.StatusBadRequest || p.alert() == "" {
			t.Errorf("%s: status %d, alert %q; want 400 with an alert", tc.name, p.status, p.alert())
		}
	}
	if e.auditCount("totp.activated") != 0 {
		t.Error("activation succeeded with wrong input")
	}
}

func TestMethodChoiceRejectsUnknown(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	loginPath, _ := b.authorize(nil)
	methods := b.get(b.signInPassword(loginPath, "ana@hotel.example", testPassword).location)
	if !strings.Contains(methods.body, `value="email" checked`) {
		t.Error("email is not offered checked")
	}
	for _, m := range []string{"sms", "", "webauthn"} {
		p := b.submit(methods, url.Values{"method": {m}})
		if p.status != http.StatusBadRequest || p.alert() == "" {
			t.Errorf("method %q: status %d, alert %q; want 400 with an alert", m, p.status, p.alert())
		}
	}
}

func TestOversizedBody(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	form := b.get("/login")
	p := b.post("/login", form, url.Values{"email": {"a@b.example"}, "password": {strings.Repeat("x", 100<<10)}})
	p.wantStatus(t, http.StatusRequestEntityTooLarge)
}

func TestMalformedForm(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/login")
	req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader("%zz=%%%"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.do(req).wantStatus(t, http.StatusBadRequest)
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	}
	for _, path := range []string{"/login", "/terms", "/logged-out", "/logout", "/invite?token=x", "/login?id=unknown"} {
		p := b.get(path)
		for name, value := range want {
			if got := p.header.Get(name); !strings.HasPrefix(got, value) {
				t.Errorf("GET %s: %s = %q, want %q", path, name, got, value)
			}
		}
		scripts := strings.Count(p.body, "<script")
		external := strings.Count(p.body, `<script src="/static/`)
		if scripts != external || strings.Contains(p.body, "style=") {
			t.Errorf("GET %s: page has inline script or style", path)
		}
	}
	if css := b.get("/static/style.css"); css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: status %d, Content-Type %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestCookieAttributes(t *testing.T) {
	e := newEnv(t)
	p := e.browser().get("/login")
	cookies := (&http.Response{Header: p.header}).Cookies()
	if len(cookies) == 0 {
		t.Fatal("no browser cookie set")
	}
	for _, c := range cookies {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie %s: HttpOnly %v, SameSite %v, Path %q", c.Name, c.HttpOnly, c.SameSite, c.Path)
		}
	}
}

func TestClientAddressFromTrustedProxy(t *testing.T) {
	cases := []struct {
		name    string
		proxies []netip.Prefix
		want    string
	}{
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.7"},
		{"untrusted proxy", nil, "127.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *login.Config) { c.TrustedProxies = tc.proxies })
			b := e.browser()
			form := b.get("/login")
			values := url.Values{"email": {"nobody@hotel.example"}, "password": {"wrong"}, "csrf_token": {form.csrf(t)}}
			req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(values.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
			b.do(req).wantStatus(t, http.StatusBadRequest)

			events, err := e.st.AuditEvents(context.Background(), store.AuditFilter{Event: "sign_in.failed"})
			if err != nil || len(events) != 1 {
				t.Fatalf("audit events: %v, %v", events, err)
			}
			if events[0].IP != tc.want {
				t.Errorf("audit IP = %q, want %q", events[0].IP, tc.want)
			}
		})
	}
}
