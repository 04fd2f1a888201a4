package metrics

import (
	"context"

	"github.com/hotelsoft/idp/store"
)

// AuditStore returns st with AddAuditEvent counted: each event that the
// store records is passed to m.ObserveAudit. Every other method is st's
// own.
func AuditStore(st store.Store, m *Metrics) store.Store {
	if m == nil {
		return st
	}
	return &auditStore{Store: st, m: m}
}

type auditStore struct {
	store.Store
	m *Metrics
}

func (s *auditStore) AddAuditEvent(ctx context.Context, e store.AuditEvent) error {
	if err := s.Store.AddAuditEvent(ctx, e); err != nil {
		return err
	}
	s.m.ObserveAudit(e)
	return nil
}
