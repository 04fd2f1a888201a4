package idp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0). When a
// session ends, every client that received tokens under it and registered
// a backchannel_logout_uri gets a signed logout token by POST. The store
// finds ended sessions itself (store.BackchannelLogouts), so the hosted
// pages, the admin tools and the token endpoint only revoke sessions, and
// a worker on each node sends what the shared queue holds.
const (
	// backchannelEvent is the member of the events claim that marks a
	// logout token.
	backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"
	// logoutTokenType is the JWT typ header the specification recommends,
	// so that a logout token cannot pass as an ID token.
	logoutTokenType = "logout+jwt"
	// logoutTokenLifetime bounds how long a logout token is accepted. It is
	// short because each attempt signs a fresh one.
	logoutTokenLifetime = 2 * time.Minute
)

// BackchannelConfig tunes the back-channel logout worker. Zero fields take
// the Default... constants of the same name.
type BackchannelConfig struct {
	// Poll is how often the worker looks for ended sessions and due
	// deliveries.
	Poll time.Duration
	// Timeout bounds one POST to a client.
	Timeout time.Duration
	// MaxAttempts is how many times one delivery is tried before it is
	// given up.
	MaxAttempts int
	// Client sends the requests. Nil means a client with Timeout that
	// follows no redirects.
	Client *http.Client
}

// Defaults of BackchannelConfig.
const (
	DefaultBackchannelPoll        = time.Second
	DefaultBackchannelTimeout     = 5 * time.Second
	DefaultBackchannelMaxAttempts = 8
)

const (
	// backchannelBatch is how many sessions and deliveries one poll takes.
	backchannelBatch = 20
	// backchannelFirstRetry is the delay after the first failure. Each
	// further failure doubles it, up to backchannelMaxRetry.
	backchannelFirstRetry = 10 * time.Second
	backchannelMaxRetry   = time.Hour
)

// StartBackchannelLogout starts the worker that sends logout tokens and
// returns a function that stops it and waits for it to finish. It runs
// until ctx ends or stop is called. Every node may run one: nodes claim
// deliveries from the shared queue, so each is sent once per attempt.
func (p *Provider) StartBackchannelLogout(ctx context.Context, cfg BackchannelConfig) (stop func()) {
	setDefault(&cfg.Poll, DefaultBackchannelPoll)
	setDefault(&cfg.Timeout, DefaultBackchannelTimeout)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultBackchannelMaxAttempts
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout: cfg.Timeout,
			// A client's response is final, and following a redirect would
			// send the token to a URI that no client registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(cfg.Poll)
		defer ticker.Stop()
		for {
			p.sendLogouts(ctx, cfg)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// sendLogouts queues the deliveries of sessions that ended since the last
// poll and sends every delivery that is due, concurrently.
func (p *Provider) sendLogouts(ctx context.Context, cfg BackchannelConfig) {
	st := p.storage.st
	now := p.now()
	if _, err := st.QueueEndedSessions(ctx, now, backchannelBatch); err != nil {
		if ctx.Err() == nil {
			p.log.ErrorContext(ctx, "queue back-channel logouts", "err", err)
		}
		return
	}
	// The lease outlasts every attempt, so no other node claims a
	// delivery that is still being sent.
	deliveries, err := st.ClaimLogoutDeliveries(ctx, now, 2*cfg.Timeout, backchannelBatch)
	if err != nil {
		if ctx.Err() == nil {
			p.log.ErrorContext(ctx, "claim back-channel logouts", "err", err)
		}
		return
	}
	var wg sync.WaitGroup
	for _, d := range deliveries {
		wg.Go(func() { p.deliverLogout(ctx, cfg, d) })
	}
	wg.Wait()
}

// deliverLogout sends one logout token and records the outcome: a
// success or a rejection by the client removes the delivery, a failure
// schedules a retry until MaxAttempts is reached.
func (p *Provider) deliverLogout(ctx context.Context, cfg BackchannelConfig, d store.LogoutDelivery) {
	st := p.storage.st
	log := p.log.With("session_id", d.SessionID, "client_id", d.ClientID, "attempt", d.Attempts)

	retry, err := p.postLogoutToken(ctx, cfg, d)
	if err == nil || !retry || d.Attempts >= cfg.MaxAttempts {
		switch {
		case err == nil:
			log.InfoContext(ctx, "back-channel logout delivered")
		default:
			log.WarnContext(ctx, "back-channel logout given up", "err", err)
			p.auditLogoutFailure(ctx, d, err)
		}
		if err := st.DeleteLogoutDelivery(ctx, d.SessionID, d.ClientID); err != nil {
			log.ErrorContext(ctx, "delete back-channel logout", "err", err)
		}
		return
	}

	delay := backchannelFirstRetry << min(d.Attempts-1, 20)
	next := p.now().Add(min(delay, backchannelMaxRetry))
	log.WarnContext(ctx, "back-channel logout failed; will retry", "retry_at", next, "err", err)
	if err := st.RetryLogoutDelivery(ctx, d.SessionID, d.ClientID, next); err != nil {
		log.ErrorContext(ctx, "schedule back-channel logout retry", "err", err)
	}
}

// postLogoutToken signs a logout token for d and POSTs it. retry reports
// whether a failure may pass on a later attempt: network errors and 5xx
// responses may, but a 4xx response (the client rejected the token) does not.
func (p *Provider) postLogoutToken(ctx context.Context, cfg BackchannelConfig, d store.LogoutDelivery) (retry bool, err error) {
	token, err := p.LogoutToken(ctx, d.ClientID, d.Subject, d.SessionID)
	if err != nil {
		return true, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	body := url.Values{"logout_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URI, strings.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cfg.Client.Do(req)
	if err != nil {
		// The error may quote the URI, never the token.
		return true, fmt.Errorf("post logout token: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("client answered %s", resp.Status)
	}
	return false, fmt.Errorf("client answered %s", resp.Status)
}

// logoutClaims are the claims of a logout token. It has no nonce, which
// is what keeps it from being accepted as an ID token.
type logoutClaims struct {
	Issuer    string              `json:"iss"`
	Audience  string              `json:"aud"`
	IssuedAt  int64               `json:"iat"`
	Expiry    int64               `json:"exp"`
	JWTID     string              `json:"jti"`
	Events    map[string]struct{} `json:"events"`
	SessionID string              `json:"sid,omitempty"`
	Subject   string              `json:"sub,omitempty"`
}

// LogoutToken returns a logout token for the client about the session sid
// of subject, signed with the provider's current signing key and typed
// logout+jwt.
func (p *Provider) LogoutToken(ctx context.Context, clientID, subject, sid string) (string, error) {
	key, err := p.storage.SigningKey(ctx)
	if err != nil {
		return "", fmt.Errorf("logout token: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType(logoutTokenType),
	)
	if err != nil {
		return "", fmt.Errorf("logout token: create signer: %w", err)
	}
	now := p.now()
	payload, err := json.Marshal(logoutClaims{
		Issuer:    p.issuer,
		Audience:  clientID,
		IssuedAt:  now.Unix(),
		Expiry:    now.Add(logoutTokenLifetime).Unix(),
		JWTID:     secret.ID(),
		Events:    map[string]struct{}{backchannelEvent: {}},
		SessionID: sid,
		Subject:   subject,
	})
	if err != nil {
		return "", fmt.Errorf("logout token: encode claims: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("logout token: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// auditLogoutFailure records a logout token that never reached its
// client, so that operators can tell which relying party kept a session.
func (p *Provider) auditLogoutFailure(ctx context.Context, d store.LogoutDelivery, cause error) {
	e := store.AuditEvent{
		Time:     p.now(),
		Event:    "session.backchannel_logout_failed",
		UserID:   d.Subject,
		ClientID: d.ClientID,
		Detail:   map[string]string{"session_id": d.SessionID, "error": cause.Error()},
	}
	if err := p.storage.st.AddAuditEvent(ctx, e); err != nil {
		p.log.ErrorContext(ctx, "record audit event", "event", e.Event, "err", err)
	}
}
