package mail

// Events of a notification email, as Email.Data["Event"]. Each has the
// messages EmailNotify<Event>Subject and EmailNotify<Event>Body.
const (
	EventMethodAdded      = "MethodAdded"
	EventMethodRemoved    = "MethodRemoved"
	EventRecoveryCodeUsed = "RecoveryCodeUsed"
	EventPasswordChanged  = "PasswordChanged"
	EventPasswordReset    = "PasswordReset"
	// EventTwoFactorReset: an admin removed every 2FA method.
	EventTwoFactorReset = "TwoFactorReset"
)

// methodNames maps the 2FA methods that Email.Data["Method"] names to the
// message IDs of their names, which Render fills into the notification.
var methodNames = map[string]string{
	"email":    "EmailMethodEmail",
	"totp":     "EmailMethodTOTP",
	"webauthn": "EmailMethodWebAuthn",
}

func isEvent(event string) bool {
	switch event {
	case EventMethodAdded, EventMethodRemoved, EventRecoveryCodeUsed, EventPasswordChanged, EventPasswordReset,
		EventTwoFactorReset:
		return true
	}
	return false
}
