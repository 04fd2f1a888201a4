package login

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/recovery"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
)

// qrCodeSize is the width and height of the QR code image in pixels.
const qrCodeSize = 200

// maxCodeLength bounds a code field; longer input is wrong whatever it is.
const maxCodeLength = 64

// enrolmentState is the progress of a user's authenticator-app enrolment.
type enrolmentState int

const (
	enrolmentNone enrolmentState = iota
	enrolmentPending
	enrolmentConfirmed
)

type activationPage struct {
	Action string
	QRCode template.URL // data: URI of a PNG image
	Key    string
	URL    template.URL // otpauth:// URI
}

type recoveryCodesPage struct {
	Action   string
	Codes    []string
	Download template.URL // data: URI of a text file
}

// showActivation handles GET /login/2fa/totp: it shows the QR code and
// key of a pending authenticator-app secret, creating one if needed.
func (h *Handler) showActivation(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	s, user, ok := h.pendingSignIn(w, r, req)
	if !ok || !h.requireMailboxProof(w, r, req, s, user) {
		return
	}
	ctx := r.Context()
	key, state, err := h.enrolment(ctx, user.ID)
	if err == nil && state == enrolmentNone {
		key, err = h.startEnrolment(ctx, user.ID)
		if errors.Is(err, store.ErrConflict) {
			state, err = enrolmentConfirmed, nil
		}
	}
	if err != nil {
		h.serverError(w, r, "start authenticator enrolment", err)
		return
	}
	if state == enrolmentConfirmed {
		http.Redirect(w, r, withID(pathVerify, requestID(req)), http.StatusSeeOther)
		return
	}
	h.renderActivation(w, r, req, user, key, view{})
}

// activate handles POST /login/2fa/totp. It confirms the pending secret
// when both the code from the app and the account password are right, and
// shows the new recovery codes once.
func (h *Handler) activate(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	s, user, ok := h.pendingSignIn(w, r, req)
	if !ok || !h.requireMailboxProof(w, r, req, s, user) {
		return
	}
	ctx := r.Context()
	key, state, err := h.enrolment(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load authenticator enrolment", err)
		return
	}
	switch state {
	case enrolmentNone:
		http.Redirect(w, r, withID(pathTOTP, requestID(req)), http.StatusSeeOther)
		return
	case enrolmentConfirmed:
		http.Redirect(w, r, withID(pathVerify, requestID(req)), http.StatusSeeOther)
		return
	}

	step, ok, err := h.checkActivation(r, req, user, key)
	if errors.Is(err, throttle.ErrThrottled) {
		h.renderActivation(w, r, req, user, key, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	}
	if err != nil {
		h.serverError(w, r, "check activation", err)
		return
	}
	if !ok {
		h.renderActivation(w, r, req, user, key, view{status: http.StatusBadRequest, alert: msgActivationFailed})
		return
	}

	notice, err := h.notice(r, req, user, mail.EventMethodAdded, "totp")
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	codes, err := h.confirmEnrolment(ctx, user.ID, step, notice)
	if errors.Is(err, store.ErrNotFound) {
		// Confirmed by a concurrent request of the same browser.
		http.Redirect(w, r, withID(pathVerify, requestID(req)), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "confirm authenticator", err)
		return
	}
	h.audit(ctx, eventTOTPActivated, user.ID, clientOf(req), h.clientAddr(r), nil)
	h.mailQueued()

	now := h.now()
	s.AMR = []string{amrPassword, amrOTP, amrMFA}
	s.SecondFactorAt, s.UpdatedAt = now, now
	if err := h.store.UpdateSession(ctx, s); err != nil {
		h.serverError(w, r, "record second factor", err)
		return
	}
	h.renderRecoveryCodes(w, r, req, codes)
}

// checkActivation checks the code and the password of the activation form,
// each throttled as its step is elsewhere. It returns the time step the
// code matched.
func (h *Handler) checkActivation(r *http.Request, req *store.AuthRequest, user store.User, key []byte) (step int64, ok bool, err error) {
	ctx, ip := r.Context(), h.clientAddr(r)
	code, pw := r.PostForm.Get("code"), r.PostForm.Get("password")
	if len(code) > maxCodeLength || len(pw) > password.MaxBytes {
		return 0, false, nil
	}

	codeAttempt, err := h.limiter.Begin(ctx, throttle.StepTOTP, user.ID, ip)
	if err != nil {
		h.auditThrottled(ctx, err, user.ID, req, ip, throttle.StepTOTP)
		return 0, false, err
	}
	pwAttempt, err := h.limiter.Begin(ctx, throttle.StepPassword, user.EmailKey, ip)
	if err != nil {
		h.auditThrottled(ctx, err, user.ID, req, ip, throttle.StepPassword)
		return 0, false, err
	}

	step, codeOK := totp.Match(key, code, h.now())
	_, pwOK, err := h.checkPassword(ctx, user.EmailKey, pw)
	if err != nil {
		return 0, false, err
	}
	// Each attempt is forgiven on its own result: a mistyped code is no
	// reason to count a password failure.
	if codeOK {
		h.forgive(ctx, codeAttempt, user.ID)
	}
	if pwOK {
		h.forgive(ctx, pwAttempt, user.ID)
	}
	if !codeOK || !pwOK {
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": "totp_activation"})
		return 0, false, nil
	}
	return step, true, nil
}

// enrolment returns the user's authenticator-app state and, while an
// enrolment is pending, its secret. A pending secret that no longer
// decrypts counts as none, so a new one replaces it.
func (h *Handler) enrolment(ctx context.Context, userID string) ([]byte, enrolmentState, error) {
	c, err := h.store.TOTPByUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, enrolmentNone, nil
	}
	if err != nil {
		return nil, enrolmentNone, err
	}
	if !c.ConfirmedAt.IsZero() {
		return nil, enrolmentConfirmed, nil
	}
	key, err := h.keys.Sealer().Open(c.SecretEncrypted, userID)
	if err != nil {
		h.logger.WarnContext(ctx, "pending authenticator secret does not decrypt; replacing it", "user_id", userID, "err", err)
		return nil, enrolmentNone, nil
	}
	return key, enrolmentPending, nil
}

// startEnrolment stores a new pending secret, encrypted and bound to the
// user. It returns store.ErrConflict when the user has a confirmed one.
func (h *Handler) startEnrolment(ctx context.Context, userID string) ([]byte, error) {
	key := totp.GenerateSecret()
	c := store.TOTPCredential{
		UserID:          userID,
		SecretEncrypted: h.keys.Sealer().Seal(key, userID),
		CreatedAt:       h.now(),
	}
	if err := h.store.SaveTOTPEnrolment(ctx, c); err != nil {
		return nil, err
	}
	return key, nil
}

// confirmEnrolment confirms the pending secret, replaces the user's
// recovery codes with new ones and queues notice (unless nil), in one
// transaction. It returns the codes in the clear to be shown once, and
// stores only their hashes.
func (h *Handler) confirmEnrolment(ctx context.Context, userID string, step int64, notice *store.OutboundEmail) ([]string, error) {
	codes := recovery.Generate()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = recovery.Hash(h.keys, userID, c)
	}
	if err := h.store.ConfirmTOTP(ctx, userID, step, hashes, h.now(), notice); err != nil {
		return nil, err
	}
	return codes, nil
}

func (h *Handler) renderActivation(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User, key []byte, v view) {
	otpauth := totp.URL(h.product, user.Email, key)
	png, err := totp.QRCodePNG(otpauth, qrCodeSize)
	if err != nil {
		h.serverError(w, r, "render QR code", err)
		return
	}
	v.page, v.uiLocales = pageActivate, uiLocales(req)
	v.data = activationPage{
		Action: withID(pathTOTP, requestID(req)),
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		Key:    totp.FormatSecret(key),
		URL:    template.URL(otpauth),
	}
	h.render(w, r, v)
}

func (h *Handler) renderRecoveryCodes(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, codes []string) {
	text := strings.Join(codes, "\r\n") + "\r\n"
	h.render(w, r, view{page: pageRecoveryCodes, uiLocales: uiLocales(req), data: recoveryCodesPage{
		Action:   withID(pathDone, requestID(req)),
		Codes:    codes,
		Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text)),
	}})
}

// forgive takes back an attempt that succeeded. A failure leaves one
// extra failure counted, which is logged and not returned.
func (h *Handler) forgive(ctx context.Context, a *throttle.Attempt, userID string) {
	if err := a.Succeeded(ctx); err != nil {
		h.logger.ErrorContext(ctx, "forgive attempt", "user_id", userID, "err", err)
	}
}

// auditThrottled records an audit event when err is a throttle rejection.
func (h *Handler) auditThrottled(ctx context.Context, err error, userID string, req *store.AuthRequest, ip, step string) {
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, userID, clientOf(req), ip, map[string]string{"step": step})
	}
}
