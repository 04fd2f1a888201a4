package login

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
)

// showAccountTOTP handles GET /account/totp: it adds an authenticator app
// to a signed-in account, with the same page as during sign-in.
func (h *Handler) showAccountTOTP(w http.ResponseWriter, r *http.Request) {
	_, user, ok := h.changeSession(w, r)
	if !ok {
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
		http.Redirect(w, r, pathAccount, http.StatusSeeOther)
		return
	}
	h.renderAccountTOTP(w, r, user, key, view{})
}

// addTOTP handles POST /account/totp with code and password, and shows
// the new recovery codes once.
func (h *Handler) addTOTP(w http.ResponseWriter, r *http.Request) {
	_, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	key, state, err := h.enrolment(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load authenticator enrolment", err)
		return
	}
	if state != enrolmentPending {
		http.Redirect(w, r, pathAccountTOTP, http.StatusSeeOther)
		return
	}

	step, ok, err := h.checkActivation(r, nil, user, key)
	if errors.Is(err, throttle.ErrThrottled) {
		h.renderAccountTOTP(w, r, user, key, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	}
	if err != nil {
		h.serverError(w, r, "check activation", err)
		return
	}
	if !ok {
		h.renderAccountTOTP(w, r, user, key, view{status: http.StatusBadRequest, alert: msgActivationFailed})
		return
	}
	notice, err := h.notice(r, nil, user, mail.EventMethodAdded, "totp")
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	codes, err := h.confirmEnrolment(ctx, user.ID, step, notice)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, pathAccount, http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "confirm authenticator", err)
		return
	}
	h.audit(ctx, eventTOTPActivated, user.ID, "", h.clientAddr(r), map[string]string{"via": "account"})
	h.mailQueued()
	h.renderAccountCodes(w, r, user, codes)
}

func (h *Handler) renderAccountTOTP(w http.ResponseWriter, r *http.Request, user store.User, key []byte, v view) {
	otpauth := totp.URL(h.product, user.Email, key)
	png, err := totp.QRCodePNG(otpauth, qrCodeSize)
	if err != nil {
		h.serverError(w, r, "render QR code", err)
		return
	}
	v.page, v.userLocale = pageActivate, user.Locale
	v.data = activationPage{
		Action: pathAccountTOTP,
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		Key:    totp.FormatSecret(key),
		URL:    template.URL(otpauth),
	}
	h.render(w, r, v)
}

// renderAccountCodes shows new recovery codes once. Done returns to the
// account page.
func (h *Handler) renderAccountCodes(w http.ResponseWriter, r *http.Request, user store.User, codes []string) {
	text := strings.Join(codes, "\r\n") + "\r\n"
	h.render(w, r, view{page: pageRecoveryCodes, userLocale: user.Locale, data: recoveryCodesPage{
		Action:   pathAccount,
		Codes:    codes,
		Download: template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text)),
	}})
}
