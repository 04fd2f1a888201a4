package login

import (
	"errors"
	"net/http"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// maxIDLength bounds the auth request ID read from a URL. Real IDs are 22
// characters.
const maxIDLength = 128

// authRequest loads the auth request named by the query parameter id and
// checks that it belongs to this browser. With bind, a request not yet
// bound is bound to this browser; that happens only on the sign-in page.
// It returns nil and true without an id, and false after writing an error
// page.
func (h *Handler) authRequest(w http.ResponseWriter, r *http.Request, bind bool) (*store.AuthRequest, bool) {
	id := r.URL.Query().Get("id")
	if id == "" {
		return nil, true
	}
	if len(id) > maxIDLength {
		h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequest)
		return nil, false
	}

	ctx := r.Context()
	req, err := h.store.AuthRequestByID(ctx, id, h.now())
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequest)
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, "load auth request", err)
		return nil, false
	}

	hash := browserHash(browserFrom(ctx))
	if bind && req.BrowserHash == "" {
		err := h.store.BindAuthRequest(ctx, id, hash)
		switch {
		case errors.Is(err, store.ErrConflict):
			// Another browser bound it between the read and the write.
			h.otherBrowser(w, r)
			return nil, false
		case errors.Is(err, store.ErrNotFound):
			h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequest)
			return nil, false
		case err != nil:
			h.serverError(w, r, "bind auth request", err)
			return nil, false
		default:
			req.BrowserHash = hash
		}
	}
	if !secret.Equal(req.BrowserHash, hash) {
		h.otherBrowser(w, r)
		return nil, false
	}
	if !req.DoneAt.IsZero() {
		h.fail(w, r, http.StatusBadRequest, msgErrorAuthRequestUsed)
		return nil, false
	}
	return &req, true
}

func (h *Handler) otherBrowser(w http.ResponseWriter, r *http.Request) {
	h.logger.WarnContext(r.Context(), "auth request used from another browser", "ip", h.clientAddr(r))
	h.fail(w, r, http.StatusBadRequest, msgErrorOtherBrowser)
}

// uiLocales returns the ui_locales of an auth request, or nil without one.
func uiLocales(req *store.AuthRequest) []string {
	if req == nil {
		return nil
	}
	return req.UILocales
}

// requestID returns the ID of an auth request, or "" without one.
func requestID(req *store.AuthRequest) string {
	if req == nil {
		return ""
	}
	return req.ID
}
