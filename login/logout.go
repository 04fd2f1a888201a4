package login

import (
	"net/http"
	"time"

	"github.com/hotelsoft/idp/idp"
)

type logoutPage struct {
	Redirect  string
	Signature string
}

// showLogout handles GET /logout, where the provider's end_session
// endpoint sends the browser with a signed redirect. Signing out changes
// state, so a GET only shows a confirmation form, and a link or an image on
// another site cannot sign anyone out.
func (h *Handler) showLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, sig := q.Get("redirect"), q.Get("sig")
	if !h.validRedirect(redirect, sig) {
		h.fail(w, r, http.StatusBadRequest, msgErrorLogoutLink)
		return
	}
	h.render(w, r, view{page: pageLogout, data: logoutPage{Redirect: redirect, Signature: sig}})
}

// logout handles POST /logout: it revokes the browser's session and the
// tokens issued under it, deletes the session cookie and redirects to the
// verified redirect, or to the signed-out page.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	redirect, sig := r.PostForm.Get("redirect"), r.PostForm.Get("sig")
	if !h.validRedirect(redirect, sig) {
		h.fail(w, r, http.StatusBadRequest, msgErrorLogoutLink)
		return
	}

	ctx := r.Context()
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	if ok {
		now := h.now()
		if err := h.store.RevokeSession(ctx, s.ID, now); err != nil {
			h.serverError(w, r, "revoke session", err)
			return
		}
		if err := h.store.RevokeSessionTokens(ctx, s.ID, now); err != nil {
			h.serverError(w, r, "revoke session tokens", err)
			return
		}
		h.audit(ctx, eventSignedOut, s.UserID, "", h.clientAddr(r), nil)
	}
	h.setCookie(w, h.sessionKey, "", time.Time{})

	if redirect == "" {
		redirect = pathLoggedOut
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// validRedirect reports whether a sign-out redirect is absent or carries
// the provider's signature.
func (h *Handler) validRedirect(redirect, sig string) bool {
	if redirect == "" {
		return sig == ""
	}
	return idp.VerifyLogoutRedirect(h.keys, redirect, sig)
}
