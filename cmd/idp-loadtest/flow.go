package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Steps of a flow, in order, as reported.
const (
	stepAuthorize = "authorize"
	stepPassword  = "password"
	stepTOTP      = "totp"
	stepExchange  = "exchange"
	stepVerify    = "verify"
	stepRefresh   = "refresh"
)

// Kinds of target server.
const (
	targetIDP     = "idp"     // this provider: hosted pages with TOTP
	targetExample = "example" // zitadel/oidc example server: username and password only
)

// target is the provider under test and the relying party's settings.
type target struct {
	kind   string
	issuer *url.URL
	// forwarded turns on one X-Forwarded-For client address per account.
	forwarded bool
	transport http.RoundTripper
	oauth     oauth2.Config
	verifier  *oidc.IDTokenVerifier
}

// newTarget discovers the provider at issuer.
func newTarget(ctx context.Context, kind, issuer, clientID, clientSecret, redirectURI string, transport http.RoundTripper) (*target, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--issuer %q: want an absolute URL", issuer)
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Transport: transport, Timeout: 30 * time.Second})
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", issuer, err)
	}
	return &target{
		kind:      kind,
		issuer:    u,
		transport: transport,
		oauth: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: clientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  redirectURI,
			Scopes:       []string{oidc.ScopeOpenID, "email", oidc.ScopeOfflineAccess},
		},
		// The key set is fetched once and then cached by go-oidc, as a
		// relying party does.
		verifier: p.Verifier(&oidc.Config{ClientID: clientID}),
	}, nil
}

// timings holds the duration of each step of one flow.
type timings map[string]time.Duration

// stepError is a failed step of a flow.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// timed runs f as step and records its duration in tm.
func timed(tm timings, step string, f func() error) error {
	start := time.Now()
	err := f()
	tm[step] = time.Since(start)
	if err != nil {
		return &stepError{step: step, err: err}
	}
	return nil
}

// authRequest is one authorization request of the relying party.
type authRequest struct {
	url, state, nonce, verifier string
}

func (t *target) newAuthRequest() authRequest {
	r := authRequest{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	r.url = t.oauth.AuthCodeURL(r.state, oauth2.S256ChallengeOption(r.verifier), oidc.Nonce(r.nonce))
	return r
}

// signIn runs one complete sign-in of account i of p in a new browser
// and returns the step timings and the tokens.
func (t *target) signIn(ctx context.Context, p *pool, i int) (timings, *oauth2.Token, error) {
	acct := p.accounts[i]
	tm := timings{}
	b := newBrowser(t.transport, t.issuer, t.clientAddr(i))
	r := t.newAuthRequest()

	var pg *page
	err := timed(tm, stepAuthorize, func() (err error) {
		pg, err = b.get(ctx, r.url)
		if err == nil && !pg.has("password") {
			err = fmt.Errorf("no sign-in form (status %d at %s)", pg.status, pg.url.Path)
		}
		return err
	})
	if err != nil {
		return tm, nil, err
	}
	if err := timed(tm, stepPassword, func() (err error) {
		pg, err = b.submit(ctx, pg, t.credentials(acct))
		return err
	}); err != nil {
		return tm, nil, err
	}
	if t.kind == targetIDP {
		if err := timed(tm, stepTOTP, func() error {
			if !pg.has("code") {
				return fmt.Errorf("no code form after the password (status %d at %s)", pg.status, pg.url.Path)
			}
			code, err := p.code(i)
			if err != nil {
				return err
			}
			if pg, err = b.submit(ctx, pg, map[string]string{"code": code}); err != nil {
				return err
			}
			if pg.location == nil {
				return fmt.Errorf("code rejected (status %d at %s)", pg.status, pg.url.Path)
			}
			return nil
		}); err != nil {
			return tm, nil, err
		}
	}
	var tok *oauth2.Token
	if err := timed(tm, stepExchange, func() (err error) {
		tok, err = t.exchange(ctx, pg, r)
		return err
	}); err != nil {
		return tm, nil, err
	}
	err = timed(tm, stepVerify, func() error { return t.verify(ctx, tok, r.nonce) })
	return tm, tok, err
}

// clientAddr returns the client address of account i: one of the
// benchmarking range 198.18.0.0/15 (RFC 2544), or "" without forwarding.
func (t *target) clientAddr(i int) string {
	if !t.forwarded {
		return ""
	}
	return fmt.Sprintf("198.18.%d.%d", i/250%256, i%250+1)
}

// credentials returns the sign-in form fields of the target.
func (t *target) credentials(acct *account) map[string]string {
	if t.kind == targetExample {
		return map[string]string{"username": acct.Email, "password": acct.Password}
	}
	return map[string]string{"email": acct.Email, "password": acct.Password}
}

// exchange reads the code from the redirect to the relying party and
// redeems it at the token endpoint.
func (t *target) exchange(ctx context.Context, p *page, r authRequest) (*oauth2.Token, error) {
	if p.location == nil {
		return nil, fmt.Errorf("no redirect to the relying party (status %d at %s)", p.status, p.url.Path)
	}
	q := p.location.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("relying party got error %q", e)
	}
	if q.Get("state") != r.state {
		return nil, fmt.Errorf("state mismatch")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: t.transport})
	return t.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(r.verifier))
}

// verify checks the ID token's signature, issuer, audience, expiry and
// nonce.
func (t *target) verify(ctx context.Context, tok *oauth2.Token, nonce string) error {
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return fmt.Errorf("token response has no id_token")
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Transport: t.transport})
	id, err := t.verifier.Verify(ctx, raw)
	if err != nil {
		return err
	}
	if id.Nonce != nonce {
		return fmt.Errorf("nonce mismatch")
	}
	return nil
}

// refresh redeems a refresh token at the token endpoint and returns the
// new one, because refresh tokens rotate on this provider and the example
// server returns a new one too.
func (t *target) refresh(ctx context.Context, refreshToken string) (string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.oauth.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(t.oauth.ClientID), url.QueryEscape(t.oauth.ClientSecret))
	resp, err := (&http.Client{Transport: t.transport}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&body); err != nil {
		return "", fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.RefreshToken == "" {
		return "", fmt.Errorf("status %d, error %q", resp.StatusCode, body.Error)
	}
	return body.RefreshToken, nil
}
