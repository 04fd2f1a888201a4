package login

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/throttle"
	"github.com/hotelsoft/idp/store"
)

// A user without any 2FA method who activates an authenticator app or a
// security key must first prove, in the same sign-in, that they read
// their mailbox: they enter a code emailed to them. Otherwise a stolen
// password alone would let an attacker enrol their own authenticator for
// a user whose methods were reset, whose exemption ended, or who was
// imported. Activating email as the method proves the mailbox by itself,
// and so does an invitation accepted shortly before the first sign-in.

// pathMailboxProof is the page where the emailed code is entered.
const pathMailboxProof = "/login/2fa/confirm-email"

// invitationProof is how long after accepting an invitation a user who
// never signed in counts as having proven their mailbox: the invitation
// link itself came by email.
const invitationProof = time.Hour

const (
	pageMailboxProof      = "mailbox_proof"
	eventMailboxProofSent = "mailbox_proof.sent"
	eventMailboxProven    = "mailbox_proof.verified"
)

func init() {
	requiredPages = append(requiredPages, pageMailboxProof)
}

// mailboxBinding binds a proof challenge to this browser and sign-in
// session, apart from the challenges of the email method.
func (h *Handler) mailboxBinding(r *http.Request, s store.Session) string {
	return h.keys.MAC(secret.PurposeLinkSigning, "mailbox-proof", browserFrom(r.Context()), s.ID)
}

// needsMailboxProof reports whether the user must enter an emailed code
// before activating a method other than email in session s.
func (h *Handler) needsMailboxProof(r *http.Request, s store.Session, user store.User) (bool, error) {
	ctx := r.Context()
	methods, err := h.store.Methods(ctx, user.ID)
	if err != nil || len(methods) > 0 {
		return false, err
	}
	now := h.now()
	if user.LastSignInAt.IsZero() && !user.TermsAcceptedAt.IsZero() && now.Sub(user.TermsAcceptedAt) < invitationProof {
		return false, nil
	}
	c, err := h.store.LatestEmailChallenge(ctx, h.mailboxBinding(r, s))
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return c.VerifiedAt.IsZero() || !c.VoidedAt.IsZero(), nil
}

// requireMailboxProof sends a browser that still owes the mailbox proof
// to its page and returns false; it returns true when the activation may
// go on.
func (h *Handler) requireMailboxProof(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, s store.Session, user store.User) bool {
	need, err := h.needsMailboxProof(r, s, user)
	if err != nil {
		h.serverError(w, r, "check mailbox proof", err)
		return false
	}
	if need {
		http.Redirect(w, r, mailboxProofURL(requestID(req), proofThenTOTP), http.StatusSeeOther)
		return false
	}
	return true
}

type mailboxPage struct {
	Action string
	Email  string
}

// mailboxStep runs the checks of the proof page: a sign-in waiting for
// its second factor by a user who owes the proof. Anyone else goes on to
// the method choice.
func (h *Handler) mailboxStep(w http.ResponseWriter, r *http.Request) (*store.AuthRequest, store.Session, store.User, bool) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return nil, store.Session{}, store.User{}, false
	}
	s, user, ok := h.pendingSignIn(w, r, req)
	if !ok {
		return nil, store.Session{}, store.User{}, false
	}
	need, err := h.needsMailboxProof(r, s, user)
	if err != nil {
		h.serverError(w, r, "check mailbox proof", err)
		return nil, store.Session{}, store.User{}, false
	}
	if !need {
		http.Redirect(w, r, afterMailboxProof(r, requestID(req)), http.StatusSeeOther)
		return nil, store.Session{}, store.User{}, false
	}
	return req, s, user, true
}

// showMailboxProof handles GET /login/2fa/confirm-email. The first visit
// of a session sends the code.
func (h *Handler) showMailboxProof(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.mailboxStep(w, r)
	if !ok {
		return
	}
	if _, err := h.store.LatestEmailChallenge(r.Context(), h.mailboxBinding(r, s)); errors.Is(err, store.ErrNotFound) {
		if err := h.sendMailboxProof(r, req, s, user); err != nil {
			h.serverError(w, r, "send mailbox proof", err)
			return
		}
	} else if err != nil {
		h.serverError(w, r, "load mailbox proof", err)
		return
	}
	h.renderMailboxProof(w, r, req, user, view{})
}

// mailboxProof handles POST /login/2fa/confirm-email: the code, or with
// the field resend a new email.
func (h *Handler) mailboxProof(w http.ResponseWriter, r *http.Request) {
	req, s, user, ok := h.mailboxStep(w, r)
	if !ok {
		return
	}
	ctx, ip := r.Context(), h.clientAddr(r)
	c, err := h.store.LatestEmailChallenge(ctx, h.mailboxBinding(r, s))
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "load mailbox proof", err)
		return
	}
	if r.PostForm.Get("resend") != "" || !found {
		if found && h.now().Before(c.CreatedAt.Add(emailResendCooldown)) {
			h.renderMailboxProof(w, r, req, user, view{status: http.StatusTooManyRequests, alert: msgEmailResendWait,
				alertData: map[string]any{"Seconds": int(emailResendCooldown / time.Second)}})
			return
		}
		if err := h.sendMailboxProof(r, req, s, user); err != nil {
			h.serverError(w, r, "send mailbox proof", err)
			return
		}
		h.renderMailboxProof(w, r, req, user, view{alert: msgEmailResent})
		return
	}

	ok, dead, err := h.checkChallengeCode(ctx, user.ID, ip, c, r.PostForm.Get("code"))
	switch {
	case errors.Is(err, throttle.ErrThrottled):
		h.audit(ctx, eventSignInThrottled, user.ID, clientOf(req), ip, map[string]string{"step": throttle.StepEmailCode})
		alert := msgThrottled
		if h.codeDead(c) {
			alert = msgEmailCodeExpired
		}
		h.renderMailboxProof(w, r, req, user, view{status: http.StatusTooManyRequests, alert: alert})
	case err != nil:
		h.serverError(w, r, "verify mailbox proof", err)
	case !ok:
		h.audit(ctx, eventSignInFailed, user.ID, clientOf(req), ip, map[string]string{"step": "mailbox_proof"})
		alert := msgEmailCodeInvalid
		if dead {
			alert = msgEmailCodeExpired
		}
		h.renderMailboxProof(w, r, req, user, view{status: http.StatusBadRequest, alert: alert})
	default:
		h.audit(ctx, eventMailboxProven, user.ID, clientOf(req), ip, nil)
		http.Redirect(w, r, afterMailboxProof(r, requestID(req)), http.StatusSeeOther)
	}
}

// sendMailboxProof stores a code-only challenge bound to this session and
// queues its email.
func (h *Handler) sendMailboxProof(r *http.Request, req *store.AuthRequest, s store.Session, user store.User) error {
	if err := h.sendCodeChallenge(r, req, user, h.mailboxBinding(r, s)); err != nil {
		return err
	}
	h.audit(r.Context(), eventMailboxProofSent, user.ID, clientOf(req), h.clientAddr(r), nil)
	return nil
}

// sendCodeChallenge stores a code-only challenge bound to binding, voiding
// the user's older challenges, and queues its email. The mailbox proof and
// the account page use it; checkChallengeCode checks the code.
func (h *Handler) sendCodeChallenge(r *http.Request, req *store.AuthRequest, user store.User, binding string) error {
	ctx, now := r.Context(), h.now()
	code, err := sixDigits()
	if err != nil {
		return err
	}
	c := store.EmailChallenge{
		ID: secret.ID(), UserID: user.ID, BindingHash: binding,
		CreatedAt: now, CodeExpiresAt: now.Add(emailCodeLifetime),
	}
	c.CodeHash = h.emailCodeHash(c.ID, code)
	email, err := h.mail.Compose(mail.Email{
		Kind: store.EmailTwoFactor, Template: mail.TemplateEmailCode, To: user.Email,
		Language: h.emailLanguage(r, req, user),
		Data:     map[string]any{"Name": user.Name, "Code": code, "CodeMinutes": int(emailCodeLifetime / time.Minute)},
	})
	if err != nil {
		return err
	}
	if err := h.store.CreateEmailChallenge(ctx, c, email); err != nil {
		return err
	}
	h.mailQueued()
	return nil
}

// checkChallengeCode checks code against challenge c as one attempt at
// throttle.StepEmailCode for userID and the client address ip. It marks
// the challenge verified when the code matches; dead reports a challenge
// that can no longer be verified (expired, voided, used up or verified).
// The error may wrap throttle.ErrThrottled.
func (h *Handler) checkChallengeCode(ctx context.Context, userID, ip string, c store.EmailChallenge, code string) (ok, dead bool, err error) {
	code = strings.Join(strings.Fields(code), "")
	ok, err = h.throttled(ctx, throttle.StepEmailCode, userID, ip, func() (bool, error) {
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
	return ok, dead, err
}

func (h *Handler) renderMailboxProof(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User, v view) {
	v.page, v.uiLocales = pageMailboxProof, uiLocales(req)
	v.data = mailboxPage{Action: mailboxProofURL(requestID(req), r.URL.Query().Get("then")), Email: user.Email}
	h.render(w, r, v)
}
