package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/recovery"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/login/totp"
	"github.com/hotelsoft/idp/store"
)

// verifyPage is the data of the verification page. Its one field takes
// either kind of code; Recovery only switches the label and the keyboard,
// because a phone's numeric keyboard cannot type a recovery code.
type verifyPage struct {
	Action   string
	Recovery bool
	Switch   string // the same page in the other mode
}

// showVerify handles GET /login/2fa/verify, the second factor of a user
// with a confirmed authenticator app.
func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) {
	req, _, _, ok := h.verifyStep(w, r)
	if !ok {
		return
	}
	h.renderVerify(w, r, req, view{})
}

// verify handles POST /login/2fa/verify. The code field takes a code from
// the authenticator app or a recovery code; either is accepted once.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.verifyStep(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	code := r.PostForm.Get("code")

	step, amr := throttle.StepTOTP, []string{amrPassword, amrOTP, amrMFA}
	check := h.checkTOTP
	if recovery.LooksLike(code) {
		notice, err := h.notice(r, req, user, mail.EventRecoveryCodeUsed, "")
		if err != nil {
			h.serverError(w, r, "compose notification", err)
			return
		}
		step, amr = throttle.StepRecovery, []string{amrPassword, amrOTP, amrRecovery, amrMFA}
		check = h.checkRecoveryCode(notice)
	}

	ok, err := h.throttled(ctx, step, user.ID, ip, func() (bool, error) {
		return check(ctx, user.ID, code)
	})
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": step})
		h.renderVerify(w, r, req, view{status: http.StatusTooManyRequests, alert: msgThrottled})
		return
	}
	if err != nil {
		h.serverError(w, r, "verify second factor", err)
		return
	}
	if !ok {
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": step})
		alert := msgCodeInvalid
		if step == throttle.StepRecovery || r.URL.Query().Get("mode") == "recovery" {
			alert = msgRecoveryInvalid
		}
		h.renderVerify(w, r, req, view{status: http.StatusBadRequest, alert: alert})
		return
	}

	if step == throttle.StepRecovery {
		h.audit(ctx, eventRecoveryCodeUsed, user.ID, clientOf(req), ip, nil)
		h.mailQueued()
	}
	h.finish(w, r, req, s, user, amr, step)
}

// verifyStep runs the checks of the verification page: a sign-in waiting
// for its second factor, by a user with a confirmed authenticator app.
func (h *Handler) verifyStep(w http.ResponseWriter, r *http.Request) (*store.AuthRequest, store.Session, store.User, bool) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return nil, store.Session{}, store.User{}, false
	}
	s, user, ok := h.pendingSignIn(w, r, req)
	if !ok {
		return nil, store.Session{}, store.User{}, false
	}
	next, err := h.secondFactorPage(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "choose second factor", err)
		return nil, store.Session{}, store.User{}, false
	}
	if next != pathVerify && !h.totpBesideKey(r.Context(), next, user.ID) {
		http.Redirect(w, r, withID(next, requestID(req)), http.StatusSeeOther)
		return nil, store.Session{}, store.User{}, false
	}
	return req, s, user, true
}

// throttled runs check as one attempt at step for the account and the
// client address, and forgives the attempt when check succeeds.
func (h *Handler) throttled(ctx context.Context, step, account, ip string, check func() (bool, error)) (bool, error) {
	attempt, err := h.limiter.Begin(ctx, step, account, ip)
	if err != nil {
		return false, err
	}
	ok, err := check()
	if err != nil || !ok {
		return false, err
	}
	h.forgive(ctx, attempt, account)
	return true, nil
}

// checkTOTP accepts a code from the user's authenticator app once: a code
// of a time step at or before the last accepted one is a replay.
func (h *Handler) checkTOTP(ctx context.Context, userID, code string) (bool, error) {
	if len(code) > maxCodeLength {
		return false, nil
	}
	c, err := h.store.TOTPByUser(ctx, userID)
	if err != nil {
		return false, err
	}
	key, err := h.keys.Sealer().Open(c.SecretEncrypted, userID)
	if err != nil {
		return false, err
	}
	step, ok := totp.Match(key, code, h.now())
	if !ok {
		return false, nil
	}
	err = h.store.UseTOTPStep(ctx, userID, step)
	if errors.Is(err, store.ErrConflict) {
		h.logger.InfoContext(ctx, "replayed authenticator code rejected", "user_id", userID)
		return false, nil
	}
	return err == nil, err
}

// checkRecoveryCode returns a check, shaped like checkTOTP, that consumes
// one of the user's unused recovery codes and queues notice (unless nil)
// in the same transaction, so the email is queued exactly when a code is
// used.
func (h *Handler) checkRecoveryCode(notice *store.OutboundEmail) func(ctx context.Context, userID, code string) (bool, error) {
	return func(ctx context.Context, userID, code string) (bool, error) {
		err := h.store.UseRecoveryCode(ctx, userID, recovery.Hash(h.keys, userID, code), h.now(), notice)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
}

func (h *Handler) renderVerify(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, v view) {
	recoveryMode := r.URL.Query().Get("mode") == "recovery"
	v.page, v.uiLocales = pageVerify, uiLocales(req)
	v.data = verifyPage{
		Action:   verifyURL(requestID(req), recoveryMode),
		Recovery: recoveryMode,
		Switch:   verifyURL(requestID(req), !recoveryMode),
	}
	h.render(w, r, v)
}

// verifyURL returns the verification page for an auth request, in
// recovery code mode or in authenticator app mode.
func verifyURL(authRequestID string, recoveryMode bool) string {
	q := url.Values{}
	if authRequestID != "" {
		q.Set("id", authRequestID)
	}
	if recoveryMode {
		q.Set("mode", "recovery")
	}
	if len(q) == 0 {
		return pathVerify
	}
	return pathVerify + "?" + q.Encode()
}
