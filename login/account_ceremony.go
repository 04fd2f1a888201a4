package login

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// Paths of the account page's email method and of its security-key
// ceremonies, which webauthn.js calls.
const (
	pathAccountEmail           = "/account/email"
	pathAccountKeyBegin        = "/account/keys/register/begin"
	pathAccountKeyFinish       = "/account/keys/register/finish"
	pathAccountVerifyEmail     = "/account/verify/email"
	pathAccountVerifyKeyBegin  = "/account/verify/key/begin"
	pathAccountVerifyKeyFinish = "/account/verify/key/finish"
	pathUnlockPasskeyBegin     = "/unlock/passkey/begin"
	pathUnlockPasskeyFinish    = "/unlock/passkey/finish"
)

// ceremonyUnlock is the purpose of a passkey ceremony that unlocks a
// locked session.
const ceremonyUnlock = "unlock"

// registerAccountCeremonies adds the JSON endpoints of the account and
// unlock pages with postJSON, which wraps them in ceremonyEndpoint.
func (h *Handler) registerAccountCeremonies(postJSON func(string, http.HandlerFunc)) {
	postJSON(pathAccountKeyBegin, h.beginAccountKey)
	postJSON(pathAccountKeyFinish, h.finishAccountKey)
	postJSON(pathAccountVerifyKeyBegin, h.beginReverifyKey)
	postJSON(pathAccountVerifyKeyFinish, h.finishReverifyKey)
	postJSON(pathUnlockPasskeyBegin, h.beginUnlockPasskey)
	postJSON(pathUnlockPasskeyFinish, h.finishUnlockPasskey)
}

// jsonSession runs check, one of the session checks of the pages, for a
// JSON endpoint: where check would redirect, the script is sent to that
// page instead, and ok is false.
func (h *Handler) jsonSession(w http.ResponseWriter, r *http.Request, check func(http.ResponseWriter, *http.Request) (store.Session, store.User, bool)) (store.Session, store.User, bool) {
	rec := &statusRecorder{header: http.Header{}}
	s, user, ok := check(rec, r)
	if ok {
		return s, user, true
	}
	next := rec.header.Get("Location")
	if next == "" {
		// The check logged an error and wrote its page.
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return store.Session{}, store.User{}, false
	}
	jsonNext(w, next)
	return store.Session{}, store.User{}, false
}

// beginAccountKey handles POST /account/keys/register/begin: a signed-in
// user with a fresh session adds a security key or passkey.
func (h *Handler) beginAccountKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.jsonSession(w, r, h.changeSession)
	if !ok {
		return
	}
	creation, err := h.BeginKeyRegistration(r, user, s.ID)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "begin key registration", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return
	}
	writeJSON(w, http.StatusOK, creation)
}

// finishAccountKey handles POST /account/keys/register/finish with the
// authenticator's response and the name the user gave the key.
func (h *Handler) finishAccountKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.jsonSession(w, r, h.changeSession)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	response, name, err := readResponse(r)
	if err != nil {
		h.jsonError(w, r, nil, http.StatusBadRequest, msgKeyFailed)
		return
	}
	notice, err := h.notice(r, nil, user, mail.EventMethodAdded, methodKey)
	if err != nil {
		h.logger.ErrorContext(ctx, "compose notification", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return
	}
	cred, err := h.FinishKeyRegistration(r, user, s.ID, name, response, notice)
	switch {
	case errors.Is(err, ErrWebAuthnRejected):
		h.logger.InfoContext(ctx, "security key registration rejected", "user_id", user.ID, "err", err)
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "account_webauthn_registration"})
		h.jsonError(w, r, nil, http.StatusBadRequest, msgKeyFailed)
		return
	case errors.Is(err, store.ErrAlreadyExists):
		h.jsonError(w, r, nil, http.StatusConflict, msgKeyRegistered)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "finish key registration", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return
	}
	h.audit(ctx, eventKeyRegistered, user.ID, "", ip, map[string]string{"credential": cred.ID, "via": "account"})
	h.mailQueued()
	jsonNext(w, pathAccount+"?done=key_added")
}

// reverifySession is accountSession for the second step of
// re-verification: the password was given within reverifyWindow, and
// the second factor is what is still missing. Anyone else goes to the
// re-verification page.
func (h *Handler) reverifySession(w http.ResponseWriter, r *http.Request) (store.Session, store.User, bool) {
	s, user, ok := h.accountSession(w, r)
	if !ok {
		return store.Session{}, store.User{}, false
	}
	if h.now().Sub(s.AuthTime) > reverifyWindow {
		http.Redirect(w, r, pathAccountVerify, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

// beginReverifyKey handles POST /account/verify/key/begin, the security
// key step of re-verification.
func (h *Handler) beginReverifyKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.jsonSession(w, r, h.reverifySession)
	if !ok {
		return
	}
	if err := h.beginAssertion(w, r, user, s.ID, ceremonyAssert); err != nil {
		h.logger.ErrorContext(r.Context(), "begin key re-verification", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
	}
}

// finishReverifyKey handles POST /account/verify/key/finish: a valid
// assertion of one of the user's keys renews the second factor.
func (h *Handler) finishReverifyKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.jsonSession(w, r, h.reverifySession)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	_, err := h.throttledAssertion(ctx, user.ID, ip, func() (assertion, error) {
		return h.verifyCeremony(r, nil, user, s.ID, ceremonyAssert)
	})
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": "reverify"})
		h.jsonError(w, r, nil, http.StatusTooManyRequests, msgThrottled)
		return
	case errors.Is(err, ErrWebAuthnRejected):
		h.logger.InfoContext(ctx, "security key re-verification rejected", "user_id", user.ID, "err", err)
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "reverify"})
		h.jsonError(w, r, nil, http.StatusBadRequest, msgKeyFailed)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "verify security key", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return
	}
	token, err := h.renewSecondFactor(r, s)
	if err != nil {
		h.logger.ErrorContext(ctx, "refresh session", "user_id", user.ID, "err", err)
		h.jsonError(w, r, nil, http.StatusInternalServerError, msgErrorServer)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)
	h.audit(ctx, eventReverified, user.ID, "", ip, map[string]string{"method": methodKey})
	jsonNext(w, pathAccount+"?done=verified")
}

// beginAssertion stores an assertion ceremony of purpose for the user's
// keys in this browser and session, and writes its options. For a user
// without a key it writes a JSON error and stores nothing.
func (h *Handler) beginAssertion(w http.ResponseWriter, r *http.Request, user store.User, sessionID, purpose string, opts ...webauthn.LoginOption) error {
	ku, err := h.loadKeyUser(r.Context(), user)
	if err != nil {
		return err
	}
	if len(ku.creds) == 0 {
		h.jsonError(w, r, nil, http.StatusBadRequest, msgKeyFailed)
		return nil
	}
	var options *protocol.CredentialAssertion
	options, data, err := h.relyingParty.BeginLogin(ku, opts...)
	if err != nil {
		return err
	}
	if err := h.saveCeremony(r, purpose, user.ID, sessionID, data); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, options)
	return nil
}
