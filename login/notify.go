package login

import (
	"net/http"

	"github.com/hotelsoft/idp/store"
)

// notify queues a notification email about the user's account. A failure
// is logged, because the change it reports has already taken effect.
//
// NOTE: the email is queued in a transaction of its own, after the change;
// a crash between the two loses the notification. Store methods that take
// the email (such as UseEmailChallenge) do not have this gap.
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
