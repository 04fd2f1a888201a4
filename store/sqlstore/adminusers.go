package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hotelsoft/idp/store"
)

// Page sizes of SearchUsers.
const (
	defaultUserPage = 50
	maxUserPage     = 500
)

// methodTables lists, for each 2FA method, the table that holds it and
// the condition under which a row u of users has it. A method table of a
// later migration adds its entry here and its method to Methods.
var methodTables = []struct{ method, table, clause, users string }{
	{methodTOTP, "totp_credentials",
		`EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)`,
		`SELECT user_id FROM totp_credentials WHERE confirmed_at IS NOT NULL AND user_id IN `},
	{methodEmail, "email_methods",
		`EXISTS (SELECT 1 FROM email_methods m WHERE m.user_id = u.id)`,
		`SELECT user_id FROM email_methods WHERE user_id IN `},
	{methodWebAuthn, "webauthn_credentials",
		`EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.user_id = u.id)`,
		`SELECT DISTINCT user_id FROM webauthn_credentials WHERE user_id IN `},
}

// presentMethodTables returns the entries of methodTables whose table this
// database has.
func (s *Store) presentMethodTables(ctx context.Context) ([]int, error) {
	tables := make([]string, 0, len(methodTables))
	for _, m := range methodTables {
		tables = append(tables, m.table)
	}
	have, err := s.existingTables(ctx, tables)
	if err != nil {
		return nil, err
	}
	var present []int
	for i, m := range methodTables {
		if slices.Contains(have, m.table) {
			present = append(present, i)
		}
	}
	return present, nil
}

// hasMethodSQL returns a condition that is true for a row u of users with
// at least one active 2FA method among the present method tables.
func hasMethodSQL(present []int) string {
	parts := make([]string, 0, len(present))
	for _, i := range present {
		parts = append(parts, methodTables[i].clause)
	}
	if len(parts) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// exemptSQL is true for a row u whose exception-list entry applies at the
// time bound to its placeholder.
const exemptSQL = `EXISTS (SELECT 1 FROM exemptions x WHERE x.user_id = u.id AND (x.ends_at IS NULL OR x.ends_at > ?))`

type adminUserRow struct {
	userRow
	ExReason    *string `db:"ex_reason"`
	ExAddedBy   *string `db:"ex_added_by"`
	ExCreatedAt millis  `db:"ex_created_at"`
	ExEndsAt    millis  `db:"ex_ends_at"`
}

// SearchUsers returns one page of the admin user list. Paging is by email
// key (keyset), so each page costs the same however deep it is; the
// property, status and exemption conditions use indexed lookups.
func (s *Store) SearchUsers(ctx context.Context, q store.UserQuery) ([]store.AdminUser, error) {
	const op = "search users"
	if q.Properties != nil && len(q.Properties) == 0 {
		return []store.AdminUser{}, nil
	}
	now := q.Now.UnixMilli()
	where := []string{"u.email_key > ?"}
	args := []any{q.After}
	if q.Properties != nil {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(q.Properties)), ", ")
		where = append(where, `EXISTS (SELECT 1 FROM user_properties p WHERE p.user_id = u.id AND p.property_id IN (`+marks+`))`)
		for _, p := range q.Properties {
			args = append(args, p)
		}
	}
	if term := strings.ToLower(strings.TrimSpace(q.Search)); term != "" {
		pattern := "%" + escapeLike(term) + "%"
		where = append(where, `(u.email_key LIKE ? ESCAPE '\' OR LOWER(u.name) LIKE ? ESCAPE '\')`)
		args = append(args, pattern, pattern)
	}
	present, err := s.presentMethodTables(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	hasMethod := hasMethodSQL(present)
	switch q.Filter {
	case store.FilterNo2FA:
		where = append(where, `u.status = 'active' AND NOT `+hasMethod+` AND NOT `+exemptSQL)
		args = append(args, now)
	case store.FilterHas2FA:
		where = append(where, hasMethod)
	case store.FilterInvited:
		where = append(where, `u.status = 'invited'`)
	case store.FilterDisabled:
		where = append(where, `u.status = 'disabled'`)
	case store.FilterExempt:
		where = append(where, exemptSQL)
		args = append(args, now)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultUserPage
	}
	limit = min(limit, maxUserPage)

	query := `SELECT u.id, u.email, u.email_key, u.name, u.locale, u.status, u.password_hash,
		u.terms_accepted_at, u.created_at, u.last_sign_in_at,
		x.reason AS ex_reason, x.added_by AS ex_added_by, x.created_at AS ex_created_at, x.ends_at AS ex_ends_at
		FROM users u LEFT JOIN exemptions x ON x.user_id = u.id AND (x.ends_at IS NULL OR x.ends_at > ?)
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY u.email_key LIMIT ?`
	args = append([]any{now}, args...)
	args = append(args, limit)
	var rows []adminUserRow
	if err := s.selectRows(ctx, s.read, op, &rows, query, args...); err != nil {
		return nil, err
	}

	return s.adminUsers(ctx, op, rows, present)
}

// adminUsers completes a page of rows with each user's methods and
// properties, in one query per method table and one for the properties.
func (s *Store) adminUsers(ctx context.Context, op string, rows []adminUserRow, present []int) ([]store.AdminUser, error) {
	out := make([]store.AdminUser, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"

	methods := map[string][]string{}
	for _, i := range present {
		var users []string
		if err := s.selectRows(ctx, s.read, op, &users, methodTables[i].users+in, ids...); err != nil {
			return nil, err
		}
		for _, id := range users {
			methods[id] = append(methods[id], methodTables[i].method)
		}
	}
	var memberships []struct {
		UserID     string `db:"user_id"`
		PropertyID string `db:"property_id"`
	}
	if err := s.selectRows(ctx, s.read, op, &memberships,
		`SELECT user_id, property_id FROM user_properties WHERE user_id IN `+in+` ORDER BY property_id`, ids...); err != nil {
		return nil, err
	}
	props := map[string][]string{}
	for _, m := range memberships {
		props[m.UserID] = append(props[m.UserID], m.PropertyID)
	}

	for _, r := range rows {
		u := r.user()
		u.PasswordHash = ""
		m := methods[r.ID]
		if m == nil {
			m = []string{}
		}
		slices.Sort(m)
		p := props[r.ID]
		if p == nil {
			p = []string{}
		}
		a := store.AdminUser{UserSummary: store.UserSummary{User: u, Methods: m}, Properties: p}
		if r.ExReason != nil {
			a.Exemption = &store.Exemption{UserID: r.ID, Reason: *r.ExReason, AddedBy: deref(r.ExAddedBy),
				CreatedAt: r.ExCreatedAt.Time, Until: r.ExEndsAt.Time}
		}
		out = append(out, a)
	}
	return out, nil
}

// escapeLike escapes the LIKE wildcards of a search term.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
