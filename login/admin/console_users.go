package admin

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

// userRow is a row of the users page.
type userRow struct {
	ID, Name, Email string
	Auth            string // one of the Auth... states
	Until           string // end of the exemption, when it has one
	Disabled        bool
	LastSignIn      string
}

type usersPage struct {
	Search    string
	Filter    string
	Rows      []userRow
	Next      string // URL of the next page, or ""
	CanInvite bool
}

// users handles GET /admin/users: one page of users with search and
// status filter, paged by the email key of the last row.
func (c *Console) users(w http.ResponseWriter, r *http.Request, q *request) {
	query := r.URL.Query()
	uq := store.UserQuery{
		Search: query.Get("q"),
		Filter: store.UserFilter(query.Get("filter")),
		After:  query.Get("after"),
		Limit:  50,
	}
	page := usersPage{Search: uq.Search, Filter: string(uq.Filter), CanInvite: q.actor.Has(store.PermManageUsers)}
	rows, err := c.svc.ListUsers(r.Context(), q.actor, uq)
	if err != nil {
		uq.Filter, page.Filter = "", ""
		c.fail(w, r, q, err, login.View{Page: "admin_users", Data: page})
		return
	}
	for _, u := range rows {
		row := userRow{ID: u.ID, Name: u.Name, Email: u.Email, Auth: AuthStatus(u),
			Disabled: u.Status == store.UserDisabled, LastSignIn: q.formatTime(u.LastSignInAt)}
		if u.Exemption != nil {
			row.Until = q.formatTime(u.Exemption.Until)
		}
		page.Rows = append(page.Rows, row)
	}
	if len(rows) == uq.Limit {
		page.Next = withQuery(pathUsers, map[string]string{"q": uq.Search, "filter": string(uq.Filter), "after": rows[len(rows)-1].EmailKey})
	}
	c.render(w, r, q, login.View{Page: "admin_users", Data: page})
}

type invitePage struct {
	Email, Name, Locale, Property string
	Properties                    []store.Property
	AnyProperty                   bool // the admin may invite without a property
	Locales                       []string
	Link                          string // shown when no email could be sent
	Invited                       string // the address just invited
}

func (c *Console) invitePage(r *http.Request, q *request) (invitePage, error) {
	props, err := c.svc.Properties(r.Context(), q.actor, store.PermManageUsers)
	return invitePage{Properties: props, Locales: Locales, AnyProperty: q.actor.HasAll(store.PermManageUsers)}, err
}

// showInvite handles GET /admin/users/invite.
func (c *Console) showInvite(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.actor.Has(store.PermManageUsers) {
		c.notFound(w, r)
		return
	}
	page, err := c.invitePage(r, q)
	if err != nil {
		c.pages.ServerError(w, r, "list properties", err)
		return
	}
	c.render(w, r, q, login.View{Page: "admin_invite", Data: page})
}

// invite handles POST /admin/users/invite.
func (c *Console) invite(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.actor.Has(store.PermManageUsers) {
		c.notFound(w, r)
		return
	}
	page, err := c.invitePage(r, q)
	if err != nil {
		c.pages.ServerError(w, r, "list properties", err)
		return
	}
	f := r.PostForm
	page.Email, page.Name, page.Locale, page.Property = f.Get("email"), f.Get("name"), f.Get("locale"), f.Get("property")
	_, link, err := c.svc.Invite(r.Context(), q.actor, Invitation{Email: page.Email, Name: page.Name, Locale: page.Locale, PropertyID: page.Property})
	if err != nil {
		c.fail(w, r, q, err, login.View{Page: "admin_invite", Data: page})
		return
	}
	done := invitePage{Properties: page.Properties, Locales: Locales, AnyProperty: page.AnyProperty, Invited: page.Email}
	if !c.svc.SendsEmail() {
		done.Link = link
	}
	c.render(w, r, q, login.View{Page: "admin_invite", Data: done})
}

type sessionRow struct {
	Created, LastUsed, IP, UserAgent, ACR string
}

type userPage struct {
	ID, Name, Email, Locale, Status string
	Auth                            string
	Methods                         []string
	LastSignIn                      string
	Properties                      []string
	Exempt                          bool
	ExemptReason, ExemptUntil       string
	ExemptSince, ExemptBy           string
	Sessions                        []sessionRow
	CanReset, CanManage, Self       bool
	Locales                         []string
	Today                           string // the earliest end date of an exemption
	Done                            bool   // an action just succeeded
	Access                          accessSection
}

// user handles GET /admin/users/{id}.
func (c *Console) user(w http.ResponseWriter, r *http.Request, q *request) {
	c.showUser(w, r, q, mux.Vars(r)["id"], "", r.URL.Query().Get("done") != "")
}

func (c *Console) showUser(w http.ResponseWriter, r *http.Request, q *request, id, alert string, done bool) {
	d, err := c.svc.User(r.Context(), q.actor, id)
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	page := userPage{
		ID: d.ID, Name: d.Name, Email: d.Email, Locale: d.Locale, Status: string(d.Status),
		Auth: AuthStatus(d.AdminUser), Methods: d.Methods, LastSignIn: q.formatTime(d.LastSignInAt),
		Properties: d.Properties, Locales: Locales, Self: d.ID == q.user.ID, Done: done,
		CanReset:  q.actor.covers(store.PermReset2FA, d.Properties),
		CanManage: q.actor.covers(store.PermManageUsers, d.Properties),
		Today:     c.now().UTC().Add(24 * time.Hour).Format(time.DateOnly),
	}
	if e := d.Exemption; e != nil {
		page.Exempt, page.ExemptReason, page.ExemptUntil, page.ExemptSince = true, e.Reason, q.formatTime(e.Until), q.formatTime(e.CreatedAt)
		if by, err := c.st.UserByID(r.Context(), e.AddedBy); err == nil {
			page.ExemptBy = by.Email
		}
	}
	if page.Access, err = c.userAccess(r.Context(), q.actor, d); err != nil {
		c.pages.ServerError(w, r, "list properties", err)
		return
	}
	for _, s := range d.Sessions {
		page.Sessions = append(page.Sessions, sessionRow{Created: q.formatTime(s.CreatedAt), LastUsed: q.formatTime(s.UpdatedAt),
			IP: s.ClientIP, UserAgent: s.UserAgent, ACR: s.ACR})
	}
	status := http.StatusOK
	if alert != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, q, login.View{Page: "admin_user", Status: status, Alert: alert, Data: page})
}

// userAction handles POST /admin/users/{id}/{action}, the buttons of the
// user page. Success returns to the user page.
func (c *Console) userAction(w http.ResponseWriter, r *http.Request, q *request) {
	ctx, vars, f := r.Context(), mux.Vars(r), r.PostForm
	id := vars["id"]
	var err error
	switch vars["action"] {
	case "reset-2fa":
		err = c.svc.Reset2FA(ctx, q.actor, id)
	case "exempt":
		var until time.Time
		if v := f.Get("until"); v != "" {
			d, perr := time.Parse(time.DateOnly, v)
			if perr != nil {
				c.showUser(w, r, q, id, "AdminErrorUntil", false)
				return
			}
			until = d.Add(24 * time.Hour) // the entry holds through the chosen day (UTC)
		}
		err = c.svc.Exempt(ctx, q.actor, id, f.Get("reason"), until)
	case "unexempt":
		err = c.svc.Unexempt(ctx, q.actor, id)
	case "disable":
		err = c.svc.SetDisabled(ctx, q.actor, id, true)
	case "enable":
		err = c.svc.SetDisabled(ctx, q.actor, id, false)
	case "end-sessions":
		err = c.svc.EndSessions(ctx, q.actor, id)
	case "locale":
		err = c.svc.SetLocale(ctx, q.actor, id, f.Get("locale"))
	case "resend-invitation":
		var link string
		link, err = c.svc.ResendInvitation(ctx, q.actor, id)
		if err == nil && !c.svc.SendsEmail() {
			c.render(w, r, q, login.View{Page: "admin_invite", Data: invitePage{Link: link, Locales: Locales}})
			return
		}
	case "grant", "revoke-grant", "add-member", "remove-member":
		err = c.accessAction(r, q, id, vars["action"])
	default:
		c.notFound(w, r)
		return
	}
	if in := (*InputError)(nil); err != nil && asInput(err, &in) {
		c.showUser(w, r, q, id, in.MessageID, false)
		return
	}
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	http.Redirect(w, r, c.userPageAfter(r, q, id, vars["action"]), http.StatusSeeOther)
}

type exemptionsPage struct {
	Rows []exemptionRow
}

type exemptionRow struct {
	UserID, Name, Email, Reason, AddedBy, Since, Until string
}

// exemptions handles GET /admin/exemptions, the 2FA exception list.
func (c *Console) exemptions(w http.ResponseWriter, r *http.Request, q *request) {
	list, err := c.svc.ListExemptions(r.Context(), q.actor)
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	var page exemptionsPage
	for _, e := range list {
		page.Rows = append(page.Rows, exemptionRow{UserID: e.UserID, Name: e.Name, Email: e.Email, Reason: e.Reason,
			AddedBy: e.AddedByEmail, Since: q.formatTime(e.CreatedAt), Until: q.formatTime(e.Until)})
	}
	c.render(w, r, q, login.View{Page: "admin_exemptions", Data: page})
}
