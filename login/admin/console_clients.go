package admin

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

type clientRow struct {
	ID, Name, Type string
	Public         bool
	RedirectURIs   []string
}

type clientsPage struct {
	Rows []clientRow
}

// clients handles GET /admin/clients.
func (c *Console) clients(w http.ResponseWriter, r *http.Request, q *request) {
	list, err := c.svc.ListClients(r.Context(), q.actor)
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	var page clientsPage
	for _, cl := range list {
		page.Rows = append(page.Rows, clientRow{ID: cl.ID, Name: cl.Name, Type: cl.ApplicationType, Public: cl.Public(), RedirectURIs: cl.RedirectURIs})
	}
	c.render(w, r, q, login.View{Page: "admin_clients", Data: page})
}

// clientForm is the data of the form that registers or edits a client.
// The URI lists are one URI per line.
type clientForm struct {
	ID, Action                string
	New, Public               bool
	Name, Type                string
	Redirects, Logouts, Locks string
	Backchannel               string
	Permissions               []permissionBox
	Property                  string
	Grants                    []string // "permission@property", shown on the edit form
	Problems                  string
	SecretShown               string // a secret shown once after create or rotate
	Confidential              bool
}

type permissionBox struct {
	Value   string
	Checked bool
}

func permissionBoxes(checked []string) []permissionBox {
	var out []permissionBox
	for _, p := range Permissions {
		out = append(out, permissionBox{Value: string(p), Checked: contains(checked, string(p))})
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// lines splits a text area into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func specFromForm(r *http.Request) idp.ClientSpec {
	f := r.PostForm
	return idp.ClientSpec{
		Name: f.Get("name"), Type: f.Get("type"),
		RedirectURIs:           lines(f.Get("redirect_uris")),
		PostLogoutRedirectURIs: lines(f.Get("post_logout_redirect_uris")),
		PostLockRedirectURIs:   lines(f.Get("post_lock_redirect_uris")),
		BackchannelLogoutURI:   strings.TrimSpace(f.Get("backchannel_logout_uri")),
		Public:                 f.Get("public") == "on",
	}
}

// showNewClient handles GET /admin/clients/new.
func (c *Console) showNewClient(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.actor.Has(store.PermManageClients) {
		c.notFound(w, r)
		return
	}
	form := clientForm{New: true, Action: pathNewClient, Type: store.AppTypeWeb, Permissions: permissionBoxes(nil)}
	c.render(w, r, q, login.View{Page: "admin_client", Data: form})
}

// createClient handles POST /admin/clients/new. The secret of a
// confidential client is shown once on the page that follows.
func (c *Console) createClient(w http.ResponseWriter, r *http.Request, q *request) {
	if !q.actor.Has(store.PermManageClients) {
		c.notFound(w, r)
		return
	}
	f := r.PostForm
	spec := specFromForm(r)
	property := strings.TrimSpace(f.Get("property"))
	var grants []store.ClientGrant
	for _, p := range f["permission"] {
		grants = append(grants, store.ClientGrant{Permission: store.Permission(p), PropertyID: property})
	}
	form := clientForm{New: true, Action: pathNewClient, Name: spec.Name, Type: spec.Type, Public: spec.Public,
		Redirects: f.Get("redirect_uris"), Logouts: f.Get("post_logout_redirect_uris"), Locks: f.Get("post_lock_redirect_uris"),
		Backchannel: spec.BackchannelLogoutURI, Permissions: permissionBoxes(f["permission"]), Property: property}
	if len(grants) > 0 && property == "" {
		c.render(w, r, q, login.View{Page: "admin_client", Status: http.StatusBadRequest, Alert: "AdminErrorProperty", Data: form})
		return
	}
	cl, secretValue, err := c.svc.CreateClient(r.Context(), q.actor, spec, grants)
	if in := (*InputError)(nil); err != nil && asInput(err, &in) {
		form.Problems = in.Detail
		c.render(w, r, q, login.View{Page: "admin_client", Status: http.StatusBadRequest, Alert: in.MessageID, Data: form})
		return
	}
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	c.showClient(w, r, q, cl.ID, secretValue, "", "")
}

// client handles GET /admin/clients/{id}.
func (c *Console) client(w http.ResponseWriter, r *http.Request, q *request) {
	c.showClient(w, r, q, mux.Vars(r)["id"], "", "", "")
}

func (c *Console) showClient(w http.ResponseWriter, r *http.Request, q *request, id, secretValue, alert, problems string) {
	d, err := c.svc.Client(r.Context(), q.actor, id)
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	form := clientForm{ID: d.ID, Action: pathClients + "/" + d.ID, Name: d.Name, Type: d.ApplicationType, Public: d.Public(),
		Confidential: !d.Public(),
		Redirects:    strings.Join(d.RedirectURIs, "\n"), Logouts: strings.Join(d.PostLogoutRedirectURIs, "\n"),
		Locks: strings.Join(d.PostLockRedirectURIs, "\n"), Backchannel: d.BackchannelLogoutURI,
		SecretShown: secretValue, Problems: problems}
	for _, g := range d.Grants {
		form.Grants = append(form.Grants, string(g.Permission)+" @ "+g.PropertyID)
	}
	status := http.StatusOK
	if alert != "" {
		status = http.StatusBadRequest
	}
	c.render(w, r, q, login.View{Page: "admin_client", Status: status, Alert: alert, Data: form})
}

// updateClient handles POST /admin/clients/{id}, the edit form.
func (c *Console) updateClient(w http.ResponseWriter, r *http.Request, q *request) {
	id := mux.Vars(r)["id"]
	err := c.svc.UpdateClient(r.Context(), q.actor, id, specFromForm(r))
	if in := (*InputError)(nil); err != nil && asInput(err, &in) {
		c.showClient(w, r, q, id, "", in.MessageID, in.Detail)
		return
	}
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	http.Redirect(w, r, pathClients+"/"+id, http.StatusSeeOther)
}

// clientAction handles POST /admin/clients/{id}/rotate and .../delete.
func (c *Console) clientAction(w http.ResponseWriter, r *http.Request, q *request) {
	vars := mux.Vars(r)
	id := vars["id"]
	switch vars["action"] {
	case "rotate":
		value, err := c.svc.RotateSecret(r.Context(), q.actor, id)
		if in := (*InputError)(nil); err != nil && asInput(err, &in) {
			c.showClient(w, r, q, id, "", in.MessageID, "")
			return
		}
		if err != nil {
			c.fail(w, r, q, err, login.View{})
			return
		}
		c.showClient(w, r, q, id, value, "", "")
	case "delete":
		if err := c.svc.DeleteClient(r.Context(), q.actor, id); err != nil {
			c.fail(w, r, q, err, login.View{})
			return
		}
		http.Redirect(w, r, pathClients, http.StatusSeeOther)
	default:
		c.notFound(w, r)
	}
}
