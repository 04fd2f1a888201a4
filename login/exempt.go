package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// passwordOnly reports whether the user may finish the sign-in with the
// password alone: they are on the 2FA exception list, and the auth
// request, if any, asks for no more than acr "1fa", by acr_values or by
// an essential acr claim (see requestedACR). A request that asks for a
// stronger level takes the user through the second factor as anyone else.
func (h *Handler) passwordOnly(ctx context.Context, req *store.AuthRequest, userID string) (bool, error) {
	if level, unmet := requestedACR(req); unmet || !idp.ACRAtLeast(idp.ACR1FA, level) {
		return false, nil
	}
	_, err := h.store.Exemption(ctx, userID, h.now())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// finishPasswordOnly signs in a user on the exception list after the
// password step. It replaces any session of this browser with a complete
// one whose amr is ["pwd"] and acr "1fa". Then it completes the auth
// request or, without one, goes to the signed-in page.
func (h *Handler) finishPasswordOnly(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User) {
	ctx, now := r.Context(), h.now()
	if old, ok, err := h.currentSession(r); err != nil {
		h.serverError(w, r, "load session", err)
		return
	} else if ok {
		if err := h.store.RevokeSession(ctx, old.ID, now); err != nil {
			h.serverError(w, r, "revoke session", err)
			return
		}
	}
	token := secret.Token()
	s := store.Session{
		ID:        secret.ID(),
		TokenHash: secret.Hash(token),
		UserID:    user.ID,
		CreatedAt: now,
		UpdatedAt: now,
		ExpiresAt: now.Add(h.lifetime),
		AuthTime:  now,
		AMR:       []string{amrPassword},
		ACR:       idp.ACR1FA,
		Complete:  true,
		UserAgent: truncate(r.UserAgent(), maxUserAgent),
		ClientIP:  h.clientAddr(r),
	}
	if err := h.store.CreateSession(ctx, s); err != nil {
		h.serverError(w, r, "create session", err)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)

	if err := h.store.RecordSignIn(ctx, user.ID, now); err != nil {
		h.logger.ErrorContext(ctx, "record sign-in time", "user_id", user.ID, "err", err)
	}
	h.audit(ctx, eventSignInSucceeded, user.ID, clientOf(req), h.clientAddr(r), map[string]string{"method": "password_only"})
	h.logger.InfoContext(ctx, "sign-in succeeded", "user_id", user.ID, "session_id", s.ID, "method", "password_only")
	if req == nil {
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return
	}
	h.complete(w, r, req, s, http.StatusSeeOther)
}
