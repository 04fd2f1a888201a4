package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/pgtest"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// clusterUser is an account enrolled through the cluster, with the last
// TOTP time step it used, so that each sign-in can use a fresh code.
type clusterUser struct {
	email    string
	key      *otp.Key
	lastStep int64
}

// nextCode returns a code of the first time step after the last one used
// that the provider still accepts (one step of skew either way), waiting
// when every such step has been used.
func (u *clusterUser) nextCode(t *testing.T) string {
	t.Helper()
	for {
		current := time.Now().Unix() / 30
		step := max(u.lastStep+1, current-1)
		if step <= current+1 {
			u.lastStep = step
			code, err := totp.GenerateCode(u.key.Secret(), time.Unix(step*30, 0))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		time.Sleep(time.Second)
	}
}

// enrolAcross accepts an invitation and signs in for the first time with
// each step on alternating nodes: invitation, authorize and password on
// node A, then authenticator activation and recovery codes on node B,
// then the code exchange on node A.
func (c *cluster) enrolAcross(t *testing.T, rp *relyingParty, email string) (*clusterUser, tokens) {
	t.Helper()
	a, b := c.nodes[0], c.nodes[1]
	br := newBrowser(t, c.issuer)

	c.lb.use(a)
	acceptInvitation(t, br, c.invite(email), testPassword)
	r := rp.start()
	p := signInWithPassword(t, br, r, email, testPassword)

	c.lb.use(b)
	if p.has("method") {
		p = br.submit(p, map[string]string{"method": "totp"})
	}
	link := p.linkWithPrefix("otpauth://totp/")
	if link == "" {
		t.Fatalf("activation page has no otpauth link:\n%s", p.Body)
	}
	key, err := otp.NewKeyFromURL(link)
	if err != nil {
		t.Fatal(err)
	}
	u := &clusterUser{email: email, key: key, lastStep: time.Now().Unix()/30 - 2}
	p = br.submit(p, map[string]string{"code": u.nextCode(t), "password": testPassword})
	recoveryCodes(t, p)
	p = br.submit(p, map[string]string{})

	c.lb.use(a)
	return u, rp.exchange(t, p, r)
}

// signInCode signs u in with password and TOTP code through the load
// balancer and returns the authorization code, unredeemed.
func (c *cluster) signInCode(t *testing.T, rp *relyingParty, u *clusterUser) (string, authRequest) {
	t.Helper()
	br := newBrowser(t, c.issuer)
	r := rp.start()
	p := signInWithPassword(t, br, r, u.email, testPassword)
	if !p.has("code") {
		t.Fatalf("expected the authenticator code page:\n%s", p.Body)
	}
	p = br.submit(p, map[string]string{"code": u.nextCode(t)})
	return rp.codeFrom(t, p, r), r
}

func TestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts two servers")
	}
	c := startCluster(t, pgtest.Start(t))
	rp := c.relyingParty()

	t.Run("sign-in across nodes", func(t *testing.T) {
		u, first := c.enrolAcross(t, rp, "anna@example.com")
		wantAMR(t, first.claims(t).AMR, "pwd", "otp", "mfa")

		// Tokens issued by node A verify with node B's key set.
		if _, err := c.verifierOf(c.nodes[1], rp.config.ClientID).Verify(context.Background(), first.raw); err != nil {
			t.Fatalf("ID token from node A against node B's keys: %v", err)
		}

		// A sign-in that starts on node B finishes on node A, and that
		// token verifies with node A's keys.
		c.lb.use(c.nodes[1])
		br := newBrowser(t, c.issuer)
		r := rp.start()
		p := signInWithPassword(t, br, r, u.email, testPassword)
		c.lb.use(c.nodes[0])
		p = br.submit(p, map[string]string{"code": u.nextCode(t)})
		c.lb.use(c.nodes[1])
		second := rp.exchange(t, p, r)
		if _, err := c.verifierOf(c.nodes[0], rp.config.ClientID).Verify(context.Background(), second.raw); err != nil {
			t.Fatalf("ID token from node B against node A's keys: %v", err)
		}
	})

	t.Run("throttling shared", func(t *testing.T) {
		c.lb.use(c.nodes[0])
		br := newBrowser(t, c.issuer)
		acceptInvitation(t, br, c.invite("ben@example.com"), testPassword)
		p := br.get(rp.start().url)
		for i := range 5 {
			c.lb.use(c.nodes[i%2])
			p = br.submit(p, map[string]string{"email": "ben@example.com", "password": "wrong password " + string(rune('a'+i))})
			if p.alert() == "" {
				t.Fatalf("wrong password %d on node %s: no error shown", i+1, c.nodes[i%2].name)
			}
		}
		// Neither node alone saw five failures, yet the right password is
		// refused on both.
		for _, n := range c.nodes {
			c.lb.use(n)
			q := br.submit(p, map[string]string{"email": "ben@example.com", "password": testPassword})
			if q.has("method") || q.has("code") || q.Location != nil {
				t.Fatalf("node %s accepted the password right after five failures spread over two nodes", n.name)
			}
		}
	})

	t.Run("code redeemed once", func(t *testing.T) {
		u, _ := c.enrolAcross(t, rp, "carla@example.com")
		code, r := c.signInCode(t, rp, u)

		const perNode = 3
		statuses := make(chan int, 2*perNode)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			for range perNode {
				wg.Go(func() {
					<-start
					statuses <- redeem(t, n.url, rp, code, r.verifier)
				})
			}
		}
		close(start)
		wg.Wait()
		close(statuses)

		ok := 0
		for s := range statuses {
			switch {
			case s == http.StatusOK:
				ok++
			case s >= 500:
				t.Errorf("a concurrent redemption got status %d", s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent redemptions on two nodes succeeded, want exactly 1", ok, 2*perNode)
		}
	})

	t.Run("each email sent once", func(t *testing.T) {
		for i := range 6 {
			c.invite("guest" + strconv.Itoa(i) + "@example.com")
		}
		c.wantEmailsSentOnce(t)
	})

	t.Run("key rotation", func(t *testing.T) { c.rotateAcross(t, rp) })
}

// wantEmailsSentOnce waits until both nodes' senders have drained the
// shared outbox, then checks that each email was delivered exactly once:
// both nodes write to the same mail folder, one .eml file per delivery,
// named after the email's ID.
func (c *cluster) wantEmailsSentOnce(t *testing.T) {
	st, err := sqlstore.Open(context.Background(), c.databaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var emails []store.OutboundEmail
	drained := waitFor(20*time.Second, func() bool {
		emails, err = st.OutboxEmails(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range emails {
			if e.SentAt.IsZero() {
				return false
			}
		}
		return true
	})
	if !drained || len(emails) == 0 {
		t.Fatalf("outbox not drained within 20 s (%d emails)", len(emails))
	}

	files, err := filepath.Glob(filepath.Join(c.dir, "data", "mail", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	deliveries := map[string]int{}
	for _, f := range files {
		for _, e := range emails {
			if strings.HasSuffix(f, "-"+e.ID+".eml") {
				deliveries[e.ID]++
			}
		}
	}
	for _, e := range emails {
		if deliveries[e.ID] != 1 {
			t.Errorf("email %s (%s) delivered %d times, want once", e.ID, e.Kind, deliveries[e.ID])
		}
	}
	if len(files) != len(emails) {
		t.Errorf("%d mail files for %d outbox emails", len(files), len(emails))
	}
}

// keyIDs returns the key IDs that a node publishes at /keys.
func keyIDs(t *testing.T, n *node) []string {
	t.Helper()
	resp, err := http.Get(n.url + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KeyID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("/keys of node %s: %v", n.name, err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.KeyID)
	}
	return ids
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

// signedBy returns the kid of a compact JWS.
func signedBy(t *testing.T, raw string) string {
	t.Helper()
	header, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KeyID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KeyID
}

// rotateAcross publishes a new key from the command line and checks that
// both nodes publish it before either signs with it, and that after the
// handover tokens from each node carry it and verify with the other's
// keys.
func (c *cluster) rotateAcross(t *testing.T, rp *relyingParty) {
	var res struct {
		KeyID      string `json:"key_id"`
		ActiveFrom string `json:"active_from"`
	}
	out := c.idp("keys", "rotate", "--key-publish-ahead", "10s", "--json")
	if err := json.Unmarshal(out, &res); err != nil || res.KeyID == "" {
		t.Fatalf("idp keys rotate printed %q: %v", out, err)
	}
	activeFrom, err := time.Parse(time.RFC3339, res.ActiveFrom)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		if !waitFor(6*time.Second, func() bool { return slices.Contains(keyIDs(t, n), res.KeyID) }) {
			t.Fatalf("node %s does not publish the new key %s within 6 s", n.name, res.KeyID)
		}
	}

	u, before := c.enrolAcross(t, rp, "dora@example.com")
	if time.Now().Before(activeFrom) && signedBy(t, before.raw) == res.KeyID {
		t.Fatal("a token was signed with the new key before its activation time")
	}

	// After the handover (plus the key cache's 5 s) both nodes sign with
	// the new key.
	time.Sleep(time.Until(activeFrom) + 6*time.Second)
	for i, n := range c.nodes {
		c.lb.use(n)
		code, r := c.signInCode(t, rp, u)
		tok, err := rp.config.Exchange(context.Background(), code, oauth2.VerifierOption(r.verifier))
		if err != nil {
			t.Fatalf("exchange on node %s: %v", n.name, err)
		}
		raw, _ := tok.Extra("id_token").(string)
		if kid := signedBy(t, raw); kid != res.KeyID {
			t.Errorf("node %s signed with %s after the handover, want %s", n.name, kid, res.KeyID)
		}
		other := c.nodes[1-i]
		if _, err := c.verifierOf(other, rp.config.ClientID).Verify(context.Background(), raw); err != nil {
			t.Errorf("token of node %s against node %s's keys: %v", n.name, other.name, err)
		}
	}
	// The old key is still published for the tokens it signed.
	if _, err := c.verifierOf(c.nodes[1], rp.config.ClientID).Verify(context.Background(), before.raw); err != nil {
		t.Errorf("token signed before the rotation no longer verifies: %v", err)
	}
}

// redeem posts one authorization_code grant to a node's token endpoint
// and returns the status code.
func redeem(t *testing.T, nodeURL string, rp *relyingParty, code, verifier string) int {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {rp.config.RedirectURL},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequest(http.MethodPost, nodeURL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.config.ClientID), url.QueryEscape(rp.config.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusOK && body.Error != "invalid_grant" {
		t.Errorf("redemption on %s: status %d, error %q; want 200 or invalid_grant", nodeURL, resp.StatusCode, body.Error)
	}
	return resp.StatusCode
}
