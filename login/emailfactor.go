package login

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// Limits of the email second factor.
const (
	emailLinkLifetime   = 15 * time.Minute
	emailCodeLifetime   = 10 * time.Minute
	emailMaxAttempts    = 5 // wrong codes that kill a challenge
	emailResendCooldown = 60 * time.Second
)

// amrEmail is the method reference of the email second factor. RFC 8176
// has no value for it, so the provider adds "email" to "otp".
const amrEmail = "email"

// Paths of the email second factor. The link path is outside the page
// middleware's form checks, because mail scanners post to it.
const (
	pathEmail     = "/login/2fa/email"
	pathEmailLink = "/login/2fa/email/link"
)

// registerEmail adds the email second factor and the forgot-password
// pages.
func (h *Handler) registerEmail(r *mux.Router, get, post func(string, http.HandlerFunc)) {
	get(pathEmail, h.showEmail)
	post(pathEmail, h.emailAction)
	get(pathEmailLink, h.openEmailLink)
	r.Path(pathEmailLink).Methods(http.MethodPost).Handler(h.noForm(h.emailLinkElsewhere))
	get(pathForgot, h.showForgot)
	post(pathForgot, h.forgot)
	get(pathReset, h.showReset)
	post(pathReset, h.reset)
}

// applyMail sets the email composer.
func (h *Handler) applyMail(cfg Config) error {
	h.mail, h.mailQueued = cfg.Mail, cfg.MailQueued
	if h.mailQueued == nil {
		h.mailQueued = func() {}
	}
	if h.mail != nil {
		return nil
	}
	c, err := mail.NewComposer(h.product, h.keys, h.now)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	h.mail = c
	return nil
}

// emailOrMethodPage returns the email step for a user who activated email
// and the method choice for everybody else.
func (h *Handler) emailOrMethodPage(ctx context.Context, userID string) (string, error) {
	methods, err := h.store.Methods(ctx, userID)
	if err != nil {
		return "", err
	}
	if slices.Contains(methods, amrEmail) {
		return pathEmail, nil
	}
	return pathMethod, nil
}

// emailPage is the data of the "Check your email" page (Link set, for
// web clients) and the "Verify your email" page (a code only).
type emailPage struct {
	Action  string
	Email   string
	Link    bool
	Refresh bool // reload to notice a link opened in another tab
}

// showEmail handles GET /login/2fa/email. The first visit of a session
// sends the email. Later visits, the page's own reloads included, finish
// the sign-in once the link was opened in another tab of this browser.
func (h *Handler) showEmail(w http.ResponseWriter, r *http.Request) {
	if h.signedInElsewhere(w, r) {
		return
	}
	req, s, user, ok := h.emailStep(w, r)
	if !ok {
		return
	}
	c, found, err := h.latestChallenge(r, s)
	if err == nil && !found {
		var wait bool
		if c, wait, err = h.latestUserChallenge(r.Context(), user.ID); err == nil && wait {
			h.renderEmailWait(w, r, req, user, c, http.StatusOK)
			return
		}
		if err == nil {
			c, err = h.sendEmailChallenge(r, req, user, h.emailBinding(r, s))
		}
	}
	if err != nil {
		h.serverError(w, r, "send email challenge", err)
		return
	}
	if !c.VerifiedAt.IsZero() && c.UsedAt.IsZero() && c.VoidedAt.IsZero() {
		h.finishEmail(w, r, req, s, user, c)
		return
	}
	h.renderEmail(w, r, req, user, c, view{})
}

// emailAction handles POST /login/2fa/email: a code, or with the field
// resend a new email.
func (h *Handler) emailAction(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.emailStep(w, r)
	if !ok {
		return
	}
	c, found, err := h.latestChallenge(r, s)
	if err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	}
	if r.PostForm.Get("resend") != "" || !found {
		h.resendEmail(w, r, req, s, user, c, found)
		return
	}
	if !c.VerifiedAt.IsZero() && c.UsedAt.IsZero() && c.VoidedAt.IsZero() {
		// The link was opened in another tab of this browser.
		h.finishEmail(w, r, req, s, user, c)
		return
	}

	ctx, ip := r.Context(), h.clientAddr(r)
	code := strings.Join(strings.Fields(r.PostForm.Get("code")), "")
	dead := false
	ok, err = h.throttled(ctx, throttle.StepEmailCode, user.ID, ip, func() (bool, error) {
		if code == "" || len(code) > maxCodeLength {
			return false, nil
		}
		err := h.store.VerifyEmailCode(ctx, c.ID, h.emailCodeHash(c.ID, code), emailMaxAttempts, h.now())
		switch {
		case errors.Is(err, store.ErrConflict):
			return false, nil
		case errors.Is(err, store.ErrNotFound):
			dead = true
			return false, nil
		}
		return err == nil, err
	})
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepEmailCode})
		alert := msgThrottled
		if h.codeDead(c) {
			// Waiting does not help: only a new email brings a code.
			alert = msgEmailCodeExpired
		}
		h.renderEmail(w, r, req, user, c, view{status: http.StatusTooManyRequests, alert: alert})
	case err != nil:
		h.serverError(w, r, "verify email code", err)
	case !ok:
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepEmailCode})
		alert := msgEmailCodeInvalid
		if dead {
			alert = msgEmailCodeExpired
		}
		h.renderEmail(w, r, req, user, c, view{status: http.StatusBadRequest, alert: alert})
	default:
		c.VerifiedAt = h.now()
		h.finishEmail(w, r, req, s, user, c)
	}
}

// codeDead reports whether the code of c can no longer be entered: it
// was entered wrongly emailMaxAttempts times, expired, was used or was
// replaced by a newer email.
func (h *Handler) codeDead(c store.EmailChallenge) bool {
	return c.Attempts >= emailMaxAttempts || !h.now().Before(c.CodeExpiresAt) ||
		!c.UsedAt.IsZero() || !c.VoidedAt.IsZero()
}

// resendEmail sends a new email, which voids the older one, unless the
// last one went out less than emailResendCooldown ago.
func (h *Handler) resendEmail(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User, last store.EmailChallenge, found bool) {
	recent, wait, err := h.latestUserChallenge(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	}
	if wait {
		if found {
			recent = last
		}
		h.renderEmailWait(w, r, req, user, recent, http.StatusTooManyRequests)
		return
	}
	c, err := h.sendEmailChallenge(r, req, user, h.emailBinding(r, s))
	if err != nil {
		h.serverError(w, r, "send email challenge", err)
		return
	}
	h.renderEmail(w, r, req, user, c, view{alert: msgEmailResent})
}

// finishEmail consumes a verified challenge, activating the email method
// on its first use, and completes the sign-in.
func (h *Handler) finishEmail(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User, c store.EmailChallenge) {
	ctx := r.Context()
	notice, err := h.mail.Notification(user, h.requestLanguage(r, req), mail.EventMethodAdded, amrEmail)
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	activated, err := h.store.UseEmailChallenge(ctx, c.ID, h.now(), &notice)
	if errors.Is(err, store.ErrNotFound) {
		// Used by a concurrent request of this browser.
		http.Redirect(w, r, withID(pathEmail, requestID(req)), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "use email challenge", err)
		return
	}
	if activated {
		h.audit(ctx, eventEmailActivated, user.ID, clientOf(req), h.clientAddr(r), nil)
		h.mailQueued()
	}
	h.finish(w, r, req, s, user, []string{amrPassword, amrOTP, amrEmail, amrMFA}, amrEmail)
}

// openEmailLink handles GET /login/2fa/email/link. Only the browser session
// that requested the email verifies it here. Any other visitor, a mail
// scanner included, changes nothing and gets a page that asks for the code.
func (h *Handler) openEmailLink(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	id := r.URL.Query().Get("id")
	if len(id) > maxIDLength {
		id = ""
	}
	if !ok || token == "" || len(token) > maxTokenLength {
		// NOTE: a pending session lives no longer than its link, so an
		// expired link mostly finds no session and gets this page.
		h.emailLinkElsewhere(w, r)
		return
	}
	if s.Complete {
		h.emailLinkDead(w, r, s, id)
		return
	}
	ctx := r.Context()
	c, err := h.store.VerifyEmailLink(ctx, secret.Hash(token), h.emailBinding(r, s), h.now())
	if errors.Is(err, store.ErrNotFound) {
		h.logger.InfoContext(ctx, "email link rejected", "session_id", s.ID, "ip", h.clientAddr(r))
		h.emailLinkDead(w, r, s, id)
		return
	}
	if err != nil {
		h.serverError(w, r, "verify email link", err)
		return
	}
	h.logger.InfoContext(ctx, "email link verified", "user_id", c.UserID, "session_id", s.ID)
	http.Redirect(w, r, withID(pathEmail, id), http.StatusSeeOther)
}

// emailLinkDead shows the page for a link that verified nothing. In the
// browser session that requested an email the link has expired, was used
// or was replaced, and the page offers a new email while the sign-in is
// pending. Any other session gets the page that points to the original
// screen.
func (h *Handler) emailLinkDead(w http.ResponseWriter, r *http.Request, s store.Session, authRequestID string) {
	_, requested, err := h.latestChallenge(r, s)
	if err != nil {
		h.serverError(w, r, "load email challenge", err)
		return
	}
	if !requested {
		h.emailLinkElsewhere(w, r)
		return
	}
	page := emailLinkPage{Title: msgEmailLinkExpiredTitle, Message: msgEmailLinkInvalid}
	if !s.Complete {
		page.Message, page.Resend = msgEmailLinkExpired, withID(pathEmail, authRequestID)
	}
	h.render(w, r, view{page: pageEmailLink, status: http.StatusBadRequest, data: page})
}

// emailLinkPage is the data of the page an email link shows when it
// cannot sign in. Title and Message are message IDs. A non-empty Resend
// is the action of a form that sends a new email.
type emailLinkPage struct {
	Title   string
	Message string
	Resend  string
}

// emailLinkElsewhere shows the page for an email link opened without the
// session that asked for it.
func (h *Handler) emailLinkElsewhere(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, view{page: pageEmailLink, data: emailLinkPage{Title: msgEmailLinkTitle, Message: msgEmailLinkElsewhere}})
}

// noForm wraps a handler that reads no form and changes nothing, so it
// needs the security headers and the browser ID but no CSRF token.
func (h *Handler) noForm(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		browserID := h.readCookie(r, h.browserKey)
		next(w, r.WithContext(withBrowser(r.Context(), browserID)))
	})
}

// signedInElsewhere handles a reload of the email page after the link,
// opened in another tab of this browser, completed the sign-in there. It
// shows a page saying so and returns true.
func (h *Handler) signedInElsewhere(w http.ResponseWriter, r *http.Request) bool {
	s, ok, err := h.currentSession(r)
	if err != nil || !ok || !s.Complete {
		return false
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return true
	}
	if len(id) > maxIDLength {
		return false
	}
	req, err := h.store.AuthRequestByID(r.Context(), id, h.now())
	if err != nil || req.DoneAt.IsZero() || req.SessionID != s.ID ||
		!secret.Equal(req.BrowserHash, browserHash(browserFrom(r.Context()))) {
		return false
	}
	h.render(w, r, view{page: pageEmailDone, uiLocales: req.UILocales})
	return true
}

// emailStep runs the checks of the email pages: a sign-in waiting for its
// second factor, by a user whose step is email, or who has no method yet
// and activates email.
func (h *Handler) emailStep(w http.ResponseWriter, r *http.Request) (*store.AuthRequest, store.Session, store.User, bool) {
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
	if next != pathEmail && next != pathMethod {
		http.Redirect(w, r, withID(next, requestID(req)), http.StatusSeeOther)
		return nil, store.Session{}, store.User{}, false
	}
	return req, s, user, true
}

// latestChallenge returns the newest challenge of this browser session.
func (h *Handler) latestChallenge(r *http.Request, s store.Session) (store.EmailChallenge, bool, error) {
	c, err := h.store.LatestEmailChallenge(r.Context(), h.emailBinding(r, s))
	if errors.Is(err, store.ErrNotFound) {
		return store.EmailChallenge{}, false, nil
	}
	return c, err == nil, err
}

// sendEmailChallenge stores a new challenge, voiding the older ones, and
// queues its email: a link and a code for web clients, a code alone for
// native ones.
func (h *Handler) sendEmailChallenge(r *http.Request, req *store.AuthRequest, user store.User, binding string) (store.EmailChallenge, error) {
	ctx, now := r.Context(), h.now()
	code, err := sixDigits()
	if err != nil {
		return store.EmailChallenge{}, err
	}
	c := store.EmailChallenge{
		ID: secret.ID(), UserID: user.ID, BindingHash: binding,
		CreatedAt: now, CodeExpiresAt: now.Add(emailCodeLifetime),
	}
	c.CodeHash = h.emailCodeHash(c.ID, code)
	e := mail.Email{
		Kind: store.EmailTwoFactor, Template: mail.TemplateEmailCode, To: user.Email,
		Language: h.emailLanguage(r, req, user),
		Data:     map[string]any{"Name": user.Name, "Code": code, "CodeMinutes": int(emailCodeLifetime / time.Minute)},
	}
	web, err := h.wantsLink(ctx, req)
	if err != nil {
		return store.EmailChallenge{}, err
	}
	if web {
		token := secret.Token()
		c.LinkHash, c.LinkExpiresAt = secret.Hash(token), now.Add(emailLinkLifetime)
		q := url.Values{"token": {token}}
		if req != nil {
			q.Set("id", req.ID)
		}
		e.Template = mail.TemplateEmailLink
		e.Data["Link"] = h.issuer + pathEmailLink + "?" + q.Encode()
		e.Data["LinkMinutes"] = int(emailLinkLifetime / time.Minute)
	}
	email, err := h.mail.Compose(e)
	if err != nil {
		return store.EmailChallenge{}, err
	}
	if err := h.store.CreateEmailChallenge(ctx, c, email); err != nil {
		return store.EmailChallenge{}, err
	}
	h.mailQueued()
	h.audit(ctx, eventEmailSent, user.ID, clientOf(req), h.clientAddr(r), map[string]string{"link": fmt.Sprint(web)})
	return c, nil
}

// wantsLink reports whether the email of an auth request carries a link:
// yes for web clients and sign-ins without a client, no for native
// clients, whose users sign in inside an app and type a code instead.
func (h *Handler) wantsLink(ctx context.Context, req *store.AuthRequest) (bool, error) {
	if req == nil {
		return true, nil
	}
	c, err := h.store.ClientByID(ctx, req.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.ApplicationType != store.AppTypeNative, nil
}

func (h *Handler) renderEmail(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User, c store.EmailChallenge, v view) {
	now := h.now()
	linkLive := c.LinkHash != "" && c.VerifiedAt.IsZero() && c.VoidedAt.IsZero() && now.Before(c.LinkExpiresAt)
	v.page, v.uiLocales = pageEmail, uiLocales(req)
	v.data = emailPage{
		Action:  withID(pathEmail, requestID(req)),
		Email:   user.Email,
		Link:    c.LinkHash != "",
		Refresh: linkLive && r.Method != http.MethodPost,
	}
	h.render(w, r, v)
}

// emailBinding returns the hash that binds a challenge to this browser
// and its sign-in session. The browser ID is a secret cookie, so no other
// browser can present the binding.
func (h *Handler) emailBinding(r *http.Request, s store.Session) string {
	return h.keys.MAC(secret.PurposeLinkSigning, "email-challenge", browserFrom(r.Context()), s.ID)
}

// emailCodeHash returns the stored form of a code: a keyed MAC bound to
// the challenge, because a plain hash of six digits is reversed at once.
func (h *Handler) emailCodeHash(challengeID, code string) string {
	return h.keys.MAC(secret.PurposeCodeHash, "email-code", challengeID, code)
}

// requestLanguage returns the language of the pages of this request.
func (h *Handler) requestLanguage(r *http.Request, req *store.AuthRequest) language.Tag {
	return h.pageLanguage(r, uiLocales(req), "")
}

// emailLanguage returns the language of an email to user caused by this
// request: the user's saved language, else the request's.
func (h *Handler) emailLanguage(r *http.Request, req *store.AuthRequest, user store.User) language.Tag {
	return i18n.ForEmail(user.Locale, h.requestLanguage(r, req))
}

// sixDigits returns a uniformly random 6-digit code.
func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
