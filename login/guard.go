package login

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// GuardCallback wraps the provider's /authorize/callback, where the
// provider issues the authorization code of a completed auth request. The
// provider library issues a code to anyone holding the request ID. The
// guard lets through only the browser the request is bound to, and only
// while it holds a complete session of the request's subject. Every other request gets a
// 400 page and never reaches next.
func (h *Handler) GuardCallback(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.checkCallback(r); err != nil {
			if errors.Is(err, errCallbackDenied) {
				h.logger.WarnContext(r.Context(), "callback rejected", "ip", h.clientAddr(r), "err", err)
				h.setSecurityHeaders(w)
				h.fail(w, r, http.StatusBadRequest, msgErrorCallback)
				return
			}
			h.setSecurityHeaders(w)
			h.serverError(w, r, "check callback", err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errCallbackDenied = errors.New("callback denied")

// checkCallback returns nil when the callback request may proceed, an
// error wrapping errCallbackDenied when it may not, and any other error on
// a store failure.
func (h *Handler) checkCallback(r *http.Request) error {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	browserID := h.readCookie(r, h.browserKey)
	if id == "" || len(id) > maxIDLength || browserID == "" {
		return fmt.Errorf("%w: missing auth request ID or browser cookie", errCallbackDenied)
	}

	req, err := h.store.AuthRequestByID(ctx, id, h.now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: unknown or expired auth request", errCallbackDenied)
	}
	if err != nil {
		return err
	}
	if !secret.Equal(req.BrowserHash, browserHash(browserID)) {
		return fmt.Errorf("%w: auth request bound to another browser", errCallbackDenied)
	}
	if req.DoneAt.IsZero() || req.Subject == "" {
		return fmt.Errorf("%w: auth request not completed", errCallbackDenied)
	}

	s, ok, err := h.currentSession(r)
	if err != nil {
		return err
	}
	if !ok || !s.Complete || !s.LockedAt.IsZero() || s.UserID != req.Subject || s.ID != req.SessionID {
		return fmt.Errorf("%w: no complete session of the request's subject", errCallbackDenied)
	}
	return nil
}
