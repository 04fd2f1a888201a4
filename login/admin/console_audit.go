package admin

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/store"
)

type auditRow struct {
	Time, Event, Actor, User, Client, IP, Detail string
}

type auditPage struct {
	User, Event, Since string
	Rows               []auditRow
}

// auditPageSize is how many events the audit page shows.
const auditPageSize = 200

// audit handles GET /admin/audit with the filters user (an email
// address), event and since (a date).
func (c *Console) audit(w http.ResponseWriter, r *http.Request, q *request) {
	ctx, query := r.Context(), r.URL.Query()
	page := auditPage{User: query.Get("user"), Event: query.Get("event"), Since: query.Get("since")}
	if !q.actor.Has(store.PermViewAudit) {
		c.notFound(w, r)
		return
	}
	f := store.AuditFilter{Event: strings.TrimSpace(page.Event), Limit: auditPageSize}
	if page.Since != "" {
		since, err := time.Parse(time.DateOnly, page.Since)
		if err != nil {
			c.render(w, r, q, login.View{Page: "admin_audit", Status: http.StatusBadRequest, Alert: "AdminErrorSince", Data: page})
			return
		}
		f.Since = since
	}
	if page.User != "" {
		u, err := c.st.UserByEmailKey(ctx, store.NormalizeEmail(page.User))
		if errors.Is(err, store.ErrNotFound) {
			c.render(w, r, q, login.View{Page: "admin_audit", Data: page})
			return
		}
		if err != nil {
			c.pages.ServerError(w, r, "find user", err)
			return
		}
		f.UserID = u.ID
	}
	events, err := c.svc.AuditEvents(ctx, q.actor, f)
	if err != nil {
		c.fail(w, r, q, err, login.View{})
		return
	}
	emails := map[string]string{}
	email := func(id string) string {
		if id == "" {
			return ""
		}
		if e, ok := emails[id]; ok {
			return e
		}
		e := id
		if u, err := c.st.UserByID(ctx, id); err == nil {
			e = u.Email
		}
		emails[id] = e
		return e
	}
	for _, e := range events {
		page.Rows = append(page.Rows, auditRow{Time: e.Time.UTC().Format(time.DateTime), Event: e.Event,
			Actor: email(e.ActorID), User: email(e.UserID), Client: e.ClientID, IP: e.IP, Detail: detailText(e.Detail)})
	}
	c.render(w, r, q, login.View{Page: "admin_audit", Data: page})
}

// detailText renders an event's details as "key=value" pairs, sorted.
func detailText(d map[string]string) string {
	parts := make([]string, 0, len(d))
	for k, v := range d {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
