package login

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

type unlockPage struct {
	Action string
	Switch string // form action of "sign in as someone else"
	Name   string
	Email  string
	// PasskeyBegin and PasskeyFinish are the endpoints of the passkey
	// button, empty when the user has no key.
	PasskeyBegin  string
	PasskeyFinish string
}

// showUnlock handles GET /unlock: the password form of a locked session,
// and a passkey button when the user has a key. A session that is not
// locked goes on to where the browser was going.
func (h *Handler) showUnlock(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	_, user, ok := h.lockedSession(w, r, req)
	if !ok {
		return
	}
	h.renderUnlock(w, r, req, user, view{})
}

// unlock handles POST /unlock. The password alone unlocks while the
// session's second factor is younger than Config.UnlockFactorAge. With an
// older one, the password turns the session back into a sign-in waiting
// for its second factor, which the usual pages then ask for. Either way the
// browser returns to the auth request or the page it was on.
func (h *Handler) unlock(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	s, user, ok := h.lockedSession(w, r, req)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	pw := r.PostForm.Get("password")
	if pw == "" || len(pw) > password.MaxBytes {
		h.renderUnlock(w, r, req, user, view{status: http.StatusBadRequest, alert: msgSignInFailed})
		return
	}

	verified, err := h.throttled(ctx, throttle.StepUnlock, user.ID, ip, func() (bool, error) {
		_, ok, err := h.checkPassword(ctx, user.EmailKey, pw)
		return ok, err
	})
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepUnlock})
		h.renderUnlock(w, r, req, user, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	}
	if err != nil {
		h.serverError(w, r, "check unlock password", err)
		return
	}
	if !verified {
		h.audit(ctx, eventSessionUnlockFailed, user.ID, clientOf(req), ip, nil)
		h.renderUnlock(w, r, req, user, view{status: http.StatusBadRequest, alert: msgSignInFailed})
		return
	}

	next, err := h.reopen(w, r, req, s, user, false)
	if err != nil {
		h.serverError(w, r, "unlock session", err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// reopen unlocks the locked session s of user after the password or, with
// passkey set, a passkey with user verification, and returns the page to
// go to next. The password alone leaves the second factor due when it is
// older than Config.UnlockFactorAge, so the session turns back into a
// sign-in waiting for it; a passkey with user verification is both
// factors at once and renews the second factor too. The session keeps its
// ID, so the applications signed in with it stay signed in.
func (h *Handler) reopen(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User, passkey bool) (string, error) {
	ctx, now := r.Context(), h.now()
	token := secret.Token()
	s.TokenHash = secret.Hash(token)
	s.LockedAt = time.Time{}
	s.AuthTime, s.UpdatedAt = now, now
	if passkey {
		s.SecondFactorAt = now
	}
	factorDue := s.ACR != idp.ACR1FA && now.Sub(s.SecondFactorAt) > h.factorAge
	if factorDue {
		s.Complete = false
		s.AMR, s.ACR = []string{amrPassword}, ""
		s.ExpiresAt = now.Add(pendingLifetime)
	} else {
		// A complete session lasts Config.SessionLifetime from its last
		// interactive sign-in, which the unlock just was.
		s.ExpiresAt = now.Add(h.lifetime)
	}
	if err := h.store.UpdateSession(ctx, s); err != nil {
		return "", err
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)
	detail := map[string]string{"second_factor": "not_asked", "method": "password"}
	if factorDue {
		detail["second_factor"] = "asked"
	}
	if passkey {
		detail["method"] = "passkey"
	}
	h.audit(ctx, eventSessionUnlocked, user.ID, clientOf(req), h.clientAddr(r), detail)
	h.logger.InfoContext(ctx, "session unlocked", "user_id", user.ID, "session_id", s.ID, "method", detail["method"], "second_factor_asked", factorDue)

	switch {
	case factorDue:
		page, err := h.secondFactorPage(ctx, user.ID)
		if err != nil {
			return "", err
		}
		return withID(page, requestID(req)), nil
	case req != nil:
		// The sign-in page completes the request by single sign-on, with
		// every check of the request (max_age, acr_values, prompt).
		return withID(pathLogin, req.ID), nil
	}
	return returnPage(r.URL.Query().Get("return")), nil
}

// switchUser handles POST /unlock/switch, "sign in as someone else" on
// the unlock page of a shared computer: it ends the locked session like
// sign-out and starts a new sign-in for the same auth request.
func (h *Handler) switchUser(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	ctx := r.Context()
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	if ok {
		now := h.now()
		if err := h.store.RevokeSession(ctx, s.ID, now); err != nil {
			h.serverError(w, r, "revoke session", err)
			return
		}
		if err := h.store.RevokeSessionTokens(ctx, s.ID, now); err != nil {
			h.serverError(w, r, "revoke session tokens", err)
			return
		}
		h.audit(ctx, eventSignedOut, s.UserID, clientOf(req), h.clientAddr(r), map[string]string{"reason": "switch_user"})
	}
	h.setCookie(w, h.sessionKey, "", time.Time{})
	http.Redirect(w, r, withID(pathLogin, requestID(req)), http.StatusSeeOther)
}

// lockedSession returns the browser's locked session and its user. A
// session that is not locked is sent on to where the browser was going,
// and a browser without a complete session to the sign-in page. Then it
// returns ok=false.
func (h *Handler) lockedSession(w http.ResponseWriter, r *http.Request, req *store.AuthRequest) (store.Session, store.User, bool) {
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return store.Session{}, store.User{}, false
	}
	if !ok || !s.Complete {
		http.Redirect(w, r, withID(pathLogin, requestID(req)), http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	if s.LockedAt.IsZero() {
		next := returnPage(r.URL.Query().Get("return"))
		if req != nil {
			next = withID(pathLogin, req.ID)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	user, err := h.store.UserByID(r.Context(), s.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "load user", err)
		return store.Session{}, store.User{}, false
	}
	if err != nil || user.Status != store.UserActive {
		if err := h.store.RevokeSession(r.Context(), s.ID, h.now()); err != nil {
			h.serverError(w, r, "revoke session", err)
			return store.Session{}, store.User{}, false
		}
		http.Redirect(w, r, withID(pathLogin, requestID(req)), http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

func (h *Handler) renderUnlock(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User, v view) {
	action := unlockURL(requestID(req), returnPage(r.URL.Query().Get("return")))
	v.page, v.uiLocales = pageUnlock, uiLocales(req)
	v.userLocale = user.Locale
	page := unlockPage{
		Action: action,
		Switch: withID(pathUnlockSwitch, requestID(req)),
		Name:   user.Name,
		Email:  user.Email,
	}
	withKey, err := h.canUnlockWithKey(r, user.ID)
	if err != nil {
		h.serverError(w, r, "list security keys", err)
		return
	}
	if withKey {
		// The endpoints take the query of the form: the auth request or
		// the page to return to.
		query := strings.TrimPrefix(action, pathUnlock)
		page.PasskeyBegin, page.PasskeyFinish = pathUnlockPasskeyBegin+query, pathUnlockPasskeyFinish+query
	}
	v.data = page
	h.render(w, r, v)
}
