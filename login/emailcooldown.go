package login

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hotelsoft/idp/store"
)

// latestUserChallenge returns the user's newest email challenge, whatever
// browser or sign-in asked for it, and whether it went out less than
// emailResendCooldown ago and was not used yet. The cooldown is per user,
// so signing in with the password again does not send another email at
// once; a challenge that completed a sign-in does not hold up the next.
func (h *Handler) latestUserChallenge(ctx context.Context, userID string) (store.EmailChallenge, bool, error) {
	c, err := h.store.LatestUserEmailChallenge(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.EmailChallenge{}, false, nil
	}
	if err != nil {
		return store.EmailChallenge{}, false, err
	}
	return c, c.UsedAt.IsZero() && h.now().Before(c.CreatedAt.Add(emailResendCooldown)), nil
}

// renderEmailWait shows the email page with the message that an email
// went out less than emailResendCooldown ago, sending nothing.
func (h *Handler) renderEmailWait(w http.ResponseWriter, r *http.Request, req *store.AuthRequest, user store.User, c store.EmailChallenge, status int) {
	h.renderEmail(w, r, req, user, c, view{status: status, alert: msgEmailResendWait,
		alertData: map[string]any{"Seconds": int(emailResendCooldown / time.Second)}})
}
