package login

import (
	"errors"
	"net/http"
	"slices"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/recovery"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// removeMethod handles POST /account/methods/remove with the field method.
// A user who is not on the exception list keeps at least one method.
//
// NOTE: removing two methods (app, email or the last security key) at the
// same moment can leave a user without a method, because each request sees
// the other method. The check and the deletion are not one transaction.
func (h *Handler) removeMethod(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	method := r.PostForm.Get("method")
	methods, err := h.store.Methods(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	if !slices.Contains(methods, method) || !removableHere(method) {
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountMethodUnknown})
		return
	}
	exempt, err := h.exempt(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "check exception list", err)
		return
	}
	if len(methods) == 1 && !exempt {
		h.renderAccount(w, r, s, user, view{status: http.StatusConflict, alert: msgAccountLastMethod})
		return
	}

	if method == amrEmail {
		// The store queues the notice with the change.
		if err := h.removeEmailMethod(r, user); err != nil {
			h.serverError(w, r, "remove email method", err)
			return
		}
		h.audit(ctx, eventEmailRemoved, user.ID, "", h.clientAddr(r), nil)
		http.Redirect(w, r, pathAccount+"?done=method_removed", http.StatusSeeOther)
		return
	}
	notice, err := h.notice(r, nil, user, mail.EventMethodRemoved, method)
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	err = h.store.DeleteTOTP(ctx, user.ID, notice)
	if errors.Is(err, store.ErrNotFound) {
		// Removed by a concurrent request, which sent the notice.
		http.Redirect(w, r, pathAccount+"?done=method_removed", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "remove authenticator app", err)
		return
	}
	h.audit(ctx, eventTOTPRemoved, user.ID, "", h.clientAddr(r), nil)
	h.mailQueued()
	http.Redirect(w, r, pathAccount+"?done=method_removed", http.StatusSeeOther)
}

// regenerateRecoveryCodes handles POST /account/recovery-codes: it
// replaces every recovery code with new ones and shows them once.
func (h *Handler) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	methods, err := h.store.Methods(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	if len(methods) == 0 {
		// Recovery codes stand in for a method, so they need one.
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountNoMethod})
		return
	}
	codes := recovery.Generate()
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = recovery.Hash(h.keys, user.ID, c)
	}
	if err := h.store.ReplaceRecoveryCodes(ctx, user.ID, hashes, h.now()); err != nil {
		h.serverError(w, r, "replace recovery codes", err)
		return
	}
	h.audit(ctx, eventRecoveryCodesReplaced, user.ID, "", h.clientAddr(r), nil)
	h.renderAccountCodes(w, r, user, codes)
}

// changePassword handles POST /account/password with current_password,
// password and password_confirm. It ends the user's other sessions, so a
// password someone else learned stops working everywhere at once.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	current := r.PostForm.Get("current_password")
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
	case current == "" || len(current) > password.MaxBytes:
		v.alert = msgAccountPasswordWrong
	}
	if v.alert != "" {
		h.renderAccount(w, r, s, user, v)
		return
	}

	verified, err := h.throttled(ctx, throttle.StepPassword, user.EmailKey, ip, func() (bool, error) {
		_, ok, err := h.checkPassword(ctx, user.EmailKey, current)
		return ok, err
	})
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, user.ID, "", ip, map[string]string{"step": "password_change"})
		h.renderAccount(w, r, s, user, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	}
	if err != nil {
		h.serverError(w, r, "check current password", err)
		return
	}
	if !verified {
		h.audit(ctx, eventSignInFailed, user.ID, "", ip, map[string]string{"step": "password_change"})
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountPasswordWrong})
		return
	}

	hash, err := h.passwords.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, "hash password", err)
		return
	}
	notice, err := h.notice(r, nil, user, mail.EventPasswordChanged, "")
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	if err := h.store.SetPasswordHash(ctx, user.ID, hash, notice); err != nil {
		h.serverError(w, r, "store password", err)
		return
	}
	h.mailQueued()
	ended, err := h.store.RevokeOtherSessions(ctx, user.ID, s.ID, h.now())
	if err != nil {
		h.serverError(w, r, "end other sessions", err)
		return
	}
	h.audit(ctx, eventPasswordChanged, user.ID, "", ip, nil)
	h.logger.InfoContext(ctx, "password changed", "user_id", user.ID, "sessions_ended", ended)
	http.Redirect(w, r, pathAccount+"?done=password", http.StatusSeeOther)
}

// changeLanguage handles POST /account/language with the field locale,
// one of the languages of the pages.
func (h *Handler) changeLanguage(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	locale := r.PostForm.Get("locale")
	known := slices.ContainsFunc(accountLocales, func(l struct{ Tag, LabelID string }) bool { return l.Tag == locale })
	if !known {
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountLanguageUnknown})
		return
	}
	ctx := r.Context()
	if err := h.store.SetUserLocale(ctx, user.ID, locale); err != nil {
		h.serverError(w, r, "store language", err)
		return
	}
	h.audit(ctx, eventLocaleChanged, user.ID, "", h.clientAddr(r), map[string]string{"locale": locale})
	// A language picked with the switcher outranks the saved one, so an
	// older pick would hide the new choice. The choice becomes the pick too.
	if tag, ok := i18n.Parse(locale); ok {
		h.rememberLanguage(w, tag, "")
	}
	http.Redirect(w, r, pathAccount+"?done=language", http.StatusSeeOther)
}

// signOutOthers handles POST /account/sessions: "sign out everywhere
// else" ends every session of the user but this one.
func (h *Handler) signOutOthers(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	ended, err := h.store.RevokeOtherSessions(ctx, user.ID, s.ID, h.now())
	if err != nil {
		h.serverError(w, r, "end other sessions", err)
		return
	}
	h.audit(ctx, eventOtherSessionsSignedOut, user.ID, "", h.clientAddr(r), nil)
	h.logger.InfoContext(ctx, "other sessions signed out", "user_id", user.ID, "sessions_ended", ended)
	http.Redirect(w, r, pathAccount+"?done=sessions", http.StatusSeeOther)
}
