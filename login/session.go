package login

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// pendingLifetime is how long a session that passed only the password
// waits for its second factor.
const pendingLifetime = 15 * time.Minute

// maxUserAgent bounds the User-Agent stored with a session.
const maxUserAgent = 256

// Authentication method references (RFC 8176) of the sign-in steps.
const (
	amrPassword = "pwd"
	amrOTP      = "otp"
	amrRecovery = "recovery"
	amrMFA      = "mfa"
)

// currentSession returns the live session of the browser's session
// cookie, or ok=false when there is none.
func (h *Handler) currentSession(r *http.Request) (s store.Session, ok bool, err error) {
	token := h.readCookie(r, h.sessionKey)
	if token == "" {
		return store.Session{}, false, nil
	}
	s, err = h.store.SessionByTokenHash(r.Context(), secret.Hash(token), h.now())
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, false, nil
	}
	if err != nil {
		return store.Session{}, false, err
	}
	if s, err = h.applyIdleLock(r, s); err != nil {
		return store.Session{}, false, err
	}
	return s, true, nil
}

// startSession revokes any session of this browser and creates a new,
// incomplete one for a user who passed the password step.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, user store.User) error {
	ctx := r.Context()
	if old, ok, err := h.currentSession(r); err != nil {
		return err
	} else if ok {
		if err := h.store.RevokeSession(ctx, old.ID, h.now()); err != nil {
			return err
		}
	}

	now := h.now()
	token := secret.Token()
	s := store.Session{
		ID:        secret.ID(),
		TokenHash: secret.Hash(token),
		UserID:    user.ID,
		CreatedAt: now,
		UpdatedAt: now,
		ExpiresAt: now.Add(pendingLifetime),
		AuthTime:  now,
		AMR:       []string{amrPassword},
		UserAgent: truncate(r.UserAgent(), maxUserAgent),
		ClientIP:  h.clientAddr(r),
	}
	if err := h.store.CreateSession(ctx, s); err != nil {
		return err
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)
	return nil
}

// pendingSignIn returns the session of a sign-in that passed the password
// step and waits for its second factor, with its user. Without one it
// sends the browser back to the sign-in page and returns ok=false: the
// second-factor pages are the only ones such a session reaches, and they
// are reachable with nothing less.
func (h *Handler) pendingSignIn(w http.ResponseWriter, r *http.Request, req *store.AuthRequest) (store.Session, store.User, bool) {
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return store.Session{}, store.User{}, false
	}
	if !ok || s.Complete || !slices.Contains(s.AMR, amrPassword) {
		http.Redirect(w, r, withID(pathLogin, requestID(req)), http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}

	user, err := h.store.UserByID(r.Context(), s.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "load user", err)
		return store.Session{}, store.User{}, false
	}
	if err != nil || user.Status != store.UserActive {
		// Disabled while signing in.
		if err := h.store.RevokeSession(r.Context(), s.ID, h.now()); err != nil {
			h.serverError(w, r, "revoke session", err)
			return store.Session{}, store.User{}, false
		}
		http.Redirect(w, r, withID(pathLogin, requestID(req)), http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

// truncate returns s cut to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
