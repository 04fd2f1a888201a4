package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/recovery"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// Paths of forgot password.
const (
	pathForgot = "/login/forgot"
	pathReset  = "/login/reset"
)

// ResetLifetime is how long a password reset link stays valid.
const ResetLifetime = time.Hour

// forgotMinDuration is the minimum time the forgot-password form takes to
// respond. Every address gets the same page after it, so neither the
// response nor its timing reveals whether an account exists.
const forgotMinDuration = 300 * time.Millisecond

type forgotPage struct {
	Action string
	Email  string
}

// showForgot handles GET /login/forgot.
func (h *Handler) showForgot(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, view{page: pageForgot, data: forgotPage{Action: pathForgot}})
}

// forgot handles POST /login/forgot. An active account gets a reset link,
// an invited one a fresh invitation, and an unknown or disabled address
// gets nothing. The page is the same in every case and is returned no
// sooner than forgotMinDuration.
func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	email := r.PostForm.Get("email")
	if email == "" || len(email) > maxEmailLength {
		h.render(w, r, view{page: pageForgot, status: http.StatusBadRequest, alert: msgSignInFailed,
			data: forgotPage{Action: pathForgot, Email: truncate(email, maxEmailLength)}})
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	account := store.NormalizeEmail(email)
	// Every request counts as a failure, so one address cannot be flooded
	// with emails.
	_, err := h.limiter.Begin(ctx, throttle.StepForgotPassword, account, ip)
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, "", "", ip, map[string]string{"step": throttle.StepForgotPassword})
		h.render(w, r, view{page: pageForgot, status: http.StatusTooManyRequests, alert: msgThrottled,
			data: forgotPage{Action: pathForgot, Email: truncate(email, maxEmailLength)}})
		return
	}
	if err != nil {
		h.serverError(w, r, "begin forgot-password attempt", err)
		return
	}
	if err := h.requestReset(r, account); err != nil {
		// The response must not differ, so the failure is only logged.
		h.logger.ErrorContext(ctx, "request password reset", "err", err)
	}
	if wait := forgotMinDuration - time.Since(start); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	h.render(w, r, view{page: pageForgotSent, data: forgotPage{Email: truncate(email, maxEmailLength)}})
}

// requestReset sends the email that forgot password promises, if any.
func (h *Handler) requestReset(r *http.Request, account string) error {
	ctx := r.Context()
	user, err := h.store.UserByEmailKey(ctx, account)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	lang := h.emailLanguage(r, nil, user)
	switch user.Status {
	case store.UserInvited:
		// A welcome email that went missing: send a new invitation.
		if _, err := reissueInvitation(ctx, h.store, h.mail, h.issuer, user, lang, h.now()); err != nil {
			return err
		}
		h.audit(ctx, eventInvitationReissued, user.ID, "", h.clientAddr(r), nil)
	case store.UserActive:
		token := secret.Token()
		now := h.now()
		email, err := h.mail.Compose(mail.Email{
			Kind: store.EmailPasswordReset, Template: mail.TemplatePasswordReset, To: user.Email, Language: lang,
			Data: map[string]any{
				"Name": user.Name, "Link": h.issuer + pathReset + "?token=" + url.QueryEscape(token),
				"Minutes": int(ResetLifetime / time.Minute),
			},
		})
		if err != nil {
			return err
		}
		reset := store.PasswordReset{TokenHash: secret.Hash(token), UserID: user.ID, CreatedAt: now, ExpiresAt: now.Add(ResetLifetime)}
		if err := h.store.RequestPasswordReset(ctx, reset, email); err != nil {
			return err
		}
		h.audit(ctx, eventPasswordResetSent, user.ID, "", h.clientAddr(r), nil)
	default:
		return nil
	}
	h.mailQueued()
	return nil
}

type resetPage struct {
	Action string
	// Email identifies, for password managers, the account whose password changes.
	Email     string
	Token     string
	MinLength int
	MaxLength int
}

// showReset handles GET /login/reset: the second factor of a user who has
// one, then the new password. Showing it consumes nothing.
func (h *Handler) showReset(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	reset, user, ok := h.liveReset(w, r, token)
	if !ok {
		return
	}
	needsFactor, err := h.resetNeedsFactor(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "list 2FA methods", err)
		return
	}
	h.renderReset(w, r, token, user, needsFactor && reset.FactorAt.IsZero(), view{})
}

// reset handles POST /login/reset: a code from the authenticator app or a
// recovery code, or the new password.
func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	token := r.PostForm.Get("token")
	reset, user, ok := h.liveReset(w, r, token)
	if !ok {
		return
	}
	ctx := r.Context()
	needsFactor, err := h.resetNeedsFactor(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "list 2FA methods", err)
		return
	}
	if needsFactor && reset.FactorAt.IsZero() {
		h.resetFactor(w, r, token, user)
		return
	}

	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	v := view{status: http.StatusBadRequest}
	var policy *password.PolicyError
	switch err := password.Check(pw); {
	case errors.As(err, &policy):
		v.alert = policy.MessageID
		v.alertData = map[string]any{"Min": policy.Min, "Max": policy.Max}
	case err != nil:
		h.serverError(w, r, "check password policy", err)
		return
	case !secret.Equal(pw, confirm):
		v.alert = msgPasswordMismatch
	}
	if v.alert != "" {
		h.renderReset(w, r, token, user, false, v)
		return
	}

	hash, err := h.passwords.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, "hash password", err)
		return
	}
	notice, err := h.mail.Notification(user, h.requestLanguage(r, nil), mail.EventPasswordReset, "")
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	_, err = h.store.ResetPassword(ctx, secret.Hash(token), hash, needsFactor, h.now(), notice)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, http.StatusBadRequest, msgErrorResetLink)
		return
	}
	if err != nil {
		h.serverError(w, r, "reset password", err)
		return
	}
	h.mailQueued()
	h.audit(ctx, eventPasswordResetDone, user.ID, "", h.clientAddr(r), nil)
	h.logger.InfoContext(ctx, "password reset; every session of the user ended", "user_id", user.ID)
	// Every session ended, this browser's too: it signs in afresh.
	h.setCookie(w, h.sessionKey, "", time.Time{})
	h.render(w, r, view{page: pageResetDone, userLocale: user.Locale})
}

// resetFactor checks the code of the second-factor step of a reset, each
// kind throttled as at sign-in, and goes on to the password form.
func (h *Handler) resetFactor(w http.ResponseWriter, r *http.Request, token string, user store.User) {
	ctx, ip := r.Context(), h.clientAddr(r)
	code := r.PostForm.Get("code")
	step, check := throttle.StepTOTP, h.checkTOTP
	if recovery.LooksLike(code) {
		notice, err := h.notice(r, nil, user, mail.EventRecoveryCodeUsed, "")
		if err != nil {
			h.serverError(w, r, "compose notification", err)
			return
		}
		step, check = throttle.StepRecovery, h.checkRecoveryCode(notice)
	}
	ok, err := h.throttled(ctx, step, user.ID, ip, func() (bool, error) {
		if code == "" || len(code) > maxCodeLength {
			return false, nil
		}
		if step == throttle.StepTOTP {
			if _, err := h.store.TOTPByUser(ctx, user.ID); errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
		}
		return check(ctx, user.ID, code)
	})
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": step})
		h.renderReset(w, r, token, user, true, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	case err != nil:
		h.serverError(w, r, "check reset factor", err)
		return
	case !ok:
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "reset_" + step})
		h.renderReset(w, r, token, user, true, view{status: http.StatusBadRequest, alert: msgCodeInvalid})
		return
	}
	if step == throttle.StepRecovery {
		h.audit(ctx, eventRecoveryCodeUsed, user.ID, "", ip, nil)
		h.mailQueued()
	}
	if err := h.store.PassPasswordResetFactor(ctx, secret.Hash(token), h.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, http.StatusBadRequest, msgErrorResetLink)
			return
		}
		h.serverError(w, r, "record reset factor", err)
		return
	}
	http.Redirect(w, r, pathReset+"?token="+url.QueryEscape(token), http.StatusSeeOther)
}

// liveReset returns the reset and the active user of a reset token. For a
// token that is malformed, unknown, expired, used or replaced it writes a
// 400 page and returns false.
func (h *Handler) liveReset(w http.ResponseWriter, r *http.Request, token string) (store.PasswordReset, store.User, bool) {
	if token == "" || len(token) > maxTokenLength {
		h.fail(w, r, http.StatusBadRequest, msgErrorResetLink)
		return store.PasswordReset{}, store.User{}, false
	}
	ctx := r.Context()
	reset, err := h.store.PasswordResetByHash(ctx, secret.Hash(token), h.now())
	var user store.User
	if err == nil {
		user, err = h.store.UserByID(ctx, reset.UserID)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Status != store.UserActive) {
		h.fail(w, r, http.StatusBadRequest, msgErrorResetLink)
		return store.PasswordReset{}, store.User{}, false
	}
	if err != nil {
		h.serverError(w, r, "load password reset", err)
		return store.PasswordReset{}, store.User{}, false
	}
	return reset, user, true
}

// resetNeedsFactor reports whether the user must pass a second factor
// before a reset: those with an authenticator app or a security key. The
// reset link itself proves the email factor.
func (h *Handler) resetNeedsFactor(ctx context.Context, userID string) (bool, error) {
	methods, err := h.store.Methods(ctx, userID)
	if err != nil {
		return false, err
	}
	return slices.Contains(methods, "totp") || slices.Contains(methods, "webauthn"), nil
}

func (h *Handler) renderReset(w http.ResponseWriter, r *http.Request, token string, user store.User, factor bool, v view) {
	v.page, v.userLocale = pageReset, user.Locale
	if factor {
		v.page = pageResetFactor
	}
	v.data = resetPage{Action: pathReset, Email: user.Email, Token: token, MinLength: password.MinRunes, MaxLength: password.MaxBytes}
	h.render(w, r, v)
}
