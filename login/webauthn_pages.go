package login

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// Paths of the security-key pages and their JSON endpoints.
const (
	pathKeyRegister       = "/login/2fa/webauthn"
	pathKeyRegisterBegin  = "/login/2fa/webauthn/register/begin"
	pathKeyRegisterFinish = "/login/2fa/webauthn/register/finish"
	pathKeyVerify         = "/login/2fa/webauthn/verify"
	pathKeyVerifyBegin    = "/login/2fa/webauthn/verify/begin"
	pathKeyVerifyFinish   = "/login/2fa/webauthn/verify/finish"
	pathKeyCancel         = "/login/2fa/webauthn/cancel"
	pathPasskeyBegin      = "/login/passkey/begin"
	pathPasskeyFinish     = "/login/passkey/finish"
)

const pageKey = "webauthn"

// registerWebAuthn adds the security-key pages and endpoints.
func (h *Handler) registerWebAuthn(r *mux.Router, get, post func(string, http.HandlerFunc)) {
	get(pathKeyRegister, h.showKeyRegistration)
	get(pathKeyVerify, h.showKeyVerification)
	post(pathKeyCancel, h.cancelStepUp)
	postJSON := func(path string, fn http.HandlerFunc) {
		r.Path(path).Methods(http.MethodPost).Handler(h.ceremonyEndpoint(fn))
	}
	postJSON(pathKeyRegisterBegin, h.beginSignInRegistration)
	postJSON(pathKeyRegisterFinish, h.finishSignInRegistration)
	postJSON(pathKeyVerifyBegin, h.beginKeyVerification)
	postJSON(pathKeyVerifyFinish, h.finishKeyVerification)
	postJSON(pathPasskeyBegin, h.beginPasskey)
	postJSON(pathPasskeyFinish, h.finishPasskey)
	h.registerAccountCeremonies(postJSON)
}

// keyPage is the data of the security-key page. The script reads Begin
// and Finish from data attributes.
type keyPage struct {
	Register bool   // register a new key rather than use one
	Begin    string // JSON endpoint that returns the options
	Finish   string // JSON endpoint that takes the authenticator's response
	StepUp   bool   // the session is complete and adds a stronger factor
	Cancel   string // form that returns to the relying party, in a step-up
	Other    string // the authenticator-app or method choice page, if any
}

// keyStep is a sign-in at a security-key step: either waiting for its
// second factor (stepUp false) or complete and short of the level the
// auth request requests (stepUp true).
type keyStep struct {
	req    *store.AuthRequest
	s      store.Session
	user   store.User
	stepUp bool
}

// loadKeyStep checks that the browser's session may register
// (registering) or use a security key now, and returns it. When it may
// not, redirect names the page it belongs on. A sign-in waiting for its
// second factor registers a key only while the user has no method at
// all, and uses one only when they have one. A complete session does
// either only to step up to the level its auth request requests.
func (h *Handler) loadKeyStep(r *http.Request, req *store.AuthRequest, registering bool) (st keyStep, redirect string, err error) {
	ctx := r.Context()
	login := withID(pathLogin, requestID(req))
	s, ok, err := h.currentSession(r)
	if err != nil || !ok {
		return keyStep{}, login, err
	}
	user, err := h.store.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Status != store.UserActive) {
		return keyStep{}, login, nil
	}
	if err != nil {
		return keyStep{}, "", err
	}
	st = keyStep{req: req, s: s, user: user}

	if !s.Complete {
		if !slices.Contains(s.AMR, amrPassword) {
			return keyStep{}, login, nil
		}
		ok, err := h.keyStepAllowed(r, user.ID, registering)
		if err != nil || !ok {
			next, nextErr := h.secondFactorPage(ctx, user.ID)
			return keyStep{}, withID(next, requestID(req)), errors.Join(err, nextErr)
		}
		if registering {
			need, err := h.needsMailboxProof(r, s, user)
			if err != nil || need {
				return keyStep{}, mailboxProofURL(requestID(req), proofThenKey), err
			}
		}
		return st, "", nil
	}

	if req == nil || !s.LockedAt.IsZero() {
		return keyStep{}, login, nil
	}
	level, _ := requestedACR(req)
	if level == "" || idp.ACRAtLeast(s.ACR, level) {
		return keyStep{}, login, nil
	}
	target, err := h.stepUpTarget(ctx, s, level)
	if err != nil {
		return keyStep{}, "", err
	}
	want := pathKeyVerify
	if registering {
		want = pathKeyRegister
	}
	if target != want {
		return keyStep{}, withID(firstNonEmpty(target, pathLogin), req.ID), nil
	}
	st.stepUp = true
	return st, "", nil
}

// keyStepAllowed reports whether a sign-in waiting for its second factor
// may register a key (the user has no method yet, so the password alone
// cannot add a key to a protected account) or use one (the user has one).
func (h *Handler) keyStepAllowed(r *http.Request, userID string, registering bool) (bool, error) {
	if registering {
		methods, err := h.store.Methods(r.Context(), userID)
		return err == nil && len(methods) == 0, err
	}
	creds, err := h.store.WebAuthnCredentials(r.Context(), userID)
	return err == nil && len(creds) > 0, err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// showKeyRegistration handles GET /login/2fa/webauthn: the page that
// registers a first security key or passkey.
func (h *Handler) showKeyRegistration(w http.ResponseWriter, r *http.Request) {
	h.showKeyPage(w, r, true)
}

// showKeyVerification handles GET /login/2fa/webauthn/verify: the page
// that signs in with a registered security key.
func (h *Handler) showKeyVerification(w http.ResponseWriter, r *http.Request) {
	h.showKeyPage(w, r, false)
}

func (h *Handler) showKeyPage(w http.ResponseWriter, r *http.Request, registering bool) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	if h.relyingParty == nil {
		http.Redirect(w, r, withID(pathMethod, requestID(req)), http.StatusSeeOther)
		return
	}
	st, redirect, err := h.loadKeyStep(r, req, registering)
	if err != nil {
		h.serverError(w, r, "load security key step", err)
		return
	}
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}

	id := requestID(req)
	page := keyPage{Register: registering, StepUp: st.stepUp}
	if registering {
		page.Begin, page.Finish = withID(pathKeyRegisterBegin, id), withID(pathKeyRegisterFinish, id)
	} else {
		page.Begin, page.Finish = withID(pathKeyVerifyBegin, id), withID(pathKeyVerifyFinish, id)
	}
	switch {
	case st.stepUp:
		page.Cancel = withID(pathKeyCancel, id)
	case registering:
		page.Other = withID(pathMethod, id)
	default:
		if c, err := h.store.TOTPByUser(r.Context(), st.user.ID); err == nil && !c.ConfirmedAt.IsZero() {
			page.Other = withID(pathVerify, id)
		}
	}
	h.render(w, r, view{page: pageKey, uiLocales: uiLocales(req), data: page})
}

// hasKey reports whether the user has a registered security key that
// can be used here. While security keys are off, it reports false.
func (h *Handler) hasKey(ctx context.Context, userID string) (bool, error) {
	if h.relyingParty == nil {
		return false, nil
	}
	creds, err := h.store.WebAuthnCredentials(ctx, userID)
	return len(creds) > 0, err
}

// totpBesideKey reports whether a user sent to the security-key step
// (next) also has a confirmed authenticator app, which they may use
// instead.
func (h *Handler) totpBesideKey(ctx context.Context, next, userID string) bool {
	if next != pathKeyVerify {
		return false
	}
	c, err := h.store.TOTPByUser(ctx, userID)
	return err == nil && !c.ConfirmedAt.IsZero()
}

// PasskeyBegin returns the passkey endpoint that belongs with the
// sign-in form's action, with the same auth request ID.
func (p signInPage) PasskeyBegin() string {
	return pathPasskeyBegin + strings.TrimPrefix(p.Action, pathLogin)
}

// PasskeyFinish returns the passkey endpoint that takes the assertion.
func (p signInPage) PasskeyFinish() string {
	return pathPasskeyFinish + strings.TrimPrefix(p.Action, pathLogin)
}

// methods returns the second factors a user can activate here: every one
// of methods, without security keys while they are off.
func (h *Handler) methods() []method {
	all := methods()
	if h.relyingParty != nil {
		return all
	}
	return slices.DeleteFunc(all, func(m method) bool { return m.path == pathKeyRegister })
}
