package login

import (
	"net/http"

	"github.com/hotelsoft/idp/store"
)

// notice composes a notification email about the user's account, in the
// language of the sign-in pages, for a store method that queues it in the
// same transaction as the change it reports.
func (h *Handler) notice(r *http.Request, req *store.AuthRequest, user store.User, event, method string) (*store.OutboundEmail, error) {
	email, err := h.mail.Notification(user, h.requestLanguage(r, req), event, method)
	if err != nil {
		return nil, err
	}
	return &email, nil
}

// notify queues a notification email about the user's account. A failure
// is logged, because the change it reports has already taken effect.
//
// NOTE: the email is queued in a transaction of its own, after the change,
// so a crash between the two loses it. A security key registered at
// sign-in is still reported this way. Changes whose store method takes
// the email, as ConfirmTOTP and UseRecoveryCode do, have no such gap.
func (h *Handler) notify(r *http.Request, req *store.AuthRequest, user store.User, event, method string) {
	ctx := r.Context()
	email, err := h.mail.Notification(user, h.requestLanguage(r, req), event, method)
	if err == nil {
		err = h.store.QueueEmails(ctx, email)
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "queue notification email", "user_id", user.ID, "event", event, "err", err)
		return
	}
	h.mailQueued()
}
