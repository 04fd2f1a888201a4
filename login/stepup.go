package login

import (
	"context"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// stepUpFreshness is how recent the second factor of a session must be
// for the user to register a first security key in it. An older session
// signs in again first, so that nobody who finds an unlocked computer can
// add their own key to someone else's account.
const stepUpFreshness = 15 * time.Minute

// errUnmetRequirements is the OpenID Connect Core error (section 3.1.2.6
// as amended by the Unmet Authentication Requirements 1.0 specification)
// for a request whose authentication requirements cannot be met.
func errUnmetRequirements() *oidc.Error {
	return &oidc.Error{
		ErrorType:   "unmet_authentication_requirements",
		Description: "The requested authentication context cannot be met.",
	}
}

// requestedACR returns the weakest level that completes req, or "" when
// it requests none. An essential acr claim (the claims parameter) takes
// precedence over acr_values. Unknown values are ignored, but an
// essential claim that names only unknown values cannot be met, which
// unmet reports; acr_values with only unknown values are voluntary and
// ask for nothing.
func requestedACR(req *store.AuthRequest) (level string, unmet bool) {
	if req == nil {
		return "", false
	}
	if len(req.ACREssential) > 0 {
		level = idp.RequiredACR(req.ACREssential)
		return level, level == ""
	}
	return idp.RequiredACR(req.ACRValues), false
}

// rejectUnmet returns unmet_authentication_requirements to the relying
// party when req can never be met, and reports whether it did.
func (h *Handler) rejectUnmet(w http.ResponseWriter, r *http.Request, req *store.AuthRequest) bool {
	if _, unmet := requestedACR(req); !unmet {
		return false
	}
	h.logger.InfoContext(r.Context(), "auth request asks for an unknown essential acr", "client_id", req.ClientID)
	h.provider.AuthRequestError(w, r, req.ID, errUnmetRequirements())
	return true
}

// startStepUp sends a browser whose complete session falls short of the
// request's level only by its acr to the page that adds the missing
// factor, and reports whether it did. Without a way to step up in place
// (a first key in a session whose second factor is stale) the user signs
// in again from the password.
func (h *Handler) startStepUp(w http.ResponseWriter, r *http.Request, req *store.AuthRequest) bool {
	if req == nil {
		return false
	}
	s, ok, err := h.currentSession(r)
	if err != nil || !ok || !s.Complete || !s.LockedAt.IsZero() {
		return false
	}
	level, _ := requestedACR(req)
	if level == "" || idp.ACRAtLeast(s.ACR, level) {
		return false
	}
	// Every other requirement must hold already: only the level is short.
	above := *req
	above.ACRValues, above.ACREssential = nil, nil
	if !satisfies(&above, s, h.now()) {
		return false
	}
	target, err := h.stepUpTarget(r.Context(), s, level)
	if err != nil {
		h.serverError(w, r, "choose step-up page", err)
		return true
	}
	if target == "" {
		return false
	}
	http.Redirect(w, r, withID(target, req.ID), http.StatusSeeOther)
	return true
}

// stepUpTarget returns the page where the complete session s reaches
// level without a new sign-in, or "" when it cannot. Only "phr" steps up
// in place: with a registered key, or by registering a first one while
// the session's second factor is fresh.
func (h *Handler) stepUpTarget(ctx context.Context, s store.Session, level string) (string, error) {
	if level != idp.ACRPhishingResistant || h.relyingParty == nil {
		return "", nil
	}
	creds, err := h.store.WebAuthnCredentials(ctx, s.UserID)
	if err != nil {
		return "", err
	}
	if len(creds) > 0 {
		return pathKeyVerify, nil
	}
	if h.now().Sub(s.SecondFactorAt) <= stepUpFreshness && !s.SecondFactorAt.IsZero() {
		return pathKeyRegister, nil
	}
	return "", nil
}

// redirectStepUp is called before an auth request is completed from the
// complete session s. When s is below the request's level it sends the
// browser to the step-up page and returns true. A level that cannot be
// reached in place ends the request with unmet_authentication_requirements.
func (h *Handler) redirectStepUp(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session) bool {
	level, _ := requestedACR(req)
	if level == "" || idp.ACRAtLeast(s.ACR, level) {
		return false
	}
	target, err := h.stepUpTarget(r.Context(), s, level)
	if err != nil {
		h.serverError(w, r, "choose step-up page", err)
		return true
	}
	if target == "" {
		// NOTE: only a session whose factors are all older than
		// stepUpFreshness or weaker than "2fa" gets here; a fresh sign-in
		// reaches every level.
		h.logger.InfoContext(r.Context(), "auth request level not reached", "client_id", req.ClientID, "acr", s.ACR, "want", level)
		h.provider.AuthRequestError(w, r, req.ID, errUnmetRequirements())
		return true
	}
	http.Redirect(w, r, withID(target, req.ID), http.StatusSeeOther)
	return true
}

// cancelStepUp handles POST /login/2fa/webauthn/cancel: a user who cannot
// use a security key returns to the relying party, which learns that its
// requirements were not met.
func (h *Handler) cancelStepUp(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	if req == nil {
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return
	}
	h.audit(r.Context(), eventStepUpCancelled, "", req.ClientID, h.clientAddr(r), nil)
	h.provider.AuthRequestError(w, r, req.ID, errUnmetRequirements())
}
