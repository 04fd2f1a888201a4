package idp

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// Limits on a client registration, so that a typing slip cannot store
// something unusable and hostile input stays small.
const (
	maxClientNameLength = 200
	maxURIsPerList      = 20
	maxURILength        = 2000
)

// Client authentication methods, as OpenID Connect Dynamic Client
// Registration names them.
const (
	authMethodBasic = "client_secret_basic"
	authMethodNone  = "none"
)

// ClientSpec describes a relying party to register.
type ClientSpec struct {
	Name string
	// Type is store.AppTypeWeb or store.AppTypeNative.
	Type                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	PostLockRedirectURIs   []string
	BackchannelLogoutURI   string
	// Public registers a web client without a secret (a browser app that
	// authenticates with PKCE alone). Native clients are always public.
	Public bool
}

// ClientSpecError lists every problem found in a ClientSpec, so that an
// admin can fix them all in one go.
type ClientSpecError struct {
	Problems []string
}

func (e *ClientSpecError) Error() string {
	return "invalid client: " + strings.Join(e.Problems, "; ")
}

// RegisterClient validates spec and stores a new client with a generated
// client_id. A confidential client also gets a generated secret, which is
// returned once and stored only as its hash; clientSecret is empty for a
// public client. Validation problems are returned together as a
// *ClientSpecError and nothing is stored.
//
// Redirect URIs must be absolute and carry no fragment. A web client's use
// https, or http on a loopback host (localhost, 127.0.0.1, [::1]). A native
// client's use http on a loopback host, where any port matches at authorize
// time (RFC 8252), or a private-use scheme containing a dot such as
// com.example.app:/cb. The same rules apply to post-logout and post-lock
// redirect URIs.
func RegisterClient(ctx context.Context, st store.Clients, spec ClientSpec, now time.Time) (c store.Client, clientSecret string, err error) {
	if problems := validateClientSpec(spec); len(problems) > 0 {
		return store.Client{}, "", &ClientSpecError{Problems: problems}
	}

	c = store.Client{
		ID:                     secret.ID(),
		Name:                   strings.TrimSpace(spec.Name),
		ApplicationType:        spec.Type,
		AuthMethod:             authMethodNone,
		RedirectURIs:           dedupe(spec.RedirectURIs),
		PostLogoutRedirectURIs: dedupe(spec.PostLogoutRedirectURIs),
		PostLockRedirectURIs:   dedupe(spec.PostLockRedirectURIs),
		BackchannelLogoutURI:   spec.BackchannelLogoutURI,
		CreatedAt:              now,
	}
	if spec.Type == store.AppTypeWeb && !spec.Public {
		clientSecret = secret.Token()
		c.SecretHash = secret.Hash(clientSecret)
		c.AuthMethod = authMethodBasic
	}
	if err := st.CreateClient(ctx, c); err != nil {
		return store.Client{}, "", fmt.Errorf("register client: %w", err)
	}
	return c, clientSecret, nil
}

func validateClientSpec(spec ClientSpec) []string {
	var problems []string
	name := strings.TrimSpace(spec.Name)
	switch {
	case name == "":
		problems = append(problems, "name is missing")
	case len(name) > maxClientNameLength:
		problems = append(problems, fmt.Sprintf("name is longer than %d bytes", maxClientNameLength))
	}

	native := spec.Type == store.AppTypeNative
	if spec.Type != store.AppTypeWeb && !native {
		problems = append(problems, fmt.Sprintf("type %q is invalid: use %q or %q", spec.Type, store.AppTypeWeb, store.AppTypeNative))
		// The URI rules depend on the type, so checking them would only
		// add noise.
		return problems
	}

	if len(spec.RedirectURIs) == 0 {
		problems = append(problems, "at least one redirect URI is required")
	}
	problems = append(problems, validateURIList("redirect URI", spec.RedirectURIs, native)...)
	problems = append(problems, validateURIList("post-logout redirect URI", spec.PostLogoutRedirectURIs, native)...)
	problems = append(problems, validateURIList("post-lock redirect URI", spec.PostLockRedirectURIs, native)...)
	if spec.BackchannelLogoutURI != "" {
		// The provider's server calls this URI, so only https or a
		// loopback http URI make sense, whatever the client type.
		if p := validateURI(spec.BackchannelLogoutURI, false); p != "" {
			problems = append(problems, fmt.Sprintf("back-channel logout URI %q %s", spec.BackchannelLogoutURI, p))
		}
	}
	return problems
}

func validateURIList(what string, uris []string, native bool) []string {
	if len(uris) > maxURIsPerList {
		return []string{fmt.Sprintf("more than %d %ss", maxURIsPerList, what)}
	}
	var problems []string
	for _, u := range uris {
		if p := validateURI(u, native); p != "" {
			problems = append(problems, fmt.Sprintf("%s %q %s", what, truncate(u, 100), p))
		}
	}
	return problems
}

// validateURI returns what is wrong with a redirect URI for a web or
// native client, or "" when it is acceptable.
func validateURI(raw string, native bool) string {
	if len(raw) > maxURILength {
		return fmt.Sprintf("is longer than %d bytes", maxURILength)
	}
	if raw != strings.TrimSpace(raw) {
		return "has surrounding white space"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URI"
	}
	if u.Scheme == "" {
		return "is not absolute: it needs a scheme such as https://"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not contain a fragment (#)"
	}
	if u.User != nil {
		return "must not contain user information"
	}

	switch u.Scheme {
	case "https":
		if native {
			return "uses https, but native clients use a loopback http URI or a private-use scheme such as com.example.app:/cb"
		}
		if u.Host == "" {
			return "has no host"
		}
		return ""
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return "uses http on a host other than localhost, 127.0.0.1 or [::1]: use https"
		}
		return ""
	}

	if !native {
		return "uses a custom scheme, which only native clients may use"
	}
	if !strings.Contains(u.Scheme, ".") {
		return "uses a custom scheme without a dot: use a reverse domain name such as com.example.app:/cb"
	}
	if u.Opaque == "" && u.Path == "" && u.Host == "" {
		return "has nothing after the scheme"
	}
	return ""
}

// isLoopbackHost reports whether host is localhost or a loopback IP
// address, the hosts on which plain http stays on the user's machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func dedupe(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
