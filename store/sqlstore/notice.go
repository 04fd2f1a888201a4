package sqlstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// updateOneWithNotice runs query in a transaction with the insertion of
// notice, which may be nil. It returns store.ErrNotFound, and queues
// nothing, when the query changed no row; a notice that cannot be queued
// undoes the change.
func (s *Store) updateOneWithNotice(ctx context.Context, op string, notice *store.OutboundEmail, query string, args ...any) error {
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, query, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}
