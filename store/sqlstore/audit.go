package sqlstore

import (
	"context"
	"fmt"

	"github.com/hotelsoft/idp/store"
)

// defaultAuditLimit is the number of events AuditEvents returns when the
// filter sets no limit.
const defaultAuditLimit = 1000

type auditRow struct {
	ID       int64  `db:"id"`
	Time     millis `db:"occurred_at"`
	Event    string `db:"event"`
	ActorID  string `db:"actor_id"`
	UserID   string `db:"user_id"`
	ClientID string `db:"client_id"`
	IP       string `db:"ip"`
	Detail   dict   `db:"detail"`
}

// AddAuditEvent appends e; the database assigns its ID.
func (s *Store) AddAuditEvent(ctx context.Context, e store.AuditEvent) error {
	const op = "add audit event"
	if e.Time.IsZero() || e.Event == "" {
		return fmt.Errorf("%s: time and event name are required", op)
	}
	return s.insert(ctx, s.write, op, `INSERT INTO audit_events (occurred_at, event, actor_id, user_id, client_id, ip, detail)
		VALUES (:occurred_at, :event, :actor_id, :user_id, :client_id, :ip, :detail)`, auditRow{
		Time: ms(e.Time), Event: e.Event, ActorID: e.ActorID, UserID: e.UserID, ClientID: e.ClientID, IP: e.IP, Detail: e.Detail,
	})
}

// AuditEvents returns the events that match f, newest first. Events with
// the same time come in reverse insertion order.
func (s *Store) AuditEvents(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	const op = "list audit events"
	if f.Limit < 0 {
		return nil, fmt.Errorf("%s: negative limit %d", op, f.Limit)
	}
	limit := f.Limit
	if limit == 0 {
		limit = defaultAuditLimit
	}

	query := `SELECT id, occurred_at, event, actor_id, user_id, client_id, ip, detail FROM audit_events WHERE 1 = 1`
	var args []any
	if f.UserID != "" {
		query += ` AND user_id = ?`
		args = append(args, f.UserID)
	}
	if f.Event != "" {
		query += ` AND event = ?`
		args = append(args, f.Event)
	}
	if !f.Since.IsZero() {
		query += ` AND occurred_at >= ?`
		args = append(args, f.Since.UnixMilli())
	}
	query += ` ORDER BY occurred_at DESC, id DESC LIMIT ?`
	args = append(args, limit)

	var rows []auditRow
	if err := s.selectRows(ctx, s.read, op, &rows, query, args...); err != nil {
		return nil, err
	}
	events := make([]store.AuditEvent, 0, len(rows))
	for _, r := range rows {
		events = append(events, store.AuditEvent{
			ID: r.ID, Time: r.Time.Time, Event: r.Event, ActorID: r.ActorID, UserID: r.UserID,
			ClientID: r.ClientID, IP: r.IP, Detail: r.Detail,
		})
	}
	return events, nil
}
