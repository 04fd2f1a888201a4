package idp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// maxParamLength bounds the free-form auth request parameters that are
// stored (state, nonce, login_hint); a longer value is rejected.
const maxParamLength = 2048

// errUnsupportedResponseType is the RFC 6749 error for a response type the
// provider does not offer; pkg/oidc has no constructor for it.
func errUnsupportedResponseType() *oidc.Error {
	return &oidc.Error{
		ErrorType:   "unsupported_response_type",
		Description: "Only response_type=code is supported.",
	}
}

// CreateAuthRequest implements op.AuthStorage. The library has already
// validated the client, the redirect URI and the id_token_hint, whose
// subject is hintSubject. CreateAuthRequest applies the provider's own rules
// and stores every parameter for the hosted login. The library redirects an
// error returned here to the client with its state.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	c, err := s.clientByID(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	if err := checkAuthRequest(req, c); err != nil {
		return nil, err
	}
	essential, err := essentialACR(claimsFrom(ctx))
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("The claims parameter is not valid JSON of OpenID Connect Core 1.0, section 5.5.")
	}

	now := s.now()
	r := store.AuthRequest{
		ID:                  secret.ID(),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		State:               req.State,
		Nonce:               req.Nonce,
		Scopes:              req.Scopes,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		MaxAge:              maxAgeSeconds(req.MaxAge),
		ACRValues:           req.ACRValues,
		ACREssential:        essential,
		UILocales:           localeStrings(req.UILocales),
		LoginHint:           req.LoginHint,
		HintSubject:         hintSubject,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.authRequestLifetime),
	}
	if err := s.st.CreateAuthRequest(ctx, r); err != nil {
		return nil, oidc.ErrServerError().WithParent(fmt.Errorf("create auth request: %w", err))
	}
	return &authRequest{r: r}, nil
}

// checkAuthRequest applies the rules the library leaves open: code flow
// only, the openid scope, PKCE with S256 only (plain offers no protection
// against a stolen code) and mandatory for public clients, and bounded
// parameter sizes.
func checkAuthRequest(req *oidc.AuthRequest, c store.Client) error {
	if req.ResponseType != oidc.ResponseTypeCode {
		return errUnsupportedResponseType()
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return oidc.ErrInvalidScope().WithDescription("The openid scope is required.")
	}
	switch req.ResponseMode {
	case "", oidc.ResponseModeQuery, oidc.ResponseModeFragment, oidc.ResponseModeFormPost:
	default:
		return oidc.ErrInvalidRequest().WithDescription("Unsupported response_mode.")
	}

	if req.CodeChallenge == "" {
		if c.Public() {
			return oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256.")
		}
	} else {
		if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
			return oidc.ErrInvalidRequest().WithDescription("Only code_challenge_method=S256 is supported.")
		}
		if !validS256Challenge(req.CodeChallenge) {
			return oidc.ErrInvalidRequest().WithDescription("The code_challenge must be 43 base64url characters (SHA-256 of the verifier).")
		}
	}

	for _, p := range []string{req.State, req.Nonce, req.LoginHint} {
		if len(p) > maxParamLength {
			return oidc.ErrInvalidRequest().WithDescription("A request parameter is longer than %d bytes.", maxParamLength)
		}
	}
	return nil
}

// validS256Challenge reports whether v has the form of an S256 code
// challenge: the unpadded base64url encoding of 32 bytes (RFC 7636,
// section 4.2).
func validS256Challenge(v string) bool {
	if len(v) != 43 {
		return false
	}
	for _, r := range v {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

func maxAgeSeconds(v *uint) *int64 {
	if v == nil {
		return nil
	}
	n := int64(math.MaxInt64)
	if uint64(*v) < math.MaxInt64 {
		n = int64(*v)
	}
	return &n
}

func localeStrings(tags oidc.Locales) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.String())
	}
	return out
}

// errAuthRequestNotFound is the text of the library's 400 page for a
// callback whose auth request is missing or expired.
var errAuthRequestNotFound = errors.New("the sign-in request is unknown or has expired: start again from the application")

// AuthRequestByID implements op.AuthStorage. The library renders the error
// for a missing or expired request as a plain 400 page.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.st.AuthRequestByID(ctx, id, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errAuthRequestNotFound
	}
	if err != nil {
		s.log.ErrorContext(ctx, "load auth request", "auth_request_id", id, "err", err)
		return nil, fmt.Errorf("load auth request: %w", err)
	}
	return &authRequest{r: r}, nil
}

// SaveAuthCode implements op.AuthStorage. The code's hash is stored once:
// a reload of the callback gets a 400 page instead of a second code.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	err := s.st.SaveAuthCode(ctx, id, secret.Hash(code), s.now().Add(s.codeLifetime))
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return oidc.ErrInvalidRequestRedirectURI().
			WithDescription("This sign-in was already completed. Start again from the application.").
			WithParent(err)
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("save auth code: %w", err))
	}
	return nil
}

// AuthRequestByCode implements op.AuthStorage by consuming the code
// atomically, so that of concurrent exchanges exactly one succeeds. A code
// presented again makes the store revoke every token issued from it
// (RFC 6749, section 4.1.2). The library turns any error into invalid_grant.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.st.RedeemAuthCode(ctx, secret.Hash(code), s.now())
	if errors.Is(err, store.ErrReused) {
		s.log.WarnContext(ctx, "authorization code reused; tokens issued from it are revoked")
	}
	if err != nil {
		return nil, err
	}
	return &authRequest{r: r}, nil
}

// DeleteAuthRequest implements op.AuthStorage. Deleting a missing request
// succeeds, and the store keeps a request that has a code until it expires,
// so that a replayed code is still recognised.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := s.st.DeleteAuthRequest(ctx, id); err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("delete auth request: %w", err))
	}
	return nil
}
