package login_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

// invite creates an invited user and returns the path of the invitation.
func (e *env) invite(email string) string {
	e.t.Helper()
	_, link, err := login.InviteUser(context.Background(), e.st, e.url, login.Invite{Email: email, Name: "Bo Test"}, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.url+"/invite?token=") {
		e.t.Fatalf("invitation URL %q is not under the issuer", link)
	}
	return strings.TrimPrefix(link, e.url)
}

func TestInvitationAccept(t *testing.T) {
	e := newEnv(t)
	path := e.invite("bo@hotel.example")
	b := e.browser()
	form := b.get(path)
	form.wantStatus(t, http.StatusOK)
	for _, attr := range []string{`name="password_confirm"`, `name="accept_terms"`, `href="/terms"`, `autocomplete="new-password"`} {
		if !strings.Contains(form.body, attr) {
			t.Errorf("invitation form lacks %s", attr)
		}
	}

	done := b.submit(form, url.Values{"password": {testPassword}, "password_confirm": {testPassword}, "accept_terms": {"yes"}})
	done.wantStatus(t, http.StatusOK)
	if !strings.Contains(done.body, `href="/login"`) {
		t.Error("success page has no link to sign in")
	}
	u, err := e.st.UserByEmailKey(context.Background(), "bo@hotel.example")
	if err != nil || u.Status != store.UserActive || u.TermsAcceptedAt.IsZero() {
		t.Fatalf("user after acceptance: %+v, %v", u, err)
	}

	again := b.submit(form, url.Values{"password": {testPassword}, "password_confirm": {testPassword}, "accept_terms": {"yes"}})
	again.wantStatus(t, http.StatusBadRequest)
	b.get(path).wantStatus(t, http.StatusBadRequest)
	if e.auditCount("invitation.accepted") != 1 {
		t.Error("want one invitation.accepted event")
	}
}

func TestInvitationRejectsInput(t *testing.T) {
	e := newEnv(t)
	path := e.invite("bo@hotel.example")
	b := e.browser()
	form := b.get(path)
	cases := []struct {
		name   string
		values url.Values
	}{
		{"short password", url.Values{"password": {"short"}, "password_confirm": {"short"}, "accept_terms": {"yes"}}},
		{"blank password", url.Values{"password": {"            "}, "password_confirm": {"            "}, "accept_terms": {"yes"}}},
		{"mismatch", url.Values{"password": {testPassword}, "password_confirm": {testPassword + "x"}, "accept_terms": {"yes"}}},
		{"terms not accepted", url.Values{"password": {testPassword}, "password_confirm": {testPassword}}},
	}
	for _, tc := range cases {
		p := b.submit(form, tc.values)
		if p.status != http.StatusBadRequest || p.alert() == "" {
			t.Errorf("%s: status %d, alert %q; want 400 with an alert", tc.name, p.status, p.alert())
		}
	}
	u, _ := e.st.UserByEmailKey(context.Background(), "bo@hotel.example")
	if u.Status != store.UserInvited {
		t.Errorf("user status %s after rejected forms, want invited", u.Status)
	}
}

func TestInvitationInvalid(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, path := range []string{"/invite", "/invite?token=nonsense", "/invite?token=" + strings.Repeat("a", 4000)} {
		p := b.get(path)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "invitation") {
			t.Errorf("GET %s: status %d; want a 400 page about the invitation", path[:min(len(path), 40)], p.status)
		}
	}
}

func TestInvitationExpired(t *testing.T) {
	e := newEnv(t)
	path := e.invite("bo@hotel.example")
	b := e.browser()
	form := b.get(path)
	e.clock.Advance(login.InvitationLifetime + time.Minute)
	b.get(path).wantStatus(t, http.StatusBadRequest)
	p := b.submit(form, url.Values{"password": {testPassword}, "password_confirm": {testPassword}, "accept_terms": {"yes"}})
	p.wantStatus(t, http.StatusBadRequest)
}

func TestInvitationReissued(t *testing.T) {
	e := newEnv(t)
	old := e.invite("bo@hotel.example")
	u, _ := e.st.UserByEmailKey(context.Background(), "bo@hotel.example")
	link, err := login.ReissueInvitation(context.Background(), e.st, e.url, u.ID, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.get(old).wantStatus(t, http.StatusBadRequest)
	b.get(strings.TrimPrefix(link, e.url)).wantStatus(t, http.StatusOK)
}

func TestInviteUserDuplicate(t *testing.T) {
	e := newEnv(t)
	e.invite("bo@hotel.example")
	_, _, err := login.InviteUser(context.Background(), e.st, e.url, login.Invite{Email: " BO@hotel.example", Name: "Bo"}, e.clock.Now())
	if !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), "BO@hotel.example") {
		t.Errorf("duplicate invitation: err = %v, want ErrAlreadyExists naming the address", err)
	}
	for _, email := range []string{"", "no-at-sign", "@hotel.example", "bo@"} {
		if _, _, err := login.InviteUser(context.Background(), e.st, e.url, login.Invite{Email: email, Name: "Bo"}, e.clock.Now()); err == nil {
			t.Errorf("InviteUser(%q) succeeded", email)
		}
	}
}

func TestInvitationTokenHashed(t *testing.T) {
	e := newEnv(t)
	path := e.invite("bo@hotel.example")
	token := strings.TrimPrefix(path, "/invite?token=")
	if _, err := e.st.InvitationByHash(context.Background(), token, e.clock.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Error("the store finds the invitation under the clear token")
	}
	if _, err := e.st.InvitationByHash(context.Background(), secret.Hash(token), e.clock.Now()); err != nil {
		t.Errorf("the store lacks the token hash: %v", err)
	}
}
