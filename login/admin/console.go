package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

// ReauthAfter is the maximum age of the last sign-in for a console
// action; an older session must confirm the password first.
const ReauthAfter = 15 * time.Minute

// Console serves the admin pages under /admin. It uses the hosted pages'
// sessions, CSRF protection, layout and throttling, and reaches only
// admins with a complete two-factor session.
type Console struct {
	svc    *Service
	pages  *login.Handler
	st     store.Store
	logger *slog.Logger
	now    func() time.Time
}

// NewConsole returns the console. It fails when the message catalogue
// lacks a message the console chooses at run time; the messages its
// templates name are checked by login.New.
func NewConsole(svc *Service, pages *login.Handler) (*Console, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("admin console: %w", err)
	}
	if missing := cat.Missing(runtimeMessages); len(missing) > 0 {
		return nil, fmt.Errorf("admin console: message catalogue lacks %s", strings.Join(missing, ", "))
	}
	return &Console{svc: svc, pages: pages, st: svc.st, logger: svc.logger, now: svc.now}, nil
}

// Messages chosen at run time.
var runtimeMessages = []string{
	msgNotFound, msgSelf, msgPasswordWrong, msgThrottled, msgDone,
	"AdminErrorFilter", "AdminErrorSearch", "AdminErrorProperty", "AdminErrorLocale",
	"AdminErrorEmail", "AdminErrorName", "AdminErrorEmailTaken", "AdminErrorNotInvited",
	"AdminErrorReason", "AdminErrorUntil", "AdminErrorNotExempt", "AdminErrorPermission",
	"AdminErrorPublicGrants", "AdminErrorGrant", "AdminErrorClient", "AdminErrorPublicClient", "AdminErrorSince", "AdminErrorHash",
}

const (
	msgNotFound      = "AdminNotFound"
	msgSelf          = "AdminErrorSelf"
	msgPasswordWrong = "AdminPasswordWrong"
	msgThrottled     = "AdminThrottled"
	msgDone          = "AdminDone"
)

// Paths of the console.
const (
	pathAdmin      = "/admin"
	pathUsers      = "/admin/users"
	pathInvite     = "/admin/users/invite"
	pathExemptions = "/admin/exemptions"
	pathClients    = "/admin/clients"
	pathNewClient  = "/admin/clients/new"
	pathAudit      = "/admin/audit"
)

// Register adds the console's routes to r.
func (c *Console) Register(r *mux.Router) {
	get := func(path string, fn handler) {
		r.Path(path).Methods(http.MethodGet, http.MethodHead).Handler(c.pages.Page(c.signedIn(fn, false)))
	}
	post := func(path string, fn handler) {
		r.Path(path).Methods(http.MethodPost).Handler(c.pages.Page(c.signedIn(fn, true)))
	}
	r.Path(pathAdmin).Methods(http.MethodGet, http.MethodHead).Handler(http.RedirectHandler(pathUsers, http.StatusSeeOther))
	get(pathUsers, c.users)
	get(pathInvite, c.showInvite)
	post(pathInvite, c.invite)
	get(pathUsers+"/{id}", c.user)
	post(pathUsers+"/{id}/{action}", c.userAction)
	get(pathExemptions, c.exemptions)
	get(pathClients, c.clients)
	get(pathNewClient, c.showNewClient)
	post(pathNewClient, c.createClient)
	get(pathClients+"/{id}", c.client)
	post(pathClients+"/{id}", c.updateClient)
	post(pathClients+"/{id}/{action}", c.clientAction)
	get(pathAudit, c.audit)
}

// request is a console request by a signed-in admin.
type request struct {
	actor   Actor
	user    store.User
	session store.Session
	loc     *i18n.Localizer // the language of the console's pages
}

type handler func(w http.ResponseWriter, r *http.Request, q *request)

// signedIn passes on only an active user with a complete session of at
// least acr "2fa" and at least one grant. Anyone else gets the sign-in
// page or "not found". A POST by a session whose last sign-in is older
// than ReauthAfter must confirm the password first.
func (c *Console) signedIn(fn handler, post bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s, ok, err := c.pages.CurrentSession(r)
		if err != nil {
			c.pages.ServerError(w, r, "load session", err)
			return
		}
		if !ok || !s.Complete {
			if post {
				c.notFound(w, r)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if !idp.ACRAtLeast(s.ACR, idp.ACR2FA) {
			c.notFound(w, r)
			return
		}
		u, err := c.st.UserByID(ctx, s.UserID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			c.pages.ServerError(w, r, "load user", err)
			return
		}
		if err != nil || u.Status != store.UserActive {
			c.notFound(w, r)
			return
		}
		grants, err := c.st.Grants(ctx, u.ID)
		if err != nil {
			c.pages.ServerError(w, r, "load grants", err)
			return
		}
		props, err := c.st.UserProperties(ctx, u.ID)
		if err != nil {
			c.pages.ServerError(w, r, "load properties", err)
			return
		}
		grants = memberGrants(grants, props)
		if len(grants) == 0 {
			c.notFound(w, r)
			return
		}
		q := &request{actor: UserActor(u.ID, c.pages.ClientAddr(r), grants), user: u, session: s,
			loc: c.pages.Localizer(r, u.Locale)}
		if post && c.now().Sub(s.AuthTime) > ReauthAfter && !c.reauthenticate(w, r, q) {
			return
		}
		fn(w, r, q)
	}
}

// confirmPage is the password confirmation, which posts the original form again.
type confirmPage struct {
	Action string
	Fields []formField
}

type formField struct{ Name, Value string }

// reauthenticate checks the password posted with a stale session's form.
// Without one, or with a wrong one, it shows the confirmation page, which
// posts the same form again with the password, and returns false. With
// the right one it renews the session's sign-in time and returns true.
func (c *Console) reauthenticate(w http.ResponseWriter, r *http.Request, q *request) bool {
	pw := r.PostForm.Get("reauth_password")
	show := func(status int, alert string) {
		page := confirmPage{Action: r.URL.Path}
		for name, values := range r.PostForm {
			if name == "csrf_token" || name == "reauth_password" {
				continue
			}
			for _, v := range values {
				page.Fields = append(page.Fields, formField{Name: name, Value: v})
			}
		}
		c.render(w, r, q, login.View{Page: "admin_confirm", Status: status, Alert: alert, Data: page})
	}
	if pw == "" {
		show(http.StatusUnauthorized, "")
		return false
	}
	ok, err := c.pages.ConfirmPassword(r.Context(), r, q.user, pw)
	if errors.Is(err, login.ErrThrottled) {
		show(http.StatusTooManyRequests, msgThrottled)
		return false
	}
	if err != nil {
		c.pages.ServerError(w, r, "confirm password", err)
		return false
	}
	if !ok {
		c.svc.audit(r.Context(), q.actor, EventReauthFailed, q.user.ID, "", nil)
		show(http.StatusUnauthorized, msgPasswordWrong)
		return false
	}
	q.session.AuthTime, q.session.UpdatedAt = c.now(), c.now()
	if err := c.pages.UpdateSession(r.Context(), q.session); err != nil {
		c.pages.ServerError(w, r, "renew session", err)
		return false
	}
	return true
}

// nav is the navigation every console page shows, with the sections the
// admin may open.
type nav struct {
	Users, Exemptions, Clients, Audit bool
}

// pageData wraps a page's own data with the navigation.
type pageData struct {
	Nav  nav
	Data any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, q *request, v login.View) {
	a := q.actor
	v.Data = pageData{
		Nav: nav{
			Users:      a.Has(store.PermManageUsers) || a.Has(store.PermReset2FA),
			Exemptions: a.Has(store.PermReset2FA),
			Clients:    a.Has(store.PermManageClients),
			Audit:      a.Has(store.PermViewAudit),
		},
		Data: v.Data,
	}
	v.Saved = q.user.Locale
	c.pages.Render(w, r, v)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.pages.Fail(w, r, http.StatusNotFound, msgNotFound)
}

// fail writes the response for a service error. Invalid input re-renders
// page v with the error as its alert; the other errors get the error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, q *request, err error, v login.View) {
	var in *InputError
	switch {
	case errors.Is(err, ErrNotFound):
		c.notFound(w, r)
	case errors.Is(err, ErrSelf):
		c.pages.Fail(w, r, http.StatusForbidden, msgSelf)
	case errors.As(err, &in) && v.Page != "":
		v.Status, v.Alert = http.StatusBadRequest, in.MessageID
		c.render(w, r, q, v)
	case errors.As(err, &in):
		c.pages.Fail(w, r, http.StatusBadRequest, login.MsgErrorBadRequest)
	default:
		c.pages.ServerError(w, r, "admin action", err)
	}
}

// formatTime formats t in UTC in the language of the page, or returns ""
// for the zero time.
func (q *request) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return q.loc.DateTime(t.UTC())
}

// withQuery returns path with the non-empty values as its query.
func withQuery(path string, values map[string]string) string {
	q := url.Values{}
	for k, v := range values {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
