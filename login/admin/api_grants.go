package admin

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/store"
)

// registerGrants adds the routes that change a user's grants and property
// memberships. They need admin:manage_users. Granting or revoking a
// permission also needs that permission's scope for the property, because
// Grant and RevokeGrant accept only grants the actor itself has.
func (api *API) registerGrants(route func(method, path string, perm store.Permission, fn apiHandler)) {
	route(http.MethodPut, "/users/{id}/grants", store.PermManageUsers, api.grant)
	route(http.MethodDelete, "/users/{id}/grants", store.PermManageUsers, api.revokeGrant)
	route(http.MethodPut, "/users/{id}/memberships/{property}", store.PermManageUsers, api.addMember)
	route(http.MethodDelete, "/users/{id}/memberships/{property}", store.PermManageUsers, api.removeMember)
}

// grantInput is the body of PUT /users/{id}/grants. An empty PropertyID
// means every property.
type grantInput struct {
	Permission string `json:"permission"`
	PropertyID string `json:"property_id"`
}

// grant handles PUT /users/{id}/grants. Repeating it returns 204 again
// and changes nothing.
func (api *API) grant(w http.ResponseWriter, r *http.Request, a Actor) {
	var in grantInput
	if !decode(w, r, &in) {
		return
	}
	api.noContent(w, r, api.svc.Grant(r.Context(), a, mux.Vars(r)["id"], store.Permission(in.Permission), in.PropertyID))
}

// revokeGrant handles DELETE /users/{id}/grants?permission=P&property_id=ID.
// A missing property_id means the grant for every property.
func (api *API) revokeGrant(w http.ResponseWriter, r *http.Request, a Actor) {
	q := r.URL.Query()
	api.noContent(w, r, api.svc.RevokeGrant(r.Context(), a, mux.Vars(r)["id"], store.Permission(q.Get("permission")), q.Get("property_id")))
}

// addMember handles PUT /users/{id}/memberships/{property}.
func (api *API) addMember(w http.ResponseWriter, r *http.Request, a Actor) {
	vars := mux.Vars(r)
	api.noContent(w, r, api.svc.AddMember(r.Context(), a, vars["id"], vars["property"]))
}

// removeMember handles DELETE /users/{id}/memberships/{property}.
func (api *API) removeMember(w http.ResponseWriter, r *http.Request, a Actor) {
	vars := mux.Vars(r)
	api.noContent(w, r, api.svc.RemoveMember(r.Context(), a, vars["id"], vars["property"]))
}

// userDetailJSON is a single user as GET /users/{id} shows it: the list
// entry plus the user's grants.
type userDetailJSON struct {
	UserJSON
	Grants []GrantJSON `json:"grants"`
}

func newUserDetailJSON(d UserDetail) userDetailJSON {
	out := userDetailJSON{UserJSON: NewUserJSON(d.AdminUser), Grants: []GrantJSON{}}
	for _, g := range d.Grants {
		out.Grants = append(out.Grants, GrantJSON{Permission: string(g.Permission), PropertyID: g.PropertyID})
	}
	return out
}
