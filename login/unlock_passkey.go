package login

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// beginUnlockPasskey handles POST /unlock/passkey/begin, the passkey
// button of the unlock page. The options allow only the keys of the
// locked session's user and require user verification, because the
// passkey replaces the password.
func (h *Handler) beginUnlockPasskey(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.lockedCeremony(w, r)
	if !ok {
		return
	}
	err := h.beginAssertion(w, r, user, s.ID, ceremonyUnlock, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		h.logger.ErrorContext(r.Context(), "begin passkey unlock", "user_id", user.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
	}
}

// finishUnlockPasskey handles POST /unlock/passkey/finish. An assertion of
// one of the session user's keys, with the UV flag set, unlocks that same
// session (see reopen). A key of anyone else is rejected, and the session
// stays locked. Failures count at the throttle like wrong codes.
func (h *Handler) finishUnlockPasskey(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.lockedCeremony(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	a, err := h.throttledAssertion(ctx, user.ID, ip, func() (assertion, error) {
		return h.verifyCeremony(r, req, user, s.ID, ceremonyUnlock)
	})
	if err == nil && !a.userVerified {
		// The options require UV; this guards the unlock.
		err = errors.Join(ErrWebAuthnRejected, errors.New("user not verified"))
	}
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepUnlock})
		h.jsonError(w, r, req, http.StatusTooManyRequests, msgThrottled)
		return
	case errors.Is(err, ErrWebAuthnRejected):
		h.logger.InfoContext(ctx, "passkey unlock rejected", "user_id", user.ID, "err", err)
		h.audit(ctx, eventSessionUnlockFailed, user.ID, clientOf(req), ip, map[string]string{"method": "passkey"})
		h.jsonError(w, r, req, http.StatusBadRequest, msgKeyFailed)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "verify passkey unlock", "user_id", user.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	next, err := h.reopen(w, r, req, s, user, true)
	if err != nil {
		h.logger.ErrorContext(ctx, "unlock session", "user_id", user.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	jsonNext(w, next)
}

// lockedCeremony loads the auth request and the locked session of an
// unlock endpoint. A browser that belongs elsewhere is sent there.
func (h *Handler) lockedCeremony(w http.ResponseWriter, r *http.Request) (*store.AuthRequest, store.Session, store.User, bool) {
	req, ok := h.ceremonyAuthRequest(w, r)
	if !ok {
		return nil, store.Session{}, store.User{}, false
	}
	s, user, ok := h.jsonSession(w, r, func(w http.ResponseWriter, r *http.Request) (store.Session, store.User, bool) {
		return h.lockedSession(w, r, req)
	})
	return req, s, user, ok
}

// canUnlockWithKey reports whether the unlock page offers the passkey
// button: security keys are on and the user has one.
func (h *Handler) canUnlockWithKey(r *http.Request, userID string) (bool, error) {
	if h.relyingParty == nil {
		return false, nil
	}
	keys, err := h.store.WebAuthnCredentials(r.Context(), userID)
	return len(keys) > 0, err
}
