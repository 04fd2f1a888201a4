package login

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// eventEmailRemoved is the audit event of the email method turned off on
// the account page.
const eventEmailRemoved = "email_2fa.removed"

// Purposes of the email challenges of the account page. Each binds its
// challenges to the browser and the session apart from the others, so a
// code sent to add the method does not re-verify, and the reverse.
const (
	bindingAccountEmail  = "account-email"
	bindingAccountVerify = "account-verify"
)

// accountBinding binds an email challenge of the account page to this
// browser, the session s and purpose.
func (h *Handler) accountBinding(r *http.Request, s store.Session, purpose string) string {
	return h.keys.MAC(secret.PurposeLinkSigning, purpose, browserFrom(r.Context()), s.ID)
}

// openChallenge returns the challenge bound to binding when it can still
// take a code, and found=false when there is none or it is used, voided
// or expired.
func (h *Handler) openChallenge(r *http.Request, binding string) (c store.EmailChallenge, found bool, err error) {
	c, err = h.store.LatestEmailChallenge(r.Context(), binding)
	if errors.Is(err, store.ErrNotFound) {
		return store.EmailChallenge{}, false, nil
	}
	if err != nil {
		return store.EmailChallenge{}, false, err
	}
	open := c.UsedAt.IsZero() && c.VoidedAt.IsZero() && h.now().Before(c.CodeExpiresAt)
	return c, open, nil
}

// canAddEmail reports whether the account page offers the email method:
// mail is configured and the user does not have it yet.
func (h *Handler) canAddEmail(methods []string) bool {
	return h.mail != nil && !slices.Contains(methods, amrEmail)
}

// showAccountEmail handles GET /account/email: it adds the email method to
// a signed-in account once the user enters the code the first visit sends
// to their address, proving they read it.
func (h *Handler) showAccountEmail(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.emailAddSession(w, r)
	if !ok {
		return
	}
	binding := h.accountBinding(r, s, bindingAccountEmail)
	if _, found, err := h.openChallenge(r, binding); err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	} else if !found {
		if err := h.sendCodeChallenge(r, nil, user, binding); err != nil {
			h.serverError(w, r, "send email challenge", err)
			return
		}
		h.audit(r.Context(), eventEmailSent, user.ID, "", h.clientAddr(r), map[string]string{"link": "false"})
	}
	h.renderAccountEmail(w, r, user, view{})
}

// addEmail handles POST /account/email with code, or with resend a new
// code. The right code turns the email method on.
func (h *Handler) addEmail(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.emailAddSession(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	binding := h.accountBinding(r, s, bindingAccountEmail)
	c, found, err := h.openChallenge(r, binding)
	if err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	}
	if r.PostForm.Get("resend") != "" || !found {
		if found && h.now().Before(c.CreatedAt.Add(emailResendCooldown)) {
			h.renderAccountEmail(w, r, user, view{status: http.StatusTooManyRequests, alert: msgEmailResendWait,
				alertData: map[string]any{"Seconds": int(emailResendCooldown / time.Second)}})
			return
		}
		if err := h.sendCodeChallenge(r, nil, user, binding); err != nil {
			h.serverError(w, r, "send email challenge", err)
			return
		}
		h.audit(ctx, eventEmailSent, user.ID, "", ip, map[string]string{"link": "false"})
		h.renderAccountEmail(w, r, user, view{alert: msgEmailResent})
		return
	}

	verified, dead, err := h.checkChallengeCode(ctx, user.ID, ip, c, r.PostForm.Get("code"))
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": "account_email"})
		h.renderAccountEmail(w, r, user, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	case err != nil:
		h.serverError(w, r, "verify email code", err)
		return
	case !verified:
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "account_email"})
		alert := msgEmailCodeInvalid
		if dead {
			alert = msgEmailCodeExpired
		}
		h.renderAccountEmail(w, r, user, view{status: http.StatusBadRequest, alert: alert})
		return
	}

	notice, err := h.mail.Notification(user, h.pageLanguage(r, nil, user.Locale), mail.EventMethodAdded, amrEmail)
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	activated, err := h.store.UseEmailChallenge(ctx, c.ID, h.now(), &notice)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "use email challenge", err)
		return
	}
	if activated {
		h.audit(ctx, eventEmailActivated, user.ID, "", ip, map[string]string{"via": "account"})
		h.mailQueued()
	}
	http.Redirect(w, r, pathAccount+"?done=email_added", http.StatusSeeOther)
}

// emailAddSession is changeSession for the pages that add the email
// method. A user who has it, or a provider without mail, goes back to the
// account page.
func (h *Handler) emailAddSession(w http.ResponseWriter, r *http.Request) (store.Session, store.User, bool) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return store.Session{}, store.User{}, false
	}
	methods, err := h.store.Methods(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return store.Session{}, store.User{}, false
	}
	if !h.canAddEmail(methods) {
		http.Redirect(w, r, pathAccount, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

func (h *Handler) renderAccountEmail(w http.ResponseWriter, r *http.Request, user store.User, v view) {
	v.page, v.userLocale = pageMailboxProof, user.Locale
	v.data = mailboxPage{Action: pathAccountEmail, Email: user.Email}
	h.render(w, r, v)
}

// removeEmailMethod turns the email method off and queues the notice in
// the same transaction. The caller has applied the last-method rule.
func (h *Handler) removeEmailMethod(r *http.Request, user store.User) error {
	var notice *store.OutboundEmail
	if h.mail != nil {
		n, err := h.mail.Notification(user, h.pageLanguage(r, nil, user.Locale), mail.EventMethodRemoved, amrEmail)
		if err != nil {
			return err
		}
		notice = &n
	}
	err := h.store.RemoveEmailMethod(r.Context(), user.ID, h.now(), notice)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if notice != nil && h.mailQueued != nil {
		h.mailQueued()
	}
	return nil
}

// ensureReverifyCode sends the emailed code of re-verification, unless
// this browser session has one that still takes a code.
func (h *Handler) ensureReverifyCode(r *http.Request, s store.Session, user store.User) error {
	binding := h.accountBinding(r, s, bindingAccountVerify)
	if _, found, err := h.openChallenge(r, binding); err != nil || found {
		return err
	}
	if err := h.sendCodeChallenge(r, nil, user, binding); err != nil {
		return err
	}
	h.audit(r.Context(), eventEmailSent, user.ID, "", h.clientAddr(r), map[string]string{"link": "false"})
	return nil
}

// reverifyEmail handles POST /account/verify/email, the emailed-code step
// of re-verification after the password: code, or resend for a new code.
// The code is single-use, and the right one renews the second factor.
func (h *Handler) reverifyEmail(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.reverifySession(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	page, err := h.verifyKind(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	page.SecondStep = true
	retry := func(status int, alert string, data map[string]any) {
		h.render(w, r, view{page: pageAccountVerify, status: status, alert: alert, alertData: data, userLocale: user.Locale, data: page})
	}
	if !page.Email {
		retry(http.StatusBadRequest, msgAccountVerifyFailed, nil)
		return
	}
	binding := h.accountBinding(r, s, bindingAccountVerify)
	c, found, err := h.openChallenge(r, binding)
	if err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	}
	if r.PostForm.Get("resend") != "" || !found {
		if found && h.now().Before(c.CreatedAt.Add(emailResendCooldown)) {
			retry(http.StatusTooManyRequests, msgEmailResendWait, map[string]any{"Seconds": int(emailResendCooldown / time.Second)})
			return
		}
		if err := h.sendCodeChallenge(r, nil, user, binding); err != nil {
			h.serverError(w, r, "send email challenge", err)
			return
		}
		h.audit(ctx, eventEmailSent, user.ID, "", ip, map[string]string{"link": "false"})
		retry(http.StatusOK, msgEmailResent, nil)
		return
	}

	verified, _, err := h.checkChallengeCode(ctx, user.ID, ip, c, r.PostForm.Get("code"))
	if err == nil && verified {
		// Consume the challenge, so its code re-verifies once.
		_, err = h.store.UseEmailChallenge(ctx, c.ID, h.now(), nil)
		verified = err == nil
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
	}
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": "reverify"})
		retry(http.StatusTooManyRequests, msgThrottled, nil)
		return
	case err != nil:
		h.serverError(w, r, "verify email code", err)
		return
	case !verified:
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "reverify"})
		retry(http.StatusBadRequest, msgAccountVerifyFailed, nil)
		return
	}
	token, err := h.renewSecondFactor(r, s)
	if err != nil {
		h.serverError(w, r, "refresh session", err)
		return
	}
	h.setCookie(w, h.sessionKey, token, s.ExpiresAt)
	h.audit(ctx, eventReverified, user.ID, "", ip, map[string]string{"method": amrEmail})
	http.Redirect(w, r, pathAccount+"?done=verified", http.StatusSeeOther)
}
