package login

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// csrfHeader carries the CSRF token of the JSON endpoints, which take no
// form. A cross-site page cannot set it without a CORS preflight, which
// these endpoints never allow.
const csrfHeader = "X-CSRF-Token"

// maxCeremonyBytes caps the body of a ceremony endpoint. A registration
// response with a large attestation stays well below it.
const maxCeremonyBytes = 64 << 10

// ceremonyEndpoint wraps a JSON endpoint of the security-key script with
// the rules of the pages: security headers, no cross-site requests, the
// browser's CSRF token (in csrfHeader) and a capped body. A request that
// fails a check gets a JSON error and changes nothing.
func (h *Handler) ceremonyEndpoint(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		browserID := h.readCookie(r, h.browserKey)
		token := r.Header.Get(csrfHeader)
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" || browserID == "" || token == "" ||
			!secret.Equal(token, h.csrfToken(browserID)) {
			h.logger.WarnContext(r.Context(), "security key request with a missing or wrong CSRF token rejected",
				"path", r.URL.Path, "ip", h.clientAddr(r))
			h.jsonError(w, r, nil, http.StatusForbidden, msgErrorCSRF)
			return
		}
		if h.relyingParty == nil {
			h.jsonError(w, r, nil, http.StatusNotFound, msgKeyUnavailable)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCeremonyBytes)
		next(w, r.WithContext(withBrowser(r.Context(), browserID)))
	})
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonError writes {"error": message} with the message translated into
// the language of the page that called, which the script shows to the user.
func (h *Handler) jsonError(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, status int, messageID string) {
	loc := h.catalogue.Localizer(h.pageLanguage(r, uiLocales(req), ""))
	msg, err := loc.Translate(messageID, nil)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "translate message", "message_id", messageID, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// jsonNext sends the script the URL to go to next: a page, or the provider's
// callback after a completed sign-in.
func jsonNext(w http.ResponseWriter, next string) {
	writeJSON(w, http.StatusOK, map[string]string{"next": next})
}

// ceremonyStep loads the auth request and the key step of a JSON
// endpoint. When the browser belongs elsewhere it responds with the page
// to go to and returns false.
func (h *Handler) ceremonyStep(w http.ResponseWriter, r *http.Request, registering bool) (keyStep, bool) {
	req, ok := h.ceremonyAuthRequest(w, r)
	if !ok {
		return keyStep{}, false
	}
	st, redirect, err := h.loadKeyStep(r, req, registering)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "load security key step", "path", r.URL.Path, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return keyStep{}, false
	}
	if redirect != "" {
		jsonNext(w, redirect)
		return keyStep{}, false
	}
	return st, true
}

// readResponse reads the authenticator's response from the body: the
// credential JSON and, for a registration, the name the user gave the key.
func readResponse(r *http.Request) (credential []byte, name string, err error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, "", err
	}
	var v struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := json.Unmarshal(body, &v); err != nil || len(v.Credential) == 0 {
		return nil, "", errors.New("body is not a credential response")
	}
	return v.Credential, v.Name, nil
}

// beginSignInRegistration handles POST /login/2fa/webauthn/register/begin.
func (h *Handler) beginSignInRegistration(w http.ResponseWriter, r *http.Request) {
	st, ok := h.ceremonyStep(w, r, true)
	if !ok {
		return
	}
	creation, err := h.BeginKeyRegistration(r, st.user, st.s.ID)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "begin key registration", "user_id", st.user.ID, "err", err)
		h.jsonError(w, r, st.req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	writeJSON(w, http.StatusOK, creation)
}

// finishSignInRegistration handles POST
// /login/2fa/webauthn/register/finish: the new key is the second factor
// of this sign-in, or the step up of a complete session.
func (h *Handler) finishSignInRegistration(w http.ResponseWriter, r *http.Request) {
	st, ok := h.ceremonyStep(w, r, true)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	response, name, err := readResponse(r)
	if err != nil {
		h.jsonError(w, r, st.req, http.StatusBadRequest, msgKeyFailed)
		return
	}
	notice, err := h.notice(r, st.req, st.user, mail.EventMethodAdded, methodKey)
	if err != nil {
		h.logger.ErrorContext(ctx, "compose notification", "user_id", st.user.ID, "err", err)
		h.jsonError(w, r, st.req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	cred, err := h.FinishKeyRegistration(r, st.user, st.s.ID, name, response, notice)
	switch {
	case errors.Is(err, ErrWebAuthnRejected):
		h.logger.InfoContext(ctx, "security key registration rejected", "user_id", st.user.ID, "err", err)
		h.audit(ctx, eventSignInFailed, st.user.ID, clientOf(st.req), ip, map[string]string{"step": "webauthn_registration"})
		h.jsonError(w, r, st.req, http.StatusBadRequest, msgKeyFailed)
		return
	case errors.Is(err, store.ErrAlreadyExists):
		h.jsonError(w, r, st.req, http.StatusConflict, msgKeyRegistered)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "finish key registration", "user_id", st.user.ID, "err", err)
		h.jsonError(w, r, st.req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	h.audit(ctx, eventKeyRegistered, st.user.ID, clientOf(st.req), ip, map[string]string{"credential": cred.ID})
	h.mailQueued()
	h.finishWithKey(w, r, st, cred.UserVerified)
}

// beginKeyVerification handles POST /login/2fa/webauthn/verify/begin.
func (h *Handler) beginKeyVerification(w http.ResponseWriter, r *http.Request) {
	st, ok := h.ceremonyStep(w, r, false)
	if !ok {
		return
	}
	ku, err := h.loadKeyUser(r.Context(), st.user)
	if err == nil {
		var assertion *protocol.CredentialAssertion
		var data *webauthn.SessionData
		assertion, data, err = h.relyingParty.BeginLogin(ku)
		if err == nil {
			err = h.saveCeremony(r, ceremonyAssert, st.user.ID, st.s.ID, data)
		}
		if err == nil {
			writeJSON(w, http.StatusOK, assertion)
			return
		}
	}
	h.logger.ErrorContext(r.Context(), "begin key verification", "user_id", st.user.ID, "err", err)
	h.jsonError(w, r, st.req, http.StatusInternalServerError, msgErrorServer)
}

// finishKeyVerification handles POST /login/2fa/webauthn/verify/finish.
func (h *Handler) finishKeyVerification(w http.ResponseWriter, r *http.Request) {
	st, ok := h.ceremonyStep(w, r, false)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	a, err := h.throttledAssertion(ctx, st.user.ID, ip, func() (assertion, error) {
		return h.verifyKey(r, st.req, st.user, st.s.ID)
	})
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, st.user.ID, clientOf(st.req), ip, map[string]string{"step": throttle.StepWebAuthn})
		h.jsonError(w, r, st.req, http.StatusTooManyRequests, msgThrottled)
		return
	case errors.Is(err, ErrWebAuthnRejected):
		h.logger.InfoContext(ctx, "security key assertion rejected", "user_id", st.user.ID, "err", err)
		h.audit(ctx, eventSignInFailed, st.user.ID, clientOf(st.req), ip, map[string]string{"step": throttle.StepWebAuthn})
		h.jsonError(w, r, st.req, http.StatusBadRequest, msgKeyFailed)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "verify security key", "user_id", st.user.ID, "err", err)
		h.jsonError(w, r, st.req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	h.finishWithKey(w, r, st, a.userVerified)
}

// throttledAssertion runs verify as one attempt at throttle.StepWebAuthn
// for userID and the client address ip, like a code typed at the second
// factor. It returns verify's result, or an error wrapping
// throttle.ErrThrottled when no attempt may be made now, in which case
// verify does not run.
func (h *Handler) throttledAssertion(ctx context.Context, userID, ip string, verify func() (assertion, error)) (assertion, error) {
	var a assertion
	var rejected error
	ok, err := h.throttled(ctx, throttle.StepWebAuthn, userID, ip, func() (bool, error) {
		var err error
		a, err = verify()
		if errors.Is(err, ErrWebAuthnRejected) {
			rejected = err
			return false, nil
		}
		return err == nil, err
	})
	if err == nil && !ok {
		return assertion{}, rejected
	}
	return a, err
}

// verifyKey checks the assertion in the body against the ceremony of
// this browser and session.
func (h *Handler) verifyKey(r *http.Request, req *store.AuthRequest, user store.User, sessionID string) (assertion, error) {
	return h.verifyCeremony(r, req, user, sessionID, ceremonyAssert)
}

// verifyCeremony is verifyKey for the ceremony of purpose.
func (h *Handler) verifyCeremony(r *http.Request, req *store.AuthRequest, user store.User, sessionID, purpose string) (assertion, error) {
	data, err := h.takeCeremony(r, purpose, user.ID, sessionID)
	if err != nil {
		return assertion{}, err
	}
	response, _, err := readResponse(r)
	if err != nil {
		return assertion{}, errors.Join(ErrWebAuthnRejected, err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return assertion{}, errors.Join(ErrWebAuthnRejected, err)
	}
	ku, err := h.loadKeyUser(r.Context(), user)
	if err != nil {
		return assertion{}, err
	}
	return h.checkAssertion(r, ku, data, parsed, req)
}

// finishWithKey completes a sign-in or step-up whose last factor was a
// security key. It records the key's amr, with "pin" only when the
// authenticator verified the user, and acr "phr" (see completeSession).
func (h *Handler) finishWithKey(w http.ResponseWriter, r *http.Request, st keyStep, userVerified bool) {
	h.completeSession(w, r, st.req, st.s, st.user, keyAMR(st.s.AMR, userVerified), "webauthn")
}

// completeSession marks s complete with amr and acr "phr" under a new
// token and responds to the script with the next page.
func (h *Handler) completeSession(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User, amr []string, method string) {
	ctx, now := r.Context(), h.now()
	token := secret.Token()
	s.TokenHash = secret.Hash(token)
	s.Complete = true
	s.AuthTime, s.SecondFactorAt, s.UpdatedAt = now, now, now
	s.AMR, s.ACR = amr, idp.ACRPhishingResistant
	s.ExpiresAt = now.Add(h.lifetime)
	if err := h.store.UpdateSession(ctx, s); err != nil {
		h.logger.ErrorContext(ctx, "complete session", "user_id", user.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)

	if err := h.store.RecordSignIn(ctx, user.ID, now); err != nil {
		h.logger.ErrorContext(ctx, "record sign-in time", "user_id", user.ID, "err", err)
	}
	h.audit(ctx, eventSignInSucceeded, user.ID, clientOf(req), h.clientAddr(r), map[string]string{"method": method})
	h.logger.InfoContext(ctx, "sign-in succeeded", "user_id", user.ID, "session_id", s.ID, "method", method)
	if req == nil {
		jsonNext(w, pathHome)
		return
	}

	c := store.Completion{Subject: s.UserID, AuthTime: s.AuthTime, AMR: s.AMR, ACR: s.ACR, SessionID: s.ID}
	err := h.store.CompleteAuthRequest(ctx, req.ID, req.BrowserHash, c, now)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		h.jsonError(w, r, req, http.StatusBadRequest, msgErrorAuthRequestUsed)
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "complete auth request", "auth_request_id", req.ID, "err", err)
		h.jsonError(w, r, req, http.StatusInternalServerError, msgErrorServer)
		return
	}
	jsonNext(w, h.provider.CallbackURL(ctx, req.ID))
}

// ceremonyAuthRequest loads the auth request of a JSON endpoint as
// authRequest does for a page, but responds with a JSON error in place
// of its error page.
func (h *Handler) ceremonyAuthRequest(w http.ResponseWriter, r *http.Request) (*store.AuthRequest, bool) {
	rec := &statusRecorder{header: http.Header{}}
	req, ok := h.authRequest(rec, r, false)
	if ok {
		return req, true
	}
	msg := msgErrorAuthRequest
	if rec.status >= http.StatusInternalServerError {
		msg = msgErrorServer
	}
	h.jsonError(w, r, nil, max(rec.status, http.StatusBadRequest), msg)
	return nil, false
}

// statusRecorder keeps the status of a response and discards its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(status int)      { s.status = status }
