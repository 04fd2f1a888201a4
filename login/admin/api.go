package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/store"
)

// APIPrefix is the path prefix of the admin API.
const APIPrefix = "/api/v1"

// maxAPIBody caps a request body of the admin API.
const maxAPIBody = 64 << 10

// TokenVerifier checks a bearer token of the client-credentials grant and
// returns its client and scopes; *idp.Provider implements it.
type TokenVerifier interface {
	APIToken(ctx context.Context, bearer string) (clientID string, scopes []string, err error)
}

// API serves the admin API: JSON over HTTP, authenticated with access
// tokens of the client-credentials grant, errors as RFC 9457 problem
// details. A token reaches what its scopes and its client's property
// grants allow; a user outside them is "not found".
type API struct {
	svc    *Service
	tokens TokenVerifier
	st     store.Store
	logger *slog.Logger
	ip     func(*http.Request) string
}

// NewAPI returns the admin API. clientIP returns the client address of a
// request; nil means its RemoteAddr.
func NewAPI(svc *Service, tokens TokenVerifier, clientIP func(*http.Request) string) *API {
	if clientIP == nil {
		clientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	return &API{svc: svc, tokens: tokens, st: svc.st, logger: svc.logger, ip: clientIP}
}

type apiHandler func(w http.ResponseWriter, r *http.Request, a Actor)

// Register adds the API's routes to r.
func (api *API) Register(r *mux.Router) {
	sub := r.PathPrefix(APIPrefix).Subrouter()
	routes := []*mux.Route{sub.Path("/openapi.json").Methods(http.MethodGet, http.MethodHead).HandlerFunc(api.openAPI)}
	route := func(method, path string, perm store.Permission, fn apiHandler) {
		routes = append(routes, sub.Path(path).Methods(method).Handler(api.authenticated(perm, fn)))
	}
	route(http.MethodGet, "/users", "", api.listUsers)
	route(http.MethodPost, "/users", store.PermManageUsers, api.inviteUser)
	route(http.MethodGet, "/users/{id}", "", api.getUser)
	route(http.MethodPost, "/users/{id}/disable", store.PermManageUsers, api.disableUser(true))
	route(http.MethodPost, "/users/{id}/enable", store.PermManageUsers, api.disableUser(false))
	route(http.MethodPost, "/users/{id}/reset-2fa", store.PermReset2FA, api.reset2FA)
	route(http.MethodPut, "/users/{id}/exemption", store.PermReset2FA, api.exempt)
	route(http.MethodDelete, "/users/{id}/exemption", store.PermReset2FA, api.unexempt)
	api.registerGrants(route)
	route(http.MethodGet, "/exemptions", store.PermReset2FA, api.listExemptions)
	route(http.MethodGet, "/clients", store.PermManageClients, api.listClients)
	route(http.MethodPost, "/clients", store.PermManageClients, api.createClient)
	route(http.MethodGet, "/clients/{id}", store.PermManageClients, api.getClient)
	route(http.MethodPut, "/clients/{id}", store.PermManageClients, api.updateClient)
	route(http.MethodDelete, "/clients/{id}", store.PermManageClients, api.deleteClient)
	route(http.MethodPost, "/clients/{id}/secret", store.PermManageClients, api.rotateSecret)
	route(http.MethodGet, "/audit-events", store.PermViewAudit, api.auditEvents)
	sub.PathPrefix("/").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(routes, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			problem(w, http.StatusMethodNotAllowed, "method_not_allowed", "This resource does not accept "+r.Method+"; see the Allow header.")
			return
		}
		problem(w, http.StatusNotFound, "not_found", "No such resource.")
	})
}

// allowedMethods returns the methods of the routes whose path matches r
// when r's own method matches none of them.
func allowedMethods(routes []*mux.Route, r *http.Request) []string {
	var allow []string
	for _, rt := range routes {
		var m mux.RouteMatch
		if rt.Match(r, &m) || !errors.Is(m.MatchErr, mux.ErrMethodMismatch) {
			continue
		}
		methods, err := rt.GetMethods()
		if err != nil {
			continue
		}
		for _, method := range methods {
			if !slices.Contains(allow, method) {
				allow = append(allow, method)
			}
		}
	}
	return allow
}

// authenticated checks the bearer token and builds the actor from the
// client's grants whose permission the token's scopes carry. perm, when
// set, must be among them, or the request gets 403 insufficient_scope.
func (api *API) authenticated(perm store.Permission, fn apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		auth := r.Header.Get("Authorization")
		scheme, bearer, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || bearer == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin-api"`)
			problem(w, http.StatusUnauthorized, "unauthorized", "Send an access token of the client-credentials grant as a Bearer token.")
			return
		}
		clientID, scopes, err := api.tokens.APIToken(r.Context(), strings.TrimSpace(bearer))
		if errors.Is(err, idp.ErrInvalidAPIToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin-api", error="invalid_token"`)
			problem(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
			return
		}
		if err != nil {
			api.serverError(w, r, "check token", err)
			return
		}
		grants, err := api.st.ClientGrants(r.Context(), clientID)
		if err != nil {
			api.serverError(w, r, "load client grants", err)
			return
		}
		var held []store.ClientGrant
		for _, g := range grants {
			if containsString(scopes, idp.APIScope(g.Permission)) {
				held = append(held, g)
			}
		}
		a := ClientActor(clientID, api.ip(r), held)
		if perm != "" && !a.Has(perm) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="admin-api", error="insufficient_scope", scope="`+idp.APIScope(perm)+`"`)
			problem(w, http.StatusForbidden, "insufficient_scope", "The access token lacks the scope "+idp.APIScope(perm)+".")
			return
		}
		fn(w, r, a)
	})
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// problemDoc is an RFC 9457 problem details object.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// problem writes an RFC 9457 problem details response. code names the
// problem type, a fragment of the API description.
func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problemDoc{
		Type: APIPrefix + "/openapi.json#problem-" + code, Title: http.StatusText(status), Status: status, Detail: detail,
	})
}

func (api *API) serverError(w http.ResponseWriter, r *http.Request, op string, err error) {
	api.logger.ErrorContext(r.Context(), "admin API failed", "op", op, "path", r.URL.Path, "err", err)
	problem(w, http.StatusInternalServerError, "server_error", "The request could not be completed.")
}

// fail writes the problem document for a service error.
func (api *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var in *InputError
	switch {
	case errors.Is(err, ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "No such resource.")
	case errors.Is(err, ErrSelf):
		problem(w, http.StatusForbidden, "forbidden", "Not allowed on the caller's own account.")
	case errors.As(err, &in):
		problem(w, http.StatusBadRequest, "invalid_request", in.Detail)
	default:
		api.serverError(w, r, "admin action", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body into v, refusing unknown fields, trailing
// data and bodies over maxAPIBody. It writes the problem and returns
// false on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		problem(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as application/json.")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem(w, http.StatusRequestEntityTooLarge, "too_large", "The body is too large.")
			return false
		}
		problem(w, http.StatusBadRequest, "invalid_request", "The body is not valid JSON for this resource.")
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		problem(w, http.StatusBadRequest, "invalid_request", "The body holds more than one JSON value.")
		return false
	}
	return true
}

// UserJSON is a user as the API and the command line show it.
type UserJSON struct {
	UserID         string   `json:"user_id"`
	Email          string   `json:"email"`
	Name           string   `json:"name"`
	Locale         string   `json:"locale,omitempty"`
	Status         string   `json:"status"`
	Authentication string   `json:"authentication"`
	Methods        []string `json:"methods"`
	Exempt         bool     `json:"exempt"`
	ExemptUntil    *string  `json:"exempt_until"`
	LastSignIn     *string  `json:"last_sign_in"`
	Properties     []string `json:"properties"`
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// NewUserJSON converts a user of the list.
func NewUserJSON(u store.AdminUser) UserJSON {
	j := UserJSON{
		UserID: u.ID, Email: u.Email, Name: u.Name, Locale: u.Locale, Status: string(u.Status),
		Authentication: AuthStatus(u), Methods: u.Methods, Exempt: u.Exemption != nil,
		LastSignIn: rfc3339(u.LastSignInAt), Properties: u.Properties,
	}
	if j.Methods == nil {
		j.Methods = []string{}
	}
	if j.Properties == nil {
		j.Properties = []string{}
	}
	if u.Exemption != nil {
		j.ExemptUntil = rfc3339(u.Exemption.Until)
	}
	return j
}

func (api *API) listUsers(w http.ResponseWriter, r *http.Request, a Actor) {
	q := r.URL.Query()
	uq := store.UserQuery{Search: q.Get("q"), Filter: store.UserFilter(q.Get("filter")), After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			problem(w, http.StatusBadRequest, "invalid_request", "limit must be a number from 1 to 500.")
			return
		}
		uq.Limit = n
	}
	rows, err := api.svc.ListUsers(r.Context(), a, uq)
	if errors.Is(err, ErrNotFound) {
		problem(w, http.StatusForbidden, "insufficient_scope", "The access token lacks a user permission scope.")
		return
	}
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := struct {
		Users     []UserJSON `json:"users"`
		NextAfter string     `json:"next_after,omitempty"`
	}{Users: []UserJSON{}}
	for _, u := range rows {
		out.Users = append(out.Users, NewUserJSON(u))
	}
	limit := uq.Limit
	if limit == 0 {
		limit = 50
	}
	if len(rows) == limit {
		out.NextAfter = rows[len(rows)-1].EmailKey
	}
	writeJSON(w, http.StatusOK, out)
}

func (api *API) getUser(w http.ResponseWriter, r *http.Request, a Actor) {
	d, err := api.svc.User(r.Context(), a, mux.Vars(r)["id"])
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newUserDetailJSON(d))
}

func (api *API) inviteUser(w http.ResponseWriter, r *http.Request, a Actor) {
	var in struct {
		Email      string `json:"email"`
		Name       string `json:"name"`
		Locale     string `json:"locale"`
		PropertyID string `json:"property_id"`
	}
	if !decode(w, r, &in) {
		return
	}
	userID, link, err := api.svc.Invite(r.Context(), a, Invitation{Email: in.Email, Name: in.Name, Locale: in.Locale, PropertyID: in.PropertyID})
	var ie *InputError
	if errors.As(err, &ie) && ie.MessageID == "AdminErrorEmailTaken" {
		problem(w, http.StatusConflict, "conflict", ie.Detail)
		return
	}
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := map[string]string{"user_id": userID}
	if !api.svc.SendsEmail() {
		out["invitation_url"] = link
	}
	w.Header().Set("Location", APIPrefix+"/users/"+userID)
	writeJSON(w, http.StatusCreated, out)
}

func (api *API) disableUser(disabled bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, a Actor) {
		api.noContent(w, r, api.svc.SetDisabled(r.Context(), a, mux.Vars(r)["id"], disabled))
	}
}

func (api *API) reset2FA(w http.ResponseWriter, r *http.Request, a Actor) {
	api.noContent(w, r, api.svc.Reset2FA(r.Context(), a, mux.Vars(r)["id"]))
}

func (api *API) exempt(w http.ResponseWriter, r *http.Request, a Actor) {
	var in struct {
		Reason string     `json:"reason"`
		Until  *time.Time `json:"until"`
	}
	if !decode(w, r, &in) {
		return
	}
	var until time.Time
	if in.Until != nil {
		until = *in.Until
	}
	api.noContent(w, r, api.svc.Exempt(r.Context(), a, mux.Vars(r)["id"], in.Reason, until))
}

func (api *API) unexempt(w http.ResponseWriter, r *http.Request, a Actor) {
	api.noContent(w, r, api.svc.Unexempt(r.Context(), a, mux.Vars(r)["id"]))
}

// ExemptionJSON is an exception-list entry as the API shows it.
type ExemptionJSON struct {
	UserID    string  `json:"user_id"`
	Email     string  `json:"email"`
	Reason    string  `json:"reason"`
	AddedBy   string  `json:"added_by,omitempty"`
	CreatedAt string  `json:"created_at"`
	Until     *string `json:"until"`
}

func (api *API) listExemptions(w http.ResponseWriter, r *http.Request, a Actor) {
	list, err := api.svc.ListExemptions(r.Context(), a)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := []ExemptionJSON{}
	for _, e := range list {
		out = append(out, ExemptionJSON{UserID: e.UserID, Email: e.Email, Reason: e.Reason, AddedBy: e.AddedByEmail,
			CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339), Until: rfc3339(e.Until)})
	}
	writeJSON(w, http.StatusOK, out)
}

// ClientJSON is a client as the API shows it.
type ClientJSON struct {
	ClientID               string      `json:"client_id"`
	Name                   string      `json:"name"`
	ApplicationType        string      `json:"application_type"`
	Public                 bool        `json:"public"`
	RedirectURIs           []string    `json:"redirect_uris"`
	PostLogoutRedirectURIs []string    `json:"post_logout_redirect_uris"`
	PostLockRedirectURIs   []string    `json:"post_lock_redirect_uris"`
	BackchannelLogoutURI   string      `json:"backchannel_logout_uri,omitempty"`
	Grants                 []GrantJSON `json:"grants,omitempty"`
	CreatedAt              string      `json:"created_at"`
}

// GrantJSON is a permission for a property.
type GrantJSON struct {
	Permission string `json:"permission"`
	PropertyID string `json:"property_id"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newClientJSON(c store.Client, grants []store.ClientGrant) ClientJSON {
	j := ClientJSON{ClientID: c.ID, Name: c.Name, ApplicationType: c.ApplicationType, Public: c.Public(),
		RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		PostLockRedirectURIs: nonNil(c.PostLockRedirectURIs), BackchannelLogoutURI: c.BackchannelLogoutURI,
		CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
	for _, g := range grants {
		j.Grants = append(j.Grants, GrantJSON{Permission: string(g.Permission), PropertyID: g.PropertyID})
	}
	return j
}

func (api *API) listClients(w http.ResponseWriter, r *http.Request, a Actor) {
	list, err := api.svc.ListClients(r.Context(), a)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := []ClientJSON{}
	for _, c := range list {
		out = append(out, newClientJSON(c, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

// clientInput is the body that registers or edits a client.
type clientInput struct {
	Name                   string      `json:"name"`
	ApplicationType        string      `json:"application_type"`
	Public                 bool        `json:"public"`
	RedirectURIs           []string    `json:"redirect_uris"`
	PostLogoutRedirectURIs []string    `json:"post_logout_redirect_uris"`
	PostLockRedirectURIs   []string    `json:"post_lock_redirect_uris"`
	BackchannelLogoutURI   string      `json:"backchannel_logout_uri"`
	Grants                 []GrantJSON `json:"grants"`
}

func (in clientInput) spec() idp.ClientSpec {
	return idp.ClientSpec{Name: in.Name, Type: in.ApplicationType, Public: in.Public, RedirectURIs: in.RedirectURIs,
		PostLogoutRedirectURIs: in.PostLogoutRedirectURIs, PostLockRedirectURIs: in.PostLockRedirectURIs,
		BackchannelLogoutURI: in.BackchannelLogoutURI}
}

func (api *API) createClient(w http.ResponseWriter, r *http.Request, a Actor) {
	var in clientInput
	if !decode(w, r, &in) {
		return
	}
	var grants []store.ClientGrant
	for _, g := range in.Grants {
		grants = append(grants, store.ClientGrant{Permission: store.Permission(g.Permission), PropertyID: g.PropertyID})
	}
	c, secretValue, err := api.svc.CreateClient(r.Context(), a, in.spec(), grants)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := map[string]string{"client_id": c.ID}
	if secretValue != "" {
		out["client_secret"] = secretValue
	}
	w.Header().Set("Location", APIPrefix+"/clients/"+c.ID)
	writeJSON(w, http.StatusCreated, out)
}

func (api *API) getClient(w http.ResponseWriter, r *http.Request, a Actor) {
	d, err := api.svc.Client(r.Context(), a, mux.Vars(r)["id"])
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newClientJSON(d.Client, d.Grants))
}

func (api *API) updateClient(w http.ResponseWriter, r *http.Request, a Actor) {
	var in clientInput
	if !decode(w, r, &in) {
		return
	}
	api.noContent(w, r, api.svc.UpdateClient(r.Context(), a, mux.Vars(r)["id"], in.spec()))
}

func (api *API) deleteClient(w http.ResponseWriter, r *http.Request, a Actor) {
	api.noContent(w, r, api.svc.DeleteClient(r.Context(), a, mux.Vars(r)["id"]))
}

func (api *API) rotateSecret(w http.ResponseWriter, r *http.Request, a Actor) {
	value, err := api.svc.RotateSecret(r.Context(), a, mux.Vars(r)["id"])
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"client_secret": value})
}

// AuditJSON is an audit event as the API and the command line show it.
type AuditJSON struct {
	Time     string            `json:"time"`
	Event    string            `json:"event"`
	ActorID  string            `json:"actor_id"`
	UserID   string            `json:"user_id"`
	ClientID string            `json:"client_id"`
	IP       string            `json:"ip"`
	Detail   map[string]string `json:"detail"`
}

// NewAuditJSON converts an audit event.
func NewAuditJSON(e store.AuditEvent) AuditJSON {
	d := e.Detail
	if d == nil {
		d = map[string]string{}
	}
	return AuditJSON{Time: e.Time.UTC().Format(time.RFC3339Nano), Event: e.Event, ActorID: e.ActorID,
		UserID: e.UserID, ClientID: e.ClientID, IP: e.IP, Detail: d}
}

func (api *API) auditEvents(w http.ResponseWriter, r *http.Request, a Actor) {
	q := r.URL.Query()
	f := store.AuditFilter{UserID: q.Get("user_id"), Event: q.Get("event")}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			problem(w, http.StatusBadRequest, "invalid_request", "since must be an RFC 3339 time.")
			return
		}
		f.Since = t
	}
	events, err := api.svc.AuditEvents(r.Context(), a, f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	out := []AuditJSON{}
	for _, e := range events {
		out = append(out, NewAuditJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// noContent responds with 204 after a successful change, or with the
// problem details of err.
func (api *API) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
