package login

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// maxEmailLength is the longest email address accepted (RFC 5321 allows
// 254 characters in a path; this leaves room for display variants).
const maxEmailLength = 320

// signInPage is the data of the sign-in form.
type signInPage struct {
	Action string
	Email  string
}

// showSignIn handles GET /login. With a session that satisfies the auth
// request it completes the request at once (single sign-on); with
// prompt=none and no such session it returns login_required to the
// relying party; otherwise it shows the form.
func (h *Handler) showSignIn(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, true)
	if !ok || h.rejectUnmet(w, r, req) {
		return
	}
	if h.singleSignOn(w, r, req) {
		return
	}
	if req != nil && slices.Contains(req.Prompt, oidc.PromptNone) {
		h.provider.AuthRequestError(w, r, req.ID, oidc.ErrLoginRequired())
		return
	}
	if h.redirectLocked(w, r, req, pathHome) {
		return
	}
	if h.startStepUp(w, r, req) {
		return
	}

	page := signInPage{Action: withID(pathLogin, requestID(req))}
	if req != nil {
		page.Email = truncate(req.LoginHint, maxEmailLength)
	}
	h.render(w, r, view{page: pageSignIn, uiLocales: uiLocales(req), data: page})
}

// signIn handles POST /login: the password step.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	req, ok := h.authRequest(w, r, true)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	pw := r.PostForm.Get("password")
	retry := func(status int, alert string) {
		page := signInPage{Action: withID(pathLogin, requestID(req)), Email: truncate(email, maxEmailLength)}
		h.render(w, r, view{page: pageSignIn, status: status, alert: alert, uiLocales: uiLocales(req), data: page})
	}
	if email == "" || pw == "" || len(email) > maxEmailLength || len(pw) > password.MaxBytes {
		retry(http.StatusBadRequest, msgSignInFailed)
		return
	}

	ctx, ip := r.Context(), h.clientAddr(r)
	account := store.NormalizeEmail(email)
	attempt, err := h.limiter.Begin(ctx, throttle.StepPassword, account, ip)
	if errors.Is(err, throttle.ErrThrottled) {
		h.audit(ctx, eventSignInThrottled, "", clientOf(req), ip, map[string]string{"step": throttle.StepPassword})
		retry(http.StatusTooManyRequests, msgThrottled)
		return
	}
	if err != nil {
		h.serverError(w, r, "begin password attempt", err)
		return
	}

	user, verified, err := h.checkPassword(ctx, account, pw)
	if err != nil {
		h.serverError(w, r, "check password", err)
		return
	}
	if !verified {
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepPassword})
		retry(http.StatusBadRequest, msgSignInFailed)
		return
	}
	h.forgive(ctx, attempt, user.ID)

	if exempt, err := h.passwordOnly(ctx, req, user.ID); err != nil {
		h.serverError(w, r, "check exception list", err)
		return
	} else if exempt {
		h.finishPasswordOnly(w, r, req, user)
		return
	}
	if err := h.startSession(w, r, user); err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	next, err := h.secondFactorPage(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "choose second factor", err)
		return
	}
	http.Redirect(w, r, withID(next, requestID(req)), http.StatusSeeOther)
}

// checkPassword looks up the account and verifies its password. An
// unknown, invited or disabled account costs the same time as a wrong
// password and returns verified=false, so neither the result nor its
// timing reveals which case occurred. user is set whenever the account exists.
func (h *Handler) checkPassword(ctx context.Context, account, pw string) (user store.User, verified bool, err error) {
	user, err = h.store.UserByEmailKey(ctx, account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, err
	}
	if err != nil || user.Status != store.UserActive || user.PasswordHash == "" {
		h.passwords.Dummy(ctx, pw)
		return user, false, nil
	}

	ok, rehash, err := h.passwords.Verify(ctx, user.PasswordHash, pw)
	if err != nil {
		return user, false, err
	}
	if ok && rehash {
		h.upgradeHash(ctx, user.ID, pw)
	}
	return user, ok, nil
}

// upgradeHash stores a hash with the current parameters after a
// successful sign-in. A failure only delays the upgrade to the next
// sign-in, so it is logged and not returned.
func (h *Handler) upgradeHash(ctx context.Context, userID, pw string) {
	hash, err := h.passwords.Hash(ctx, pw)
	if err == nil {
		err = h.store.SetPasswordHash(ctx, userID, hash, nil)
	}
	if err != nil {
		h.logger.WarnContext(ctx, "upgrade password hash", "user_id", userID, "err", err)
	}
}

// secondFactorPage returns the page of the user's next step after the
// password: verification when an authenticator app is confirmed, else the
// choice of a method to activate.
func (h *Handler) secondFactorPage(ctx context.Context, userID string) (string, error) {
	if hasKey, err := h.hasKey(ctx, userID); err != nil || hasKey {
		// A security key replaces every other second factor.
		return pathKeyVerify, err
	}
	c, err := h.store.TOTPByUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return h.emailOrMethodPage(ctx, userID)
	}
	if err != nil {
		return "", err
	}
	if c.ConfirmedAt.IsZero() {
		return h.emailOrMethodPage(ctx, userID)
	}
	return pathVerify, nil
}
