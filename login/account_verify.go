package login

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/recovery"
	"github.com/hotelsoft/idp/login/throttle"
)

type accountVerifyPage struct {
	// NeedsCode is true when the user has an authenticator app. A user
	// on the exception list without one gives the password alone.
	NeedsCode bool
	// Unsupported is true when the user's methods cannot be checked on
	// this page, so the page asks them to sign in again instead.
	Unsupported bool
}

// showAccountVerify handles GET /account/verify, where a user whose
// sign-in is older than reverifyWindow confirms the password and the
// second factor before changing the account.
func (h *Handler) showAccountVerify(w http.ResponseWriter, r *http.Request) {
	_, user, ok := h.accountSession(w, r)
	if !ok {
		return
	}
	page, err := h.verifyKind(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	h.render(w, r, view{page: pageAccountVerify, userLocale: user.Locale, data: page})
}

// accountVerify handles POST /account/verify with password and, for a
// user with an authenticator app, code (an app code or a recovery code).
// Both are throttled like sign-in. Success refreshes the session's
// authentication times and replaces its token.
func (h *Handler) accountVerify(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.accountSession(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	page, err := h.verifyKind(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	retry := func(status int, alert string) {
		h.render(w, r, view{page: pageAccountVerify, status: status, alert: alert, userLocale: user.Locale, data: page})
	}
	if page.Unsupported {
		retry(http.StatusBadRequest, msgAccountVerifyFailed)
		return
	}
	pw, code := r.PostForm.Get("password"), r.PostForm.Get("code")
	if pw == "" || len(pw) > password.MaxBytes || (page.NeedsCode && (code == "" || len(code) > maxCodeLength)) {
		retry(http.StatusBadRequest, msgAccountVerifyFailed)
		return
	}

	pwOK, err := h.throttled(ctx, throttle.StepPassword, user.EmailKey, ip, func() (bool, error) {
		_, ok, err := h.checkPassword(ctx, user.EmailKey, pw)
		return ok, err
	})
	codeOK := !page.NeedsCode
	step := ""
	if err == nil && pwOK && page.NeedsCode {
		// The code is checked only after the password, so that a wrong
		// password does not use up a recovery code.
		step = throttle.StepTOTP
		check := h.checkTOTP
		if recovery.LooksLike(code) {
			step, check = throttle.StepRecovery, h.checkRecoveryCode
		}
		codeOK, err = h.throttled(ctx, step, user.ID, ip, func() (bool, error) { return check(ctx, user.ID, code) })
	}
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": "reverify"})
		retry(http.StatusTooManyRequests, msgThrottled)
		return
	}
	if err != nil {
		h.serverError(w, r, "re-verify", err)
		return
	}
	if !pwOK || !codeOK {
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "reverify"})
		retry(http.StatusBadRequest, msgAccountVerifyFailed)
		return
	}
	if step == throttle.StepRecovery {
		h.audit(ctx, eventRecoveryCodeUsed, user.ID, "", ip, nil)
		h.notifyUser(r, user, mail.EventRecoveryCodeUsed, "")
	}

	now := h.now()
	token := secret.Token()
	s.TokenHash = secret.Hash(token)
	s.AuthTime, s.UpdatedAt = now, now
	if page.NeedsCode {
		s.SecondFactorAt = now
	}
	if err := h.store.UpdateSession(ctx, s); err != nil {
		h.serverError(w, r, "refresh session", err)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)
	h.audit(ctx, eventReverified, user.ID, "", ip, nil)
	http.Redirect(w, r, pathAccount+"?done=verified", http.StatusSeeOther)
}

// verifyKind decides what the re-verification page asks of the user.
//
// NOTE: users whose only methods are security keys or email codes cannot
// re-verify here yet, so the page asks them to sign out and in again.
func (h *Handler) verifyKind(ctx context.Context, userID string) (accountVerifyPage, error) {
	methods, err := h.store.Methods(ctx, userID)
	if err != nil {
		return accountVerifyPage{}, err
	}
	if slices.Contains(methods, "totp") {
		return accountVerifyPage{NeedsCode: true}, nil
	}
	if len(methods) > 0 {
		return accountVerifyPage{Unsupported: true}, nil
	}
	exempt, err := h.exempt(ctx, userID)
	if err != nil {
		return accountVerifyPage{}, err
	}
	// A user with no method who is not exempt holds no complete session;
	// asking for a code they cannot have is the safe answer if one does.
	return accountVerifyPage{NeedsCode: !exempt, Unsupported: !exempt}, nil
}
