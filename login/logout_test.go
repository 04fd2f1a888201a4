package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/idp"
)

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	b.signUp("ana@hotel.example")
	home := b.get("/")
	home.wantStatus(t, http.StatusOK)
	if !strings.Contains(home.body, "ana@hotel.example") {
		t.Error("signed-in page does not name the user")
	}

	target := "https://rp.example/bye?state=s"
	link := strings.TrimPrefix(idp.LogoutURL(e.keys, e.url, target), e.url)
	confirm := b.get(link)
	confirm.wantStatus(t, http.StatusOK)
	out := b.submit(confirm, url.Values{})
	out.wantStatus(t, http.StatusSeeOther)
	if out.location != target {
		t.Errorf("sign-out redirects to %q, want %q", out.location, target)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther || p.location != "/login" {
		t.Errorf("/ after sign-out: status %d, Location %q; want a redirect to /login", p.status, p.location)
	}
	if e.auditCount("session.signed_out") != 1 {
		t.Error("want one session.signed_out event")
	}
}

func TestLogoutFromHome(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	b.signUp("ana@hotel.example")
	home := b.get("/")
	out := b.submit(home, url.Values{})
	out.wantStatus(t, http.StatusSeeOther)
	if out.location != "/logged-out" {
		t.Errorf("sign-out redirects to %q, want /logged-out", out.location)
	}
	b.get("/logged-out").wantStatus(t, http.StatusOK)
}

func TestLogoutBadSignature(t *testing.T) {
	e := newEnv(t)
	e.addUser("ana@hotel.example")
	b := e.browser()
	b.signUp("ana@hotel.example")

	b.get("/logout?redirect="+url.QueryEscape("https://evil.example/")+"&sig=00").wantStatus(t, http.StatusBadRequest)
	home := b.get("/")
	p := b.submit(home, url.Values{"redirect": {"https://evil.example/"}, "sig": {"00"}})
	p.wantStatus(t, http.StatusBadRequest)
	b.get("/").wantStatus(t, http.StatusOK)
}
