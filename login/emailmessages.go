package login

// Pages, message IDs and audit events of the email second factor, forgot
// password and the notification emails.
const (
	pageEmail       = "email_verify"
	pageEmailLink   = "email_link"
	pageEmailDone   = "email_done"
	pageForgot      = "forgot"
	pageForgotSent  = "forgot_sent"
	pageReset       = "reset"
	pageResetFactor = "reset_factor"
	pageResetDone   = "reset_done"

	msgMethodEmail           = "MethodEmail"
	msgMethodEmailHint       = "MethodEmailHint"
	msgEmailCodeExpired      = "AlertEmailCodeExpired"
	msgEmailCodeInvalid      = "AlertEmailCodeInvalid"
	msgEmailResendWait       = "AlertEmailResendWait"
	msgEmailResent           = "AlertEmailResent"
	msgEmailLinkInvalid      = "EmailLinkInvalid"
	msgEmailLinkElsewhere    = "EmailLinkElsewhere"
	msgEmailLinkTitle        = "EmailLinkTitle"
	msgEmailLinkExpired      = "EmailLinkExpired"
	msgEmailLinkExpiredTitle = "EmailLinkExpiredTitle"
	msgErrorResetLink        = "ErrorResetLink"

	eventEmailSent          = "email_2fa.sent"
	eventEmailActivated     = "email_2fa.activated"
	eventPasswordResetSent  = "password_reset.requested"
	eventPasswordResetDone  = "password_reset.completed"
	eventInvitationReissued = "invitation.reissued"
)

func init() {
	requiredPages = append(requiredPages, pageEmail, pageEmailLink, pageEmailDone,
		pageForgot, pageForgotSent, pageReset, pageResetFactor, pageResetDone)
	runtimeMessageIDs = append(runtimeMessageIDs, msgMethodEmail, msgMethodEmailHint,
		msgEmailCodeExpired, msgEmailCodeInvalid, msgEmailResendWait, msgEmailResent, msgEmailLinkInvalid,
		msgEmailLinkElsewhere, msgEmailLinkTitle, msgEmailLinkExpired, msgEmailLinkExpiredTitle, msgErrorResetLink)
}
