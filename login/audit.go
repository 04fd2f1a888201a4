package login

import (
	"context"

	"github.com/hotelsoft/idp/store"
)

// Audit events written by the hosted pages.
const (
	eventSignInSucceeded    = "sign_in.succeeded"
	eventSignInFailed       = "sign_in.failed"
	eventSignInThrottled    = "sign_in.throttled"
	eventTOTPActivated      = "totp.activated"
	eventRecoveryCodeUsed   = "recovery_code.used"
	eventInvitationAccepted = "invitation.accepted"
	eventSignedOut          = "session.signed_out"
)

// audit records an event in which the user acted on their own account. A
// failure to record it is logged and does not fail the request, because
// the user's action has already taken effect.
func (h *Handler) audit(ctx context.Context, event, userID, clientID, ip string, detail map[string]string) {
	e := store.AuditEvent{
		Time:     h.now(),
		Event:    event,
		ActorID:  userID,
		UserID:   userID,
		ClientID: clientID,
		IP:       ip,
		Detail:   detail,
	}
	if err := h.store.AddAuditEvent(ctx, e); err != nil {
		h.logger.ErrorContext(ctx, "record audit event", "event", event, "user_id", userID, "err", err)
	}
}

// clientOf returns the client ID of an auth request, or "" without one.
func clientOf(req *store.AuthRequest) string {
	if req == nil {
		return ""
	}
	return req.ClientID
}
