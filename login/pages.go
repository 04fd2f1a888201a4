package login

import (
	"errors"
	"net/http"

	"github.com/hotelsoft/idp/store"
)

type homePage struct {
	Name  string
	Email string
}

// home handles GET /, the signed-in page of a sign-in that came without
// an auth request. A sign-in waiting for its second factor goes on to it.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, ok, err := h.currentSession(r)
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	if !ok {
		http.Redirect(w, r, pathLogin, http.StatusSeeOther)
		return
	}
	if !s.Complete {
		next, err := h.secondFactorPage(ctx, s.UserID)
		if err != nil {
			h.serverError(w, r, "choose second factor", err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !s.LockedAt.IsZero() {
		http.Redirect(w, r, pathUnlock, http.StatusSeeOther)
		return
	}

	user, err := h.store.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, pathLogin, http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, "load user", err)
		return
	}
	h.render(w, r, view{page: pageHome, userLocale: user.Locale, data: homePage{Name: user.Name, Email: user.Email}})
}

// terms handles GET /terms, the terms and conditions that an invited user
// accepts.
func (h *Handler) terms(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, view{page: pageTerms})
}

// loggedOut handles GET /logged-out, where sign-out ends without a
// relying party to return to.
func (h *Handler) loggedOut(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, view{page: pageLoggedOut})
}
