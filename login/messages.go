package login

import (
	"github.com/hotelsoft/idp/login/password"
)

// Page templates, as named by the files in templates/pages.
const (
	pageSignIn        = "signin"
	pageMethod        = "method"
	pageActivate      = "totp_activate"
	pageRecoveryCodes = "recovery_codes"
	pageVerify        = "verify"
	pageInvite        = "invite"
	pageInviteDone    = "invite_done"
	pageTerms         = "terms"
	pageLogout        = "logout"
	pageLoggedOut     = "logged_out"
	pageHome          = "home"
	pageError         = "error"
)

var requiredPages = []string{
	pageSignIn, pageMethod, pageActivate, pageRecoveryCodes, pageVerify,
	pageInvite, pageInviteDone, pageTerms, pageLogout, pageLoggedOut,
	pageHome, pageError,
}

// Message IDs that this package chooses at run time. Templates name their
// own messages; New checks both sets against the catalogue.
const (
	msgErrorAuthRequest     = "ErrorAuthRequest"
	msgErrorOtherBrowser    = "ErrorOtherBrowser"
	msgErrorAuthRequestUsed = "ErrorAuthRequestUsed"
	msgErrorCallback        = "ErrorCallback"
	msgErrorCSRF            = "ErrorCSRF"
	msgErrorBadRequest      = "ErrorBadRequest"
	msgErrorTooLarge        = "ErrorTooLarge"
	msgErrorInvitation      = "ErrorInvitation"
	msgErrorLogoutLink      = "ErrorLogoutLink"
	msgErrorServer          = "ErrorServer"

	msgSignInFailed     = "AlertSignInFailed"
	msgThrottled        = "AlertTooManyAttempts"
	msgMethodInvalid    = "AlertMethodInvalid"
	msgCodeInvalid      = "AlertCodeInvalid"
	msgRecoveryInvalid  = "AlertRecoveryCodeInvalid"
	msgActivationFailed = "AlertActivationFailed"
	msgPasswordMismatch = "AlertPasswordMismatch"
	msgAcceptTerms      = "AlertAcceptTerms"

	msgMethodTOTP     = "MethodTOTP"
	msgMethodTOTPHint = "MethodTOTPHint"
)

var runtimeMessageIDs = []string{
	msgErrorAuthRequest, msgErrorOtherBrowser, msgErrorAuthRequestUsed,
	msgErrorCallback, msgErrorCSRF, msgErrorBadRequest, msgErrorTooLarge,
	msgErrorInvitation, msgErrorLogoutLink, msgErrorServer,
	msgSignInFailed, msgThrottled, msgMethodInvalid, msgCodeInvalid, msgRecoveryInvalid,
	msgActivationFailed, msgPasswordMismatch, msgAcceptTerms,
	msgMethodTOTP, msgMethodTOTPHint,
	password.MsgTooShort, password.MsgTooLong, password.MsgBlank, password.MsgInvalid,
}
