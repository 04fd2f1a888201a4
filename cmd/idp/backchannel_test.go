package main

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

// signInAgain signs the enrolled user in once more in browser b, with the
// password and a fresh TOTP code, and returns the tokens of rp.
func signInAgain(t *testing.T, s *testServer, rp *relyingParty, b *browser, u enrolledUser) tokens {
	t.Helper()
	s.clock.Advance(31 * time.Second)
	r := rp.start()
	p := signInWithPassword(t, b, r, u.email, testPassword)
	return rp.exchange(t, b.submit(p, map[string]string{"code": totpCode(t, u.key, s.clock.Now())}), r)
}

// frontDeskSignIn has the front-desk relying party sign in by single
// sign-on in b, so that it holds tokens of b's session, and returns the
// session's sid.
func frontDeskSignIn(t *testing.T, front *lockingRP, b *browser) string {
	t.Helper()
	r := front.start()
	return front.exchange(t, b.get(r.url), r).claims(t).SID
}

func TestBackchannelLogout(t *testing.T) {
	cases := []struct {
		name string
		// end ends the session of ended. keep is another signed-in
		// browser of the same user.
		end func(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser)
		// others reports whether the way ends only the other sessions,
		// so keep's session must live on.
		others bool
	}{
		{"relying party sign-out", endByRPLogout, false},
		{"sign out everywhere else", endByAccountSignOutOthers, true},
		{"password change", endByPasswordChange, true},
		{"password reset", endByPasswordReset, false},
		{"reset 2FA", endByReset2FA, false},
		{"user disabled", endByDisable, false},
	}
	forEachBackend(t, func(t *testing.T, s *testServer) {
		rp, front := s.relyingParty(t), s.lockingRP(t)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ended, keep := newBrowser(t, s.url), newBrowser(t, s.url)
				u := enrolWithBrowser(t, s, rp, ended, "user"+string(rune('a'+i))+"@example.com")
				endedSID := frontDeskSignIn(t, front, ended)
				signInAgain(t, s, rp, keep, u)
				keepSID := frontDeskSignIn(t, front, keep)

				tc.end(t, s, rp, u, ended, keep)

				tok := front.waitLogout(t, endedSID)
				if tok.Subject != u.first.claims(t).Subject || !slices.Equal(tok.Audience, []string{front.client.ID}) {
					t.Errorf("logout token sub %q aud %v; want sub %q aud [%s]", tok.Subject, tok.Audience, u.first.claims(t).Subject, front.client.ID)
				}
				if tc.others {
					front.noLogout(t, keepSID)
				} else {
					front.waitLogout(t, keepSID)
				}
			})
		}
	})
}

func endByRPLogout(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	q := url.Values{"id_token_hint": {u.first.raw}, "post_logout_redirect_uri": {"http://127.0.0.1:9/signed-out"}}
	p := ended.get(s.url + "/end_session?" + q.Encode())
	p = ended.submit(p, map[string]string{})
	if p.Location == nil {
		t.Fatalf("sign-out did not return to the relying party: at %s", p.URL.Path)
	}
	// The other browser's session ends by its own sign-out.
	p = keep.get(s.url + "/account")
	keep.post(s.url+"/logout", url.Values{"csrf_token": {csrfOf(t, p)}})
}

func endByAccountSignOutOthers(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	p := keep.get(s.url + "/account")
	p = keep.post(s.url+"/account/sessions", url.Values{"csrf_token": {csrfOf(t, p)}})
	wantPath(t, p, "/account")
	wantPath(t, ended.get(s.url+"/account"), "/login")
}

func endByPasswordChange(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	p := keep.get(s.url + "/account")
	p = keep.submit(p, map[string]string{"current_password": testPassword, "password": newTestPassword, "password_confirm": newTestPassword})
	wantPath(t, p, "/account")
	wantPath(t, ended.get(s.url+"/account"), "/login")
}

func endByPasswordReset(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	ctx, now := context.Background(), s.clock.Now()
	user := s.user(t, u.email)
	notice, err := s.app.mail.Notification(user, language.English, mail.EventPasswordReset, "")
	if err != nil {
		t.Fatal(err)
	}
	hash := secret.Hash(secret.Token())
	reset := store.PasswordReset{TokenHash: hash, UserID: user.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.app.store.RequestPasswordReset(ctx, reset, notice); err != nil {
		t.Fatal(err)
	}
	notice.ID = secret.ID()
	if _, err := s.app.store.ResetPassword(ctx, hash, user.PasswordHash, false, now, notice); err != nil {
		t.Fatal(err)
	}
}

func endByReset2FA(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	if err := s.app.store.Reset2FA(context.Background(), s.user(t, u.email).ID, s.clock.Now(), nil); err != nil {
		t.Fatal(err)
	}
}

func endByDisable(t *testing.T, s *testServer, rp *relyingParty, u enrolledUser, ended, keep *browser) {
	err := s.app.store.SetUserStatus(context.Background(), s.user(t, u.email).ID, store.UserDisabled, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
}
