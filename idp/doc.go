// Package idp is the OpenID Provider: it adapts github.com/zitadel/oidc/v3
// pkg/op to the persistence contract in package store and patches the
// library's gaps.
//
// The library parses and validates protocol requests, signs tokens and
// serves discovery and JWKS. This package stores everything through
// store.Store and adds what the library leaves to storage:
//   - single-use authorization codes,
//   - refresh-token rotation, with family revocation on reuse,
//   - expiry and revocation checks at userinfo and introspection,
//   - PKCE with S256, required for every public client,
//   - the amr, acr, auth_time and sid claims,
//   - an explicit CORS policy and Cache-Control: no-store on token responses.
//
// The hosted login pages are not part of this package. /authorize redirects
// the browser to the login page ("/login?id=..."). The login pages complete
// the auth request in the store and redirect to Provider.CallbackURL, where
// the provider issues the code.
package idp
