package login

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// reverifyWindow is how long after a sign-in or a re-verification the
// account page accepts changes without asking for the password and the
// second factor again.
const reverifyWindow = 15 * time.Minute

// Audit events of the account page.
const (
	eventTOTPRemoved            = "totp.removed"
	eventRecoveryCodesReplaced  = "recovery_codes.regenerated"
	eventPasswordChanged        = "password.changed"
	eventLocaleChanged          = "user.locale_changed"
	eventOtherSessionsSignedOut = "session.others_signed_out"
	eventReverified             = "session.reverified"
)

// accountLocales are the languages a user can choose, with the message
// IDs of their names.
var accountLocales = []struct{ Tag, LabelID string }{
	{"en", "AccountLanguageEnglish"},
	{"nl", "AccountLanguageDutch"},
	{"fr", "AccountLanguageFrench"},
	{"de", "AccountLanguageGerman"},
	{"es", "AccountLanguageSpanish"},
}

// methodLabels are the message IDs of the 2FA methods' names.
var methodLabels = map[string]string{
	"totp":     "AccountMethodTOTP",
	"email":    "AccountMethodEmail",
	"webauthn": "AccountMethodWebAuthn",
}

// accountNotices are the confirmations the account page shows after a
// change, by the value of its query parameter done.
var accountNotices = map[string]string{
	"method_removed": "AccountNoticeMethodRemoved",
	"password":       "AccountNoticePassword",
	"language":       "AccountNoticeLanguage",
	"sessions":       "AccountNoticeSessions",
	"verified":       "AccountNoticeVerified",
	"key_renamed":    "AccountNoticeKeyRenamed",
	"key_added":      "AccountNoticeKeyAdded",
	"email_added":    "AccountNoticeEmailAdded",
}

type accountPage struct {
	Name        string
	Email       string
	Fresh       bool
	NoticeID    string
	Methods     []accountMethod
	CanAddTOTP  bool
	CanAddEmail bool
	// KeyBegin and KeyFinish are the endpoints that add a security key,
	// empty when security keys are off.
	KeyBegin     string
	KeyFinish    string
	HasMethod    bool
	RecoveryLeft int
	Keys         []accountKey
	Languages    []accountLanguage
	Sessions     []accountSession
	OtherCount   int
}

type accountMethod struct {
	Value   string
	LabelID string
	// Removable is false for the last method of a user who is not on the
	// exception list, and for methods this page cannot remove.
	Removable bool
}

type accountLanguage struct {
	Tag      string
	LabelID  string
	Selected bool
}

type accountSession struct {
	Device    string
	Address   string
	Started   string
	LastSeen  string
	Current   bool
	Completed bool
}

// showAccount handles GET /account: the user's 2FA methods, recovery
// codes, password, language and sessions. Viewing needs a complete,
// unlocked session, and each change also needs a recent sign-in.
func (h *Handler) showAccount(w http.ResponseWriter, r *http.Request) {
	s, user, ok := h.accountSession(w, r)
	if !ok {
		return
	}
	h.renderAccount(w, r, s, user, view{})
}

// accountDone handles POST /account, the Done button under recovery codes
// shown by the account page.
func (h *Handler) accountDone(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, pathAccount, http.StatusSeeOther)
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, s store.Session, user store.User, v view) {
	ctx := r.Context()
	methods, err := h.store.Methods(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "load methods", err)
		return
	}
	exempt, err := h.exempt(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "check exception list", err)
		return
	}
	left, err := h.store.CountRecoveryCodes(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "count recovery codes", err)
		return
	}
	sessions, err := h.store.UserSessions(ctx, user.ID, h.now())
	if err != nil {
		h.serverError(w, r, "list sessions", err)
		return
	}

	loc := h.catalogue.Localizer(h.pageLanguage(r, nil, user.Locale))
	page := accountPage{
		Name:         user.Name,
		Email:        user.Email,
		Fresh:        h.fresh(s),
		NoticeID:     accountNotices[r.URL.Query().Get("done")],
		CanAddTOTP:   !slices.Contains(methods, "totp"),
		CanAddEmail:  h.canAddEmail(methods),
		HasMethod:    len(methods) > 0,
		RecoveryLeft: left,
	}
	if h.relyingParty != nil {
		page.KeyBegin, page.KeyFinish = pathAccountKeyBegin, pathAccountKeyFinish
	}
	for _, m := range methods {
		label, known := methodLabels[m]
		if !known {
			continue
		}
		removable := removableHere(m) && (exempt || len(methods) > 1)
		page.Methods = append(page.Methods, accountMethod{Value: m, LabelID: label, Removable: removable})
	}
	keys, err := h.store.WebAuthnCredentials(ctx, user.ID)
	if err != nil {
		h.serverError(w, r, "list security keys", err)
		return
	}
	for _, k := range keys {
		page.Keys = append(page.Keys, accountKey{
			ID: k.ID, Name: h.keyLabel(r, loc, k.Name), Added: loc.Date(k.CreatedAt.UTC()),
			Removable: len(keys) > 1 || len(methods) > 1 || exempt,
		})
	}
	for _, l := range accountLocales {
		page.Languages = append(page.Languages, accountLanguage{Tag: l.Tag, LabelID: l.LabelID, Selected: l.Tag == user.Locale})
	}
	for _, other := range sessions {
		page.Sessions = append(page.Sessions, accountSession{
			Device:    truncate(other.UserAgent, 120),
			Address:   other.ClientIP,
			Started:   loc.DateTime(other.CreatedAt.UTC()),
			LastSeen:  loc.DateTime(other.UpdatedAt.UTC()),
			Current:   other.ID == s.ID,
			Completed: other.Complete,
		})
		if other.ID != s.ID {
			page.OtherCount++
		}
	}
	v.page, v.userLocale, v.data = pageAccount, user.Locale, page
	h.render(w, r, v)
}

// removableHere reports whether the method list of the account page offers
// to remove a method: the authenticator app and email codes. Security
// keys are removed one by one in their own section.
func removableHere(method string) bool {
	return method == "totp" || method == amrEmail
}

// accountSession returns the browser's complete, unlocked session and its
// active user. Without one it redirects: to the sign-in page, to the
// second factor of a sign-in in progress, or to the unlock page, and
// returns ok=false.
func (h *Handler) accountSession(w http.ResponseWriter, r *http.Request) (store.Session, store.User, bool) {
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return store.Session{}, store.User{}, false
	}
	switch {
	case !ok:
		http.Redirect(w, r, pathLogin, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	case !s.Complete:
		http.Redirect(w, r, pathHome, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	case !s.LockedAt.IsZero():
		http.Redirect(w, r, unlockURL("", pathAccount), http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}

	user, err := h.store.UserByID(r.Context(), s.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, "load user", err)
		return store.Session{}, store.User{}, false
	}
	if err != nil || user.Status != store.UserActive {
		if err := h.store.RevokeSession(r.Context(), s.ID, h.now()); err != nil {
			h.serverError(w, r, "revoke session", err)
			return store.Session{}, store.User{}, false
		}
		http.Redirect(w, r, pathLogin, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

// changeSession is accountSession for a change: the session must also be
// fresh, or the browser is sent to the re-verification page and ok is
// false.
func (h *Handler) changeSession(w http.ResponseWriter, r *http.Request) (store.Session, store.User, bool) {
	s, user, ok := h.accountSession(w, r)
	if !ok {
		return store.Session{}, store.User{}, false
	}
	if !h.fresh(s) {
		http.Redirect(w, r, pathAccountVerify, http.StatusSeeOther)
		return store.Session{}, store.User{}, false
	}
	return s, user, true
}

// fresh reports whether the session's password and, unless the user signed
// in with the password alone, its second factor were given within
// reverifyWindow.
func (h *Handler) fresh(s store.Session) bool {
	now := h.now()
	if now.Sub(s.AuthTime) > reverifyWindow {
		return false
	}
	return s.ACR == idp.ACR1FA || now.Sub(s.SecondFactorAt) <= reverifyWindow
}

// exempt reports whether the user is on the 2FA exception list now.
func (h *Handler) exempt(ctx context.Context, userID string) (bool, error) {
	_, err := h.store.Exemption(ctx, userID, h.now())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
