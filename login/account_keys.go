package login

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

// Audit events of security keys changed on the account page.
const (
	eventKeyRenamed = "webauthn.renamed"
	eventKeyRemoved = "webauthn.removed"
)

// maxKeyID bounds the record ID of a key read from a form. Real IDs are
// 22 characters.
const maxKeyID = 128

// keyLabel returns the name of a key as the account page shows it: the
// stored name, or the translated default for a key saved without one.
func (h *Handler) keyLabel(r *http.Request, loc *i18n.Localizer, name string) string {
	if name != "" {
		return name
	}
	label, err := loc.Translate(msgAccountKeyDefaultName, nil)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "translate message", "message_id", msgAccountKeyDefaultName, "err", err)
	}
	return label
}

type accountKey struct {
	ID        string
	Name      string
	Added     string
	Removable bool
}

// renameKey handles POST /account/keys/rename with id and name.
func (h *Handler) renameKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, name := r.PostForm.Get("id"), strings.TrimSpace(r.PostForm.Get("name"))
	if id == "" || len(id) > maxKeyID || name == "" {
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountKeyInvalid})
		return
	}
	err := h.store.RenameWebAuthnCredential(ctx, user.ID, id, keyName(name))
	if errors.Is(err, store.ErrNotFound) {
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountKeyInvalid})
		return
	}
	if err != nil {
		h.serverError(w, r, "rename security key", err)
		return
	}
	h.audit(ctx, eventKeyRenamed, user.ID, "", h.clientAddr(r), map[string]string{"key_id": id})
	http.Redirect(w, r, pathAccount+"?done=key_renamed", http.StatusSeeOther)
}

// removeKey handles POST /account/keys/remove with id. Removing the last
// key removes the method, so the last-method rule applies to it.
func (h *Handler) removeKey(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.changeSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := r.PostForm.Get("id")
	keys, err := h.store.WebAuthnCredentials(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "list security keys", err)
		return
	}
	owned := false
	for _, k := range keys {
		owned = owned || k.ID == id
	}
	if id == "" || len(id) > maxKeyID || !owned {
		h.renderAccount(w, r, s, user, view{status: http.StatusBadRequest, alert: msgAccountKeyInvalid})
		return
	}
	if len(keys) == 1 {
		allowed, err := h.mayRemoveMethod(r, user.ID)
		if err != nil {
			h.serverError(w, r, "check last method", err)
			return
		}
		if !allowed {
			h.renderAccount(w, r, s, user, view{status: http.StatusConflict, alert: msgAccountLastMethod})
			return
		}
	}

	notice, err := h.notice(r, nil, user, mail.EventMethodRemoved, methodKey)
	if err != nil {
		h.serverError(w, r, "compose notification", err)
		return
	}
	err = h.store.DeleteWebAuthnCredential(ctx, user.ID, id, notice)
	if errors.Is(err, store.ErrNotFound) {
		// Removed by a concurrent request, which sent the notice.
		http.Redirect(w, r, pathAccount+"?done=method_removed", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "remove security key", err)
		return
	}
	h.audit(ctx, eventKeyRemoved, user.ID, "", h.clientAddr(r), map[string]string{"key_id": id})
	h.mailQueued()
	http.Redirect(w, r, pathAccount+"?done=method_removed", http.StatusSeeOther)
}

// mayRemoveMethod reports whether the user may lose one of their methods:
// they have another, or they are on the exception list.
func (h *Handler) mayRemoveMethod(r *http.Request, userID string) (bool, error) {
	methods, err := h.store.Methods(r.Context(), userID)
	if err != nil {
		return false, err
	}
	if len(methods) > 1 {
		return true, nil
	}
	return h.exempt(r.Context(), userID)
}
