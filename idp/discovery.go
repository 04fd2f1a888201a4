package idp

import (
	"encoding/json"
	"net/http"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// supportedScopes are the scopes the provider grants; others are dropped
// from a request.
var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}

// supportedClaims are the claims the provider issues.
var supportedClaims = []string{
	"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
	"azp", "at_hash", "c_hash", "sid", "name", "locale", "email", "email_verified",
}

// serveDiscovery serves /.well-known/openid-configuration ahead of the
// library, whose document advertises what this provider does not offer
// (implicit and jwt-bearer grants, plain PKCE, private_key_jwt, the device
// endpoint) and omits acr_values_supported and response_modes_supported.
func (p *Provider) serveDiscovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != oidc.DiscoveryEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		doc, err := p.discoveryDocument(r)
		if err != nil {
			p.log.ErrorContext(r.Context(), "build discovery document", "err", err)
			writeOIDCError(w, oidc.ErrServerError(), http.StatusInternalServerError)
			return
		}
		httphelper.MarshalJSON(w, doc)
	})
}

// discoveryDocument returns the library's discovery configuration with the
// provider's corrections, as a map so that false values that the struct
// omits can be stated explicitly.
func (p *Provider) discoveryDocument(r *http.Request) (map[string]any, error) {
	cfg := op.CreateDiscoveryConfig(r.Context(), p.op, p.storage)
	cfg.DeviceAuthorizationEndpoint = ""
	cfg.ScopesSupported = supportedScopes
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment), string(oidc.ResponseModeFormPost)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	cfg.ACRValuesSupported = acrLevels
	cfg.ClaimsSupported = supportedClaims
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	cfg.RequestObjectSigningAlgValuesSupported = nil
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost}
	cfg.TokenEndpointAuthSigningAlgValuesSupported = nil
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost}
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
	// The library accepts only HTTP Basic at introspection.
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic}
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil

	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	// The claims parameter is read for an essential acr (claims.go). Its
	// other members are voluntary claims, which OpenID Connect Core 1.0
	// section 5.5 lets a provider leave out, and the scopes decide those.
	doc["claims_parameter_supported"] = true
	doc["request_parameter_supported"] = false
	doc["request_uri_parameter_supported"] = false
	return doc, nil
}
