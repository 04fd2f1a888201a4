package login

import (
	"net/http"
	"time"
)

// DefaultUnlockFactorAge is the default of Config.UnlockFactorAge: a
// staff shift, so a user who passed the second factor at the start of the
// day unlocks with the password alone until its end.
const DefaultUnlockFactorAge = 12 * time.Hour

// Paths of the account page, the quick lock and the unlock page.
const (
	pathAccount         = "/account"
	pathAccountVerify   = "/account/verify"
	pathAccountTOTP     = "/account/totp"
	pathAccountMethod   = "/account/methods/remove"
	pathAccountRecovery = "/account/recovery-codes"
	pathAccountPassword = "/account/password"
	pathAccountLanguage = "/account/language"
	pathAccountSessions = "/account/sessions"
	pathAccountKeyName  = "/account/keys/rename"
	pathAccountKeyDrop  = "/account/keys/remove"
	pathLock            = "/lock"
	pathUnlock          = "/unlock"
	pathUnlockSwitch    = "/unlock/switch"
)

// registerAccount adds the account page, the quick lock and the unlock
// page with the route helpers of Register.
func (h *Handler) registerAccount(get, post func(string, http.HandlerFunc)) {
	get(pathAccount, h.showAccount)
	post(pathAccount, h.accountDone)
	get(pathAccountVerify, h.showAccountVerify)
	post(pathAccountVerify, h.accountVerify)
	get(pathAccountTOTP, h.showAccountTOTP)
	post(pathAccountTOTP, h.addTOTP)
	post(pathAccountMethod, h.removeMethod)
	post(pathAccountRecovery, h.regenerateRecoveryCodes)
	post(pathAccountPassword, h.changePassword)
	post(pathAccountLanguage, h.changeLanguage)
	post(pathAccountSessions, h.signOutOthers)
	post(pathAccountKeyName, h.renameKey)
	post(pathAccountKeyDrop, h.removeKey)
	get(pathAccountEmail, h.showAccountEmail)
	post(pathAccountEmail, h.addEmail)
	post(pathAccountVerifyEmail, h.reverifyEmail)
	get(pathLock, h.showLock)
	post(pathLock, h.lock)
	get(pathUnlock, h.showUnlock)
	post(pathUnlock, h.unlock)
	post(pathUnlockSwitch, h.switchUser)
}

// Page templates of the account page, the lock and the unlock page.
const (
	pageAccount       = "account"
	pageAccountVerify = "account_verify"
	pageLock          = "lock"
	pageUnlock        = "unlock"
)

var accountPages = []string{pageAccount, pageAccountVerify, pageLock, pageUnlock}

// Message IDs that the account, lock and unlock pages choose at run time.
const (
	msgErrorLockLink          = "ErrorLockLink"
	msgAccountMethodUnknown   = "AccountAlertMethodUnknown"
	msgAccountLastMethod      = "AccountAlertLastMethod"
	msgAccountNoMethod        = "AccountAlertNoMethod"
	msgAccountPasswordWrong   = "AccountAlertPasswordWrong"
	msgAccountLanguageUnknown = "AccountAlertLanguageUnknown"
	msgAccountVerifyFailed    = "AccountAlertVerifyFailed"
	msgAccountKeyInvalid      = "AccountAlertKeyInvalid"
	msgAccountKeyDefaultName  = "AccountKeyDefaultName"
)

// accountMessageIDs returns every message ID of this file and of the
// tables in account.go, for the start-up check of the catalogue.
func accountMessageIDs() []string {
	ids := []string{
		msgErrorLockLink, msgAccountMethodUnknown, msgAccountLastMethod, msgAccountNoMethod,
		msgAccountPasswordWrong, msgAccountLanguageUnknown, msgAccountVerifyFailed, msgAccountKeyInvalid,
		msgAccountKeyDefaultName,
	}
	for _, l := range accountLocales {
		ids = append(ids, l.LabelID)
	}
	for _, id := range methodLabels {
		ids = append(ids, id)
	}
	for _, id := range accountNotices {
		ids = append(ids, id)
	}
	return ids
}
