package login

import (
	"net/http"
)

// method is a second factor offered on the method choice page.
type method struct {
	Value   string // the form value of the radio button
	LabelID string // message IDs of its label and hint
	HintID  string
	Checked bool
	// Recommended marks the method the company recommends.
	Recommended bool
	path        string // activation page
}

// methods returns the second factors a user can activate, the
// preselected one first. Email is preselected and marked recommended,
// because every user can receive it without installing anything.
func methods() []method {
	return []method{
		{Value: "email", LabelID: msgMethodEmail, HintID: msgMethodEmailHint, Checked: true, Recommended: true, path: pathEmail},
		{Value: "totp", LabelID: msgMethodTOTP, HintID: msgMethodTOTPHint, path: pathTOTP},
		{Value: "webauthn", LabelID: msgMethodKey, HintID: msgMethodKeyHint, path: pathKeyRegister},
	}
}

type methodPage struct {
	Action  string
	Methods []method
}

// showMethods handles GET /login/2fa/method, where a user without a
// second factor chooses one to activate.
func (h *Handler) showMethods(w http.ResponseWriter, r *http.Request) {
	h.methodPage(w, r, func(page methodPage, v view) {
		h.render(w, r, v)
	})
}

// chooseMethod handles POST /login/2fa/method and sends the browser to the
// activation page of the chosen method.
func (h *Handler) chooseMethod(w http.ResponseWriter, r *http.Request) {
	h.methodPage(w, r, func(page methodPage, v view) {
		choice := r.PostForm.Get("method")
		for _, m := range page.Methods {
			if m.Value == choice {
				http.Redirect(w, r, withID(m.path, r.URL.Query().Get("id")), http.StatusSeeOther)
				return
			}
		}
		v.status, v.alert = http.StatusBadRequest, msgMethodInvalid
		h.render(w, r, v)
	})
}

// methodPage runs the checks of the method choice page and calls next
// when they pass: a sign-in waiting for its second factor, by a user who
// has none yet.
func (h *Handler) methodPage(w http.ResponseWriter, r *http.Request, next func(methodPage, view)) {
	req, ok := h.authRequest(w, r, false)
	if !ok {
		return
	}
	_, user, ok := h.pendingSignIn(w, r, req)
	if !ok {
		return
	}
	step, err := h.secondFactorPage(r.Context(), user.ID)
	if err != nil {
		h.serverError(w, r, "choose second factor", err)
		return
	}
	if step != pathMethod {
		http.Redirect(w, r, withID(step, requestID(req)), http.StatusSeeOther)
		return
	}

	page := methodPage{Action: withID(pathMethod, requestID(req)), Methods: h.methods()}
	next(page, view{page: pageMethod, uiLocales: uiLocales(req), data: page})
}
