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
