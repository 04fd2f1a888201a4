package idp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// maxClaimsLength bounds the claims request parameter; a real one is a
// few hundred bytes.
const maxClaimsLength = 4096

var pathAuthorization = op.DefaultEndpoints.Authorization.Relative()

type claimsKey struct{}

// captureClaims hands the raw claims parameter of an authorization
// request to CreateAuthRequest through the context: the library parses
// no claims parameter, and its storage call receives only the context.
func (p *Provider) captureClaims(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathAuthorization {
			if raw := r.Form.Get("claims"); raw != "" {
				r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, raw))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// claimsFrom returns the claims parameter that captureClaims stored, or "".
func claimsFrom(ctx context.Context) string {
	raw, _ := ctx.Value(claimsKey{}).(string)
	return raw
}

// claimRequest is one member of the claims parameter (OpenID Connect
// Core 1.0, section 5.5.1).
type claimRequest struct {
	Essential bool     `json:"essential"`
	Value     *string  `json:"value"`
	Values    []string `json:"values"`
}

// essentialACR returns the acr values that the claims parameter raw
// requests as essential for the ID token, or nil when it requests none:
// absent, voluntary, or essential without values (which any acr meets).
// A malformed parameter is an error.
func essentialACR(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxClaimsLength {
		return nil, errors.New("claims parameter too long")
	}
	var claims struct {
		IDToken map[string]*claimRequest `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(raw), &claims); err != nil {
		return nil, err
	}
	acr := claims.IDToken["acr"]
	if acr == nil || !acr.Essential {
		return nil, nil
	}
	values := acr.Values
	if acr.Value != nil {
		values = append([]string{*acr.Value}, values...)
	}
	if len(values) == 0 {
		return nil, nil
	}
	return values, nil
}
