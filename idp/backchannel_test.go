package idp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// logoutEndpoint is a relying party's back-channel logout URI that
// answers with the statuses in order, then 200, and records every body.
type logoutEndpoint struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	tokens   []string
}

func newLogoutEndpoint(t *testing.T, statuses ...int) *logoutEndpoint {
	t.Helper()
	le := &logoutEndpoint{statuses: statuses}
	le.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		le.mu.Lock()
		defer le.mu.Unlock()
		le.tokens = append(le.tokens, r.PostFormValue("logout_token"))
		status := http.StatusOK
		if len(le.statuses) > 0 {
			status, le.statuses = le.statuses[0], le.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(le.srv.Close)
	return le
}

func (le *logoutEndpoint) received() []string {
	le.mu.Lock()
	defer le.mu.Unlock()
	return append([]string(nil), le.tokens...)
}

// endedSession signs the user in at r under a stored session and revokes
// that session, and returns its ID.
func (e *env) endedSession(r *rp) string {
	e.t.Helper()
	c := e.completion()
	now := e.clock.Now()
	err := e.st.CreateSession(e.ctx, store.Session{
		ID: c.SessionID, TokenHash: "hash-" + c.SessionID, UserID: e.user.ID, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(time.Hour), AuthTime: now, AMR: c.AMR, ACR: c.ACR, Complete: true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	code, verifier := e.codeFlow(r, c)
	if _, err := r.conf.Exchange(e.rpContext(), code, oauth2.VerifierOption(verifier)); err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	if err := e.st.RevokeSession(e.ctx, c.SessionID, now); err != nil {
		e.t.Fatal(err)
	}
	return c.SessionID
}

func (e *env) logoutRP(uri string) *rp {
	return e.newRP(idp.ClientSpec{
		Name: "Front desk", Type: store.AppTypeWeb,
		RedirectURIs: []string{"https://desk.example.com/callback"}, BackchannelLogoutURI: uri,
	})
}

func (e *env) startLogouts() {
	stop := e.p.StartBackchannelLogout(e.ctx, idp.BackchannelConfig{Poll: 10 * time.Millisecond, Timeout: time.Second, MaxAttempts: 3})
	e.t.Cleanup(stop)
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestLogoutTokenClaims(t *testing.T) {
	e := newEnv(t)
	le := newLogoutEndpoint(t)
	r := e.logoutRP(le.srv.URL + "/logout")
	sid := e.endedSession(r)
	e.startLogouts()
	waitFor(t, "a logout token", func() bool { return len(le.received()) == 1 })

	raw := le.received()[0]
	var header struct {
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(strings.Split(raw, ".")[0], &header); err != nil {
		t.Fatal(err)
	}
	if header.Typ != "logout+jwt" || header.Kid == "" {
		t.Errorf("header typ %q kid %q, want logout+jwt and a key ID", header.Typ, header.Kid)
	}
	tok, err := r.verifier.VerifyLogout(e.rpContext(), raw)
	if err != nil {
		t.Fatalf("VerifyLogout: %v", err)
	}
	if tok.SessionID != sid || tok.Subject != e.user.ID || tok.TokenID == "" {
		t.Errorf("logout token sid %q sub %q jti %q; want sid %q sub %q and a jti", tok.SessionID, tok.Subject, tok.TokenID, sid, e.user.ID)
	}
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["nonce"]; ok {
		t.Error("logout token has a nonce")
	}
	if exp := tok.Expiry.Sub(tok.IssuedAt); exp <= 0 || exp > 5*time.Minute {
		t.Errorf("logout token lives %s, want a few minutes", exp)
	}
}

func TestLogoutRetriesServerErrors(t *testing.T) {
	e := newEnv(t)
	le := newLogoutEndpoint(t, http.StatusServiceUnavailable, http.StatusInternalServerError)
	r := e.logoutRP(le.srv.URL + "/logout")
	e.endedSession(r)
	e.startLogouts()

	waitFor(t, "the first attempt", func() bool { return len(le.received()) == 1 })
	e.clock.Advance(11 * time.Second)
	waitFor(t, "the second attempt", func() bool { return len(le.received()) == 2 })
	e.clock.Advance(21 * time.Second)
	waitFor(t, "the third attempt", func() bool { return len(le.received()) == 3 })

	// Delivered: nothing is left to send.
	e.clock.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if n := len(le.received()); n != 3 {
		t.Errorf("%d attempts after success, want 3", n)
	}
}

func TestLogoutGivesUpOnRejection(t *testing.T) {
	e := newEnv(t)
	le := newLogoutEndpoint(t, http.StatusBadRequest)
	r := e.logoutRP(le.srv.URL + "/logout")
	e.endedSession(r)
	e.startLogouts()

	waitFor(t, "the audit event", func() bool {
		events, err := e.st.AuditEvents(e.ctx, store.AuditFilter{Event: "session.backchannel_logout_failed"})
		return err == nil && len(events) == 1
	})
	e.clock.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if n := len(le.received()); n != 1 {
		t.Errorf("%d attempts after a 400, want 1", n)
	}
}

func TestLogoutNotSentToOtherClients(t *testing.T) {
	e := newEnv(t)
	le := newLogoutEndpoint(t)
	e.logoutRP(le.srv.URL + "/logout") // registered, but no tokens in the session
	plain := e.webRP()
	e.endedSession(plain)
	e.startLogouts()
	time.Sleep(100 * time.Millisecond)
	if n := len(le.received()); n != 0 {
		t.Errorf("a client without tokens in the session got %d logout tokens", n)
	}
}

func TestDiscoveryBackchannelLogout(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"backchannel_logout_supported", "backchannel_logout_session_supported"} {
		if doc[key] != true {
			t.Errorf("%s = %v, want true", key, doc[key])
		}
	}
}
