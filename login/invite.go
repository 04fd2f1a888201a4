package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/store"
)

// InvitationLifetime is how long an invitation link stays valid.
const InvitationLifetime = 7 * 24 * time.Hour

// maxTokenLength bounds an invitation token read from a request. Real
// tokens are 43 characters.
const maxTokenLength = 128

// Invite describes a user to invite.
type Invite struct {
	Email  string
	Name   string
	Locale string // language of the user's pages, such as "en"; may be empty
	Grants []store.Grant
}

// InviteUser creates an invited user with inv's grants and a single-use
// invitation valid for InvitationLifetime, and returns the user's ID and
// the invitation URL under issuer. Only the token's hash is stored, so the
// URL cannot be recovered later; ReissueInvitation replaces it. An address
// that another user already has is an error naming the address, and
// changes nothing.
func InviteUser(ctx context.Context, st store.Store, issuer string, inv Invite, now time.Time) (userID, invitationURL string, err error) {
	return inviteUser(ctx, st, nil, issuer, inv, now)
}

// inviteUser is InviteUser that also queues the welcome email, composed
// by m, unless m is nil.
func inviteUser(ctx context.Context, st store.Store, m *mail.Composer, issuer string, inv Invite, now time.Time) (userID, invitationURL string, err error) {
	email := strings.TrimSpace(inv.Email)
	key := store.NormalizeEmail(email)
	if err := store.ValidateEmail(email); err != nil {
		return "", "", fmt.Errorf("invite user: %w", err)
	}
	name := strings.TrimSpace(inv.Name)
	if name == "" {
		return "", "", errors.New("invite user: name is missing")
	}

	u := store.User{
		ID:        secret.ID(),
		Email:     email,
		EmailKey:  key,
		Name:      name,
		Locale:    inv.Locale,
		Status:    store.UserInvited,
		CreatedAt: now,
	}
	grants := make([]store.Grant, len(inv.Grants))
	for i, g := range inv.Grants {
		g.UserID = u.ID
		grants[i] = g
	}
	token := secret.Token()
	invitation := newInvitation(token, u.ID, now)

	link := inviteLink(issuer, token)
	if m == nil {
		err = st.InviteUser(ctx, u, grants, invitation)
	} else {
		var welcome store.OutboundEmail
		welcome, err = m.Compose(invitationEmail(u, link, i18n.ForEmail(u.Locale, language.English)))
		if err != nil {
			return "", "", fmt.Errorf("invite user %s: %w", email, err)
		}
		err = st.InviteUserWithEmail(ctx, u, grants, invitation, welcome)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", "", fmt.Errorf("invite user: %s already has an account: %w", email, err)
	}
	if err != nil {
		return "", "", fmt.Errorf("invite user %s: %w", email, err)
	}
	return u.ID, link, nil
}

// ReissueInvitation replaces the invitation of a user who has not accepted
// yet with a new one, voiding the old link, and returns the new URL. It
// fails for a user who is not in status invited.
func ReissueInvitation(ctx context.Context, st store.Store, issuer, userID string, now time.Time) (string, error) {
	u, err := st.UserByID(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	if u.Status != store.UserInvited {
		return "", fmt.Errorf("reissue invitation: user %s is %s, not invited", userID, u.Status)
	}
	token := secret.Token()
	if err := st.ReplaceInvitation(ctx, newInvitation(token, userID, now)); err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	return inviteLink(issuer, token), nil
}

func newInvitation(token, userID string, now time.Time) store.Invitation {
	return store.Invitation{
		TokenHash: secret.Hash(token),
		UserID:    userID,
		CreatedAt: now,
		ExpiresAt: now.Add(InvitationLifetime),
	}
}

func inviteLink(issuer, token string) string {
	return strings.TrimSuffix(issuer, "/") + pathInvite + "?token=" + token
}

type invitePage struct {
	Token     string
	Email     string
	MinLength int
	MaxLength int
}

// showInvitation handles GET /invite: the form where an invited user sets
// a password and accepts the terms. Showing it consumes nothing.
func (h *Handler) showInvitation(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	user, ok := h.invitedUser(w, r, token)
	if !ok {
		return
	}
	h.renderInvitation(w, r, token, user, view{})
}

// acceptInvitation handles POST /invite. It checks the new password and
// the terms checkbox, then consumes the invitation and activates the user.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	token := r.PostForm.Get("token")
	user, ok := h.invitedUser(w, r, token)
	if !ok {
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
	case r.PostForm.Get("accept_terms") == "":
		v.alert = msgAcceptTerms
	}
	if v.alert != "" {
		h.renderInvitation(w, r, token, user, v)
		return
	}

	ctx := r.Context()
	hash, err := h.passwords.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, "hash password", err)
		return
	}
	user, err = h.store.AcceptInvitation(ctx, secret.Hash(token), hash, h.now())
	if errors.Is(err, store.ErrNotFound) {
		// Accepted or replaced since the check above.
		h.fail(w, r, http.StatusBadRequest, msgErrorInvitation)
		return
	}
	if err != nil {
		h.serverError(w, r, "accept invitation", err)
		return
	}
	h.audit(ctx, eventInvitationAccepted, user.ID, "", h.clientAddr(r), nil)
	h.render(w, r, view{page: pageInviteDone, userLocale: user.Locale})
}

// invitedUser returns the user of a valid invitation token. For a token
// that is malformed, unknown, expired, used or voided it writes a 400 page
// and returns false.
func (h *Handler) invitedUser(w http.ResponseWriter, r *http.Request, token string) (store.User, bool) {
	if token == "" || len(token) > maxTokenLength {
		h.fail(w, r, http.StatusBadRequest, msgErrorInvitation)
		return store.User{}, false
	}
	ctx := r.Context()
	inv, err := h.store.InvitationByHash(ctx, secret.Hash(token), h.now())
	var user store.User
	if err == nil {
		user, err = h.store.UserByID(ctx, inv.UserID)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Status != store.UserInvited) {
		h.fail(w, r, http.StatusBadRequest, msgErrorInvitation)
		return store.User{}, false
	}
	if err != nil {
		h.serverError(w, r, "load invitation", err)
		return store.User{}, false
	}
	return user, true
}

func (h *Handler) renderInvitation(w http.ResponseWriter, r *http.Request, token string, user store.User, v view) {
	v.page, v.userLocale = pageInvite, user.Locale
	v.data = invitePage{Token: token, Email: user.Email, MinLength: password.MinRunes, MaxLength: password.MaxBytes}
	h.render(w, r, v)
}
