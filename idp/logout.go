package idp

import (
	"context"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hotelsoft/idp/idp/secret"
)

// defaultLogoutRedirect is the sign-out page's redirect target when the
// relying party named no registered post_logout_redirect_uri.
const defaultLogoutRedirect = "/logged-out"

// logoutMACContext namespaces the logout signature, so that no other MAC
// under PurposeLinkSigning can stand in for it.
const logoutMACContext = "logout-redirect"

// LogoutURL returns the hosted sign-out page's URL under issuer, carrying
// the redirect target and its signature. The end_session endpoint has
// already checked redirectURI against the client's registered post-logout
// redirect URIs. The signature lets the sign-out page trust the target
// without becoming an open redirect.
func LogoutURL(keys *secret.Keys, issuer, redirectURI string) string {
	q := url.Values{
		"redirect": {redirectURI},
		"sig":      {keys.MAC(secret.PurposeLinkSigning, logoutMACContext, redirectURI)},
	}
	return strings.TrimSuffix(issuer, "/") + "/logout?" + q.Encode()
}

// VerifyLogoutRedirect reports whether sig is LogoutURL's signature of
// redirectURI, comparing in constant time.
func VerifyLogoutRedirect(keys *secret.Keys, redirectURI, sig string) bool {
	return secret.Equal(keys.MAC(secret.PurposeLinkSigning, logoutMACContext, redirectURI), sig)
}

// TerminateSessionFromRequest implements op.CanTerminateSessionFromRequest.
// The provider cannot see the browser's session cookie, so it ends nothing
// itself: it sends the browser to the sign-out page, which clears the
// session after a CSRF-safe confirmation and then follows the signed
// redirect. req.RedirectURI is the validated post_logout_redirect_uri (with
// state) or the default.
func (s *storage) TerminateSessionFromRequest(_ context.Context, req *op.EndSessionRequest) (string, error) {
	redirect := req.RedirectURI
	if redirect == "" {
		redirect = defaultLogoutRedirect
	}
	return LogoutURL(s.keys, s.issuer, redirect), nil
}
