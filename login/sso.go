package login

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// singleSignOn completes req from the browser's session when the session
// satisfies it, and redirects to the provider's callback. Without an auth
// request, a complete session goes to the signed-in page. It returns false,
// writing nothing, when the user must sign in.
func (h *Handler) singleSignOn(w http.ResponseWriter, r *http.Request, req *store.AuthRequest) bool {
	ctx := r.Context()
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return true
	}
	if !ok || !s.Complete || !s.LockedAt.IsZero() {
		return false
	}
	if req == nil {
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return true
	}
	if !satisfies(req, s, h.now()) {
		return false
	}
	user, err := h.store.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Status != store.UserActive) {
		return false
	}
	if err != nil {
		h.serverError(w, r, "load user", err)
		return true
	}

	h.complete(w, r, req, s, http.StatusFound)
	return true
}

// satisfies reports whether a complete session may complete req without a
// new sign-in. The request must not carry prompt=login, and the session
// must be within max_age, belong to the user an id_token_hint names, and
// reach the weakest ACR that acr_values requests.
func satisfies(req *store.AuthRequest, s store.Session, now time.Time) bool {
	if slices.Contains(req.Prompt, oidc.PromptLogin) {
		return false
	}
	if req.MaxAge != nil && now.Sub(s.AuthTime) > time.Duration(*req.MaxAge)*time.Second {
		return false
	}
	if req.HintSubject != "" && req.HintSubject != s.UserID {
		return false
	}
	if want, _ := requestedACR(req); want != "" && !idp.ACRAtLeast(s.ACR, want) {
		return false
	}
	return true
}

// complete marks req done with what the session proves and redirects to
// the provider's callback.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, status int) {
	if h.redirectStepUp(w, r, req, s) {
		return
	}
	c := store.Completion{
		Subject:   s.UserID,
		AuthTime:  s.AuthTime,
		AMR:       s.AMR,
		ACR:       s.ACR,
		SessionID: s.ID,
	}
	err := h.store.CompleteAuthRequest(r.Context(), req.ID, req.BrowserHash, c, h.now())
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequest)
		return
	}
	if errors.Is(err, store.ErrConflict) {
		h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequestUsed)
		return
	}
	if err != nil {
		h.serverError(w, r, "complete auth request", err)
		return
	}
	http.Redirect(w, r, h.provider.CallbackURL(r.Context(), req.ID), status)
}
