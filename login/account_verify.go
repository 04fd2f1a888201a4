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
	"github.com/hotelsoft/idp/store"
)

type accountVerifyPage struct {
	// NeedsCode is true when the user has an authenticator app. A user
	// on the exception list without one gives the password alone.
	NeedsCode bool
	// Unsupported is true when the user's methods cannot be checked on
	// this page, so the page asks them to sign in again instead.
	Unsupported bool
	// Key and Email are true for a user without an authenticator app who
	// re-verifies with a security key or an emailed code, after the
	// password. SecondStep is true once the password was given.
	Key        bool
	Email      bool
	SecondStep bool
	KeyBegin   string
	KeyFinish  string
}

// showAccountVerify handles GET /account/verify, where a user whose
// sign-in is older than reverifyWindow confirms the password and the
// second factor before changing the account.
func (h *Handler) showAccountVerify(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.accountSession(w, r)
	if !ok {
		return
	}
	page, err := h.verifyKind(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	page.SecondStep = (page.Key || page.Email) && h.now().Sub(s.AuthTime) <= reverifyWindow
	if page.SecondStep && page.Email && !page.Key {
		if err := h.ensureReverifyCode(r, s, user); err != nil {
			h.serverError(w, r, "send email challenge", err)
			return
		}
	}
	h.render(w, r, view{page: pageAccountVerify, userLocale: user.Locale, data: page})
}

// accountVerify handles POST /account/verify with password and, for a
// user with an authenticator app, code (an app code or a recovery code).
// Both are throttled like sign-in. Success refreshes the session's
// authentication times and replaces its token. A user who re-verifies
// with a security key or an emailed code gives the password here first.
// That refreshes the password's time only, and the page then asks for the
// key or the code (see finishReverifyKey and reverifyEmail).
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
			notice, err := h.notice(r, nil, user, mail.EventRecoveryCodeUsed, "")
			if err != nil {
				h.serverError(w, r, "compose notification", err)
				return
			}
			step, check = throttle.StepRecovery, h.checkRecoveryCode(notice)
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
		h.mailQueued()
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
	if !h.fresh(s) {
		// The password is verified, and the key or the code is next.
		http.Redirect(w, r, pathAccountVerify, http.StatusSeeOther)
		return
	}
	h.audit(ctx, eventReverified, user.ID, "", ip, nil)
	http.Redirect(w, r, pathAccount+"?done=verified", http.StatusSeeOther)
}

// renewSecondFactor records a second factor given now in s under a new
// token, which it returns for the cookie.
func (h *Handler) renewSecondFactor(r *http.Request, s store.Session) (string, error) {
	now := h.now()
	token := secret.Token()
	s.TokenHash = secret.Hash(token)
	s.SecondFactorAt, s.UpdatedAt = now, now
	return token, h.store.UpdateSession(r.Context(), s)
}

// verifyKind decides what the re-verification page asks of the user: an
// app code with the password, or the password and then a security key or
// an emailed code. A user whose methods this provider cannot check now
// (keys without a relying party, email without mail) is asked to sign in
// again.
func (h *Handler) verifyKind(ctx context.Context, userID string) (accountVerifyPage, error) {
	methods, err := h.store.Methods(ctx, userID)
	if err != nil {
		return accountVerifyPage{}, err
	}
	if slices.Contains(methods, "totp") {
		return accountVerifyPage{NeedsCode: true}, nil
	}
	if len(methods) > 0 {
		page := accountVerifyPage{
			Key:       slices.Contains(methods, methodKey) && h.relyingParty != nil,
			Email:     slices.Contains(methods, amrEmail) && h.mail != nil,
			KeyBegin:  pathAccountVerifyKeyBegin,
			KeyFinish: pathAccountVerifyKeyFinish,
		}
		page.Unsupported = !page.Key && !page.Email
		return page, nil
	}
	exempt, err := h.exempt(ctx, userID)
	if err != nil {
		return accountVerifyPage{}, err
	}
	// A user with no method who is not exempt has no complete session.
	// If one does, asking for a code they cannot have is the safe response.
	return accountVerifyPage{NeedsCode: !exempt, Unsupported: !exempt}, nil
}
