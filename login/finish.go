package login

import (
	"net/http"
	"slices"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// done handles POST /login/2fa/done, the Done button under the recovery
// codes. It finishes only a sign-in whose session recorded the second
// factor just activated. A session that passed only the password is sent
// back to its second-factor step.
func (h *Handler) done(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	s, user, ok := h.pendingSignIn(w, r, req)
	if !ok {
		return
	}
	if s.SecondFactorAt.IsZero() || !slices.Contains(s.AMR, amrMFA) {
		next, err := h.secondFactorPage(r.Context(), user.ID)
		if err != nil {
			h.serverError(w, r, "choose second factor", err)
			return
		}
		http.Redirect(w, r, withID(next, requestID(req)), http.StatusSeeOther)
		return
	}
	h.finish(w, r, req, s, user, s.AMR, "totp_activation")
}

// finish completes a sign-in after its second factor: it replaces the
// session token, so a token observed before this point is worthless, marks
// the session complete, and completes the auth request or, without one,
// goes to the signed-in page.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User, amr []string, method string) {
	ctx, now := r.Context(), h.now()
	token := secret.Token()
	s.TokenHash = secret.Hash(token)
	s.Complete = true
	s.AuthTime, s.SecondFactorAt, s.UpdatedAt = now, now, now
	s.AMR, s.ACR = amr, idp.ACR2FA
	s.ExpiresAt = now.Add(h.lifetime)
	if err := h.store.UpdateSession(ctx, s); err != nil {
		h.serverError(w, r, "complete session", err)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)

	if err := h.store.RecordSignIn(ctx, user.ID, now); err != nil {
		h.logger.ErrorContext(ctx, "record sign-in time", "user_id", user.ID, "err", err)
	}
	h.audit(ctx, eventSignInSucceeded, user.ID, clientOf(req), h.clientAddr(r), map[string]string{"method": method})
	h.logger.InfoContext(ctx, "sign-in succeeded", "user_id", user.ID, "session_id", s.ID, "method", method)

	if req == nil {
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return
	}
	h.complete(w, r, req, s, http.StatusSeeOther)
}
