package idp

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// codeExchangeParams are the token request parameters that checkCodeExchange
// reads. Each may appear once (RFC 6749, section 3.2), so that this check
// and the library cannot read different values.
var codeExchangeParams = []string{
	"grant_type", "code", "redirect_uri", "code_verifier",
	"client_id", "client_secret", "client_assertion", "client_assertion_type",
}

// guardCodeExchange checks an authorization_code token request in full
// before the library sees it. The library consumes the code (through
// AuthRequestByCode) before it authenticates the client and checks PKCE, so
// without this guard anyone who saw a code could burn it, and anyone who
// saw a used one could revoke the user's tokens. A request that fails here
// gets the OAuth error and changes nothing; one that passes reaches the
// library, which consumes the code, or revokes the tokens issued from it
// when the client presents it again.
func (p *Provider) guardCodeExchange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pathToken || r.Form.Get("grant_type") != string(oidc.GrantTypeCode) {
			next.ServeHTTP(w, r)
			return
		}
		if err := p.checkCodeExchange(r); err != nil {
			p.writeExchangeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkCodeExchange authenticates the client and checks the code against
// its auth request without consuming it. The form is already parsed.
func (p *Provider) checkCodeExchange(r *http.Request) error {
	for _, name := range codeExchangeParams {
		if len(r.Form[name]) > 1 {
			return oidc.ErrInvalidRequest().WithDescription("The parameter %s is repeated.", name)
		}
	}
	c, err := p.authenticateClient(r)
	if err != nil {
		return err
	}
	code := r.Form.Get("code")
	if code == "" {
		return oidc.ErrInvalidRequest().WithDescription("The code is missing.")
	}
	ar, err := p.storage.st.AuthRequestByCodeHash(r.Context(), secret.Hash(code), p.now())
	if errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidGrant().WithDescription("The code is unknown or has expired.")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("look up auth code: %w", err))
	}
	if ar.ClientID != c.ID {
		return oidc.ErrInvalidGrant().WithDescription("The code was issued to another client.")
	}
	if r.Form.Get("redirect_uri") != ar.RedirectURI {
		return oidc.ErrInvalidGrant().WithDescription("The redirect_uri differs from the one in the authorization request.")
	}
	return checkVerifier(ar, r.Form.Get("code_verifier"), c.Public())
}

// authenticateClient returns the client that the request authenticates:
// a confidential client by its secret, in the Authorization header
// (client_secret_basic) or the body (client_secret_post), a public client
// by its client_id alone. Failures are invalid_client.
func (p *Provider) authenticateClient(r *http.Request) (store.Client, error) {
	if r.Form.Get("client_assertion") != "" || r.Form.Get("client_assertion_type") != "" {
		return store.Client{}, oidc.ErrInvalidClient().WithDescription("Client assertions are not supported.")
	}
	id, sec := r.Form.Get("client_id"), r.Form.Get("client_secret")
	if basicID, basicSecret, ok := r.BasicAuth(); ok {
		if sec != "" {
			return store.Client{}, oidc.ErrInvalidRequest().WithDescription("Use one client authentication method.")
		}
		// RFC 6749, section 2.3.1: both parts are form-urlencoded.
		var err1, err2 error
		basicID, err1 = url.QueryUnescape(basicID)
		basicSecret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return store.Client{}, oidc.ErrInvalidClient().WithDescription("The Authorization header is malformed.")
		}
		if id != "" && id != basicID {
			return store.Client{}, oidc.ErrInvalidRequest().WithDescription("The client_id differs from the Authorization header.")
		}
		id, sec = basicID, basicSecret
	}
	if id == "" {
		return store.Client{}, oidc.ErrInvalidClient().WithDescription("The client_id is missing.")
	}
	c, err := p.storage.clientByID(r.Context(), id)
	if err != nil {
		return store.Client{}, err
	}
	if c.Public() {
		return c, nil
	}
	if sec == "" || c.SecretHash == "" || !secret.Equal(secret.Hash(sec), c.SecretHash) {
		return store.Client{}, oidc.ErrInvalidClient().WithDescription("invalid client_id or client_secret")
	}
	return c, nil
}

// checkVerifier checks the PKCE verifier against the stored S256
// challenge (RFC 7636, section 4.6). A stored challenge requires a
// verifier, a verifier requires a stored challenge, and a public client
// always has one.
func checkVerifier(ar store.AuthRequest, verifier string, public bool) error {
	if ar.CodeChallenge == "" {
		if verifier != "" || public {
			return oidc.ErrInvalidGrant().WithDescription("The authorization request had no code_challenge.")
		}
		return nil
	}
	if verifier == "" {
		return oidc.ErrInvalidGrant().WithDescription("The code_verifier is missing.")
	}
	if ar.CodeChallengeMethod != string(oidc.CodeChallengeMethodS256) {
		return oidc.ErrInvalidGrant().WithDescription("Only code_challenge_method=S256 is supported.")
	}
	sum := sha256.Sum256([]byte(verifier))
	if !secret.Equal(base64.RawURLEncoding.EncodeToString(sum[:]), ar.CodeChallenge) {
		return oidc.ErrInvalidGrant().WithDescription("The code_verifier does not match the code_challenge.")
	}
	return nil
}

// writeExchangeError answers a rejected token request: invalid_client with
// 401 and a Basic challenge (RFC 6749, section 5.2), a store fault with
// 500, anything else with 400. The response is never cached.
func (p *Provider) writeExchangeError(w http.ResponseWriter, r *http.Request, err error) {
	e := oidc.DefaultToServerError(err, "token request failed")
	status := http.StatusBadRequest
	switch e.ErrorType {
	case oidc.InvalidClient:
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	case oidc.ServerError:
		status = http.StatusInternalServerError
		p.log.ErrorContext(r.Context(), "check token request", "err", e.Parent)
		e = oidc.ErrServerError()
	}
	if status != http.StatusInternalServerError {
		p.log.InfoContext(r.Context(), "token request rejected", "error", string(e.ErrorType), "description", e.Description)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeOIDCError(w, e, status)
}
