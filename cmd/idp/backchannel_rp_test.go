package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// lockingRP is a second relying party of the test server: it registers a
// post-lock redirect URI and a back-channel logout URI, and its logout
// endpoint verifies every logout token it receives with go-oidc.
type lockingRP struct {
	*relyingParty
	client store.Client

	mu      sync.Mutex
	logouts map[string]*oidc.LogoutToken // by sid
	errs    []error
}

const testLockURI = "http://127.0.0.1:9/locked"

// lockingRP registers the client, starts its logout endpoint and starts
// the provider's back-channel worker with a short poll.
func (s *testServer) lockingRP(t *testing.T) *lockingRP {
	t.Helper()
	rp := &lockingRP{logouts: map[string]*oidc.LogoutToken{}}
	var verifier *oidc.IDTokenVerifier
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.PostFormValue("logout_token")
		err := checkLogoutHeader(raw)
		var tok *oidc.LogoutToken
		if err == nil {
			tok, err = verifier.VerifyLogout(r.Context(), raw)
		}
		rp.mu.Lock()
		defer rp.mu.Unlock()
		if err != nil {
			rp.errs = append(rp.errs, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rp.logouts[tok.SessionID] = tok
	}))
	t.Cleanup(endpoint.Close)

	c, secretValue, err := idp.RegisterClient(context.Background(), s.app.store, idp.ClientSpec{
		Name:                 "Front desk",
		Type:                 "web",
		RedirectURIs:         []string{"http://127.0.0.1:9/front-desk/callback"},
		PostLockRedirectURIs: []string{testLockURI},
		BackchannelLogoutURI: endpoint.URL + "/backchannel-logout",
	}, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rp.client = c
	p, err := oidc.NewProvider(context.Background(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	verifier = p.Verifier(&oidc.Config{ClientID: c.ID, Now: s.clock.Now})
	rp.relyingParty = &relyingParty{
		provider: p,
		config: oauth2.Config{
			ClientID: c.ID, ClientSecret: secretValue, Endpoint: p.Endpoint(),
			RedirectURL: c.RedirectURIs[0], Scopes: []string{oidc.ScopeOpenID, "email"},
		},
		verifier: verifier,
	}

	stop := s.app.provider.StartBackchannelLogout(context.Background(), idp.BackchannelConfig{Poll: 20 * time.Millisecond})
	t.Cleanup(stop)
	return rp
}

// checkLogoutHeader checks the JOSE header's typ, which go-oidc does not.
func checkLogoutHeader(raw string) error {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return err
	}
	var h struct {
		Typ string `json:"typ"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	if h.Typ != "logout+jwt" {
		return &headerError{typ: h.Typ}
	}
	return nil
}

type headerError struct{ typ string }

func (e *headerError) Error() string { return "logout token typ " + e.typ + ", want logout+jwt" }

// received returns the logout token about sid, if one arrived, and fails
// the test if the endpoint rejected any token.
func (rp *lockingRP) received(t *testing.T, sid string) *oidc.LogoutToken {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.errs) > 0 {
		t.Fatalf("logout endpoint rejected a token: %v", rp.errs[0])
	}
	return rp.logouts[sid]
}

// waitLogout waits for a verified logout token about sid.
func (rp *lockingRP) waitLogout(t *testing.T, sid string) *oidc.LogoutToken {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if tok := rp.received(t, sid); tok != nil {
			return tok
		}
	}
	t.Fatalf("no logout token for sid %q", sid)
	return nil
}

// noLogout checks that no logout token about sid arrives for a while.
func (rp *lockingRP) noLogout(t *testing.T, sid string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if rp.received(t, sid) != nil {
		t.Fatalf("unexpected logout token for live session %q", sid)
	}
}
