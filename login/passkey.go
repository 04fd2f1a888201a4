package login

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// beginPasskey handles POST /login/passkey/begin, the "Sign in with a
// passkey" button of the sign-in page. The options name no user and no
// credential, so the authenticator offers the passkeys it holds for this
// RP ID, and they require user verification: the passkey is the only
// factor of this sign-in, and its PIN or biometric replaces the
// password.
func (h *Handler) beginPasskey(w http.ResponseWriter, r *http.Request) {
	req, ok := h.ceremonyAuthRequest(w, r)
	if !ok {
		return
	}
	assertion, data, err := h.relyingParty.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err == nil {
		err = h.saveCeremony(r, ceremonyPasskey, "", "", data)
	}
	if err != nil {
		h.logger.ErrorContext(r.Context(), "begin passkey sign-in", "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	writeJSON(w, http.StatusOK, assertion)
}

// finishPasskey handles POST /login/passkey/finish. The user handle in
// the response names the user; the assertion must verify against that
// user's credentials with the UV flag set. The browser then gets a new,
// complete session with amr ["hwk","user","pin","mfa"] and acr "phr".
// Failed assertions of a known user count at the throttle like wrong
// authenticator codes, per user and client address.
func (h *Handler) finishPasskey(w http.ResponseWriter, r *http.Request) {
	req, ok := h.ceremonyAuthRequest(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	user, a, err := h.verifyPasskey(r, req)
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": "passkey"})
		h.jsonError(w, r, req, http.StatusTooManyRequests, msgThrottled)
		return
	}
	if errors.Is(err, ErrWebAuthnRejected) {
		h.logger.InfoContext(ctx, "passkey sign-in rejected", "user_id", user.ID, "ip", ip, "err", err)
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": "passkey"})
		h.jsonError(w, r, req, http.StatusBadRequest, msgKeyFailed)
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "verify passkey", "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	if !a.userVerified {
		// The library requires UV for these options; this guards the amr.
		h.jsonError(w, r, req, http.StatusBadRequest, msgKeyFailed)
		return
	}

	s, err := h.replaceSession(r, user)
	if err != nil {
		h.logger.ErrorContext(ctx, "start session", "user_id", user.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	amr := []string{amrHardwareKey, amrUser, amrPIN, amrMFA}
	h.completeSession(w, r, req, s, user, amr, "passkey")
}

// verifyPasskey checks a discoverable assertion. The user it returns is
// set as soon as the handle names an account, also with an error. The
// check of a known user's assertion is one attempt at
// throttle.StepWebAuthn, so the error may wrap throttle.ErrThrottled.
func (h *Handler) verifyPasskey(r *http.Request, req *store.AuthRequest) (store.User, assertion, error) {
	ctx := r.Context()
	data, err := h.takeCeremony(r, ceremonyPasskey, "", "")
	if err != nil {
		return store.User{}, assertion{}, err
	}
	response, _, err := readResponse(r)
	if err != nil {
		return store.User{}, assertion{}, errors.Join(ErrWebAuthnRejected, err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return store.User{}, assertion{}, errors.Join(ErrWebAuthnRejected, err)
	}

	userID, err := h.store.UserIDByWebAuthnHandle(ctx, parsed.Response.UserHandle)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, assertion{}, errors.Join(ErrWebAuthnRejected, errors.New("unknown user handle"))
	}
	if err != nil {
		return store.User{}, assertion{}, err
	}
	user, err := h.store.UserByID(ctx, userID)
	if err != nil {
		return store.User{}, assertion{}, err
	}
	if user.Status != store.UserActive {
		return user, assertion{}, errors.Join(ErrWebAuthnRejected, errors.New("account not active"))
	}
	ku, err := h.loadKeyUser(ctx, user)
	if err != nil {
		return user, assertion{}, err
	}

	a, err := h.throttledAssertion(ctx, user.ID, h.clientAddr(r), func() (assertion, error) {
		return h.checkAssertion(r, ku, data, parsed, req)
	})
	return user, a, err
}

// replaceSession revokes the browser's session, if any, and stores a new,
// incomplete one for user, which completeSession then completes under a
// new token. The browser never holds the token of the incomplete one.
func (h *Handler) replaceSession(r *http.Request, user store.User) (store.Session, error) {
	ctx, now := r.Context(), h.now()
	if old, ok, err := h.currentSession(r); err != nil {
		return store.Session{}, err
	} else if ok {
		if err := h.store.RevokeSession(ctx, old.ID, now); err != nil {
			return store.Session{}, err
		}
	}
	s := store.Session{
		ID:        secret.ID(),
		TokenHash: secret.Hash(secret.Token()),
		UserID:    user.ID,
		CreatedAt: now,
		UpdatedAt: now,
		ExpiresAt: now.Add(pendingLifetime),
		AuthTime:  now,
		UserAgent: truncate(r.UserAgent(), maxUserAgent),
		ClientIP:  h.clientAddr(r),
	}
	return s, h.store.CreateSession(ctx, s)
}
