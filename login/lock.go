package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hotelsoft/idp/store"
)

// Audit events of the quick lock.
const (
	eventSessionLocked       = "session.locked"
	eventSessionUnlocked     = "session.unlocked"
	eventSessionUnlockFailed = "session.unlock_failed"
)

// Reasons of a lock, as the audit detail "reason".
const (
	lockByUser   = "user"   // the Lock button on the account page
	lockByClient = "client" // a relying party sent the browser to /lock
	lockByIdle   = "idle"   // no activity for Config.IdleLock
)

// activityStep is how stale a session's last activity must be before a
// page records new activity, so that browsing writes at most one row a
// minute per session.
const activityStep = time.Minute

type lockPage struct {
	ClientID string
	Redirect string
}

// applyIdleLock locks s when Config.IdleLock is set and the session saw
// no activity for that long, and otherwise records this request as
// activity. It returns s as it now is.
func (h *Handler) applyIdleLock(r *http.Request, s store.Session) (store.Session, error) {
	if h.idleLock <= 0 || !s.Complete || !s.LockedAt.IsZero() {
		return s, nil
	}
	ctx, now := r.Context(), h.now()
	idle := now.Sub(s.UpdatedAt)
	if idle < h.idleLock {
		if idle >= activityStep {
			// A lost touch only brings the idle lock closer, so it does
			// not fail the page.
			if err := h.store.TouchSession(ctx, s.ID, now); err != nil {
				h.logger.WarnContext(ctx, "record session activity", "session_id", s.ID, "err", err)
				return s, nil
			}
			s.UpdatedAt = now
		}
		return s, nil
	}

	lockedAt := s.UpdatedAt.Add(h.idleLock)
	if err := h.store.LockSession(ctx, s.ID, lockedAt); err != nil {
		return s, err
	}
	s.LockedAt = lockedAt
	h.audit(ctx, eventSessionLocked, s.UserID, "", h.clientAddr(r), map[string]string{"reason": lockByIdle})
	h.logger.InfoContext(ctx, "session locked", "user_id", s.UserID, "session_id", s.ID, "reason", lockByIdle)
	return s, nil
}

// showLock handles GET /lock, where a relying party sends the browser to
// lock the session, optionally with client_id and a registered
// post_lock_redirect_uri. Locking changes state, so it happens at once
// only when the browser's fetch metadata shows a navigation from this
// site or one the user started. Any other GET gets a confirmation form, so
// a link or an image on another site locks nothing.
func (h *Handler) showLock(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, ok := h.lockTarget(w, r, q.Get("client_id"), q.Get("post_lock_redirect_uri"))
	if !ok {
		return
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "same-site", "none":
		h.lockAndRedirect(w, r, page, lockByClient)
	default:
		h.render(w, r, view{page: pageLock, data: page})
	}
}

// lock handles POST /lock, from the confirmation form or the account
// page's Lock button.
func (h *Handler) lock(w http.ResponseWriter, r *http.Request) {
	page, ok := h.lockTarget(w, r, r.PostForm.Get("client_id"), r.PostForm.Get("post_lock_redirect_uri"))
	if !ok {
		return
	}
	reason := lockByClient
	if page.ClientID == "" {
		reason = lockByUser
	}
	h.lockAndRedirect(w, r, page, reason)
}

// lockTarget checks the client and its post-lock redirect URI. A redirect
// URI needs its client, and must be registered on it exactly. Anything
// else gets a 400 page and no redirect.
func (h *Handler) lockTarget(w http.ResponseWriter, r *http.Request, clientID, redirect string) (lockPage, bool) {
	page := lockPage{ClientID: clientID, Redirect: redirect}
	if clientID == "" && redirect == "" {
		return page, true
	}
	if clientID == "" || len(clientID) > maxIDLength || len(redirect) > maxRedirectLength {
		h.fail(w, r, http.StatusBadRequest, msgErrorLockLink)
		return lockPage{}, false
	}
	c, err := h.store.ClientByID(r.Context(), clientID)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, http.StatusBadRequest, msgErrorLockLink)
		return lockPage{}, false
	}
	if err != nil {
		h.serverError(w, r, "load client", err)
		return lockPage{}, false
	}
	if redirect != "" && !slices.Contains(c.PostLockRedirectURIs, redirect) {
		h.logger.WarnContext(r.Context(), "unregistered post-lock redirect URI rejected", "client_id", clientID, "ip", h.clientAddr(r))
		h.fail(w, r, http.StatusBadRequest, msgErrorLockLink)
		return lockPage{}, false
	}
	return page, true
}

// maxRedirectLength bounds a redirect URI read from a request.
const maxRedirectLength = 2048

// lockAndRedirect locks the browser's complete session, if it has one,
// and sends the browser to the post-lock redirect URI or to the unlock
// page.
func (h *Handler) lockAndRedirect(w http.ResponseWriter, r *http.Request, page lockPage, reason string) {
	ctx := r.Context()
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	if ok && s.Complete && s.LockedAt.IsZero() {
		if err := h.lockSession(ctx, s, page.ClientID, h.clientAddr(r), reason); err != nil {
			h.serverError(w, r, "lock session", err)
			return
		}
	}
	if page.Redirect != "" {
		http.Redirect(w, r, page.Redirect, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, pathUnlock, http.StatusSeeOther)
}

func (h *Handler) lockSession(ctx context.Context, s store.Session, clientID, ip, reason string) error {
	err := h.store.LockSession(ctx, s.ID, h.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil // revoked meanwhile: nothing left to lock
	}
	if err != nil {
		return err
	}
	h.audit(ctx, eventSessionLocked, s.UserID, clientID, ip, map[string]string{"reason": reason})
	h.logger.InfoContext(ctx, "session locked", "user_id", s.UserID, "session_id", s.ID, "reason", reason)
	return nil
}

// redirectLocked sends the browser to the unlock page when its session is
// complete and locked, keeping the auth request or the page to return to.
// It returns false, writing nothing, for any other session.
func (h *Handler) redirectLocked(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, returnTo string) bool {
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return true
	}
	if !ok || !s.Complete || s.LockedAt.IsZero() {
		return false
	}
	http.Redirect(w, r, unlockURL(requestID(req), returnTo), http.StatusSeeOther)
	return true
}

// unlockURL returns the unlock page for an auth request or, without one,
// for a page to return to.
func unlockURL(authRequestID, returnTo string) string {
	q := url.Values{}
	if authRequestID != "" {
		q.Set("id", authRequestID)
	} else if returnTo != "" && returnTo != pathHome {
		q.Set("return", returnTo)
	}
	if len(q) == 0 {
		return pathUnlock
	}
	return pathUnlock + "?" + q.Encode()
}

// returnPage returns the page an unlock returns to: one of the pages that
// send locked sessions to the unlock page, or the signed-in page. It never
// returns a URL from elsewhere, so the parameter cannot redirect off-site.
func returnPage(raw string) string {
	if raw == pathAccount {
		return pathAccount
	}
	return pathHome
}
