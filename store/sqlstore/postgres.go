package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/hotelsoft/idp/store"
)

// openPostgres connects with lib/pq. One pool serves reads and writes,
// because PostgreSQL locks rows rather than the whole database.
func openPostgres(ctx context.Context, databaseURL string, logger *slog.Logger) (*Store, error) {
	// Parse errors of net/url quote the whole URL, password included, so
	// the URL is checked here and only the reason is reported.
	if _, err := url.Parse(databaseURL); err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("open database: invalid PostgreSQL URL: %v", err)
	}
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &Store{dialect: DialectPostgres, read: db, write: db, logger: logger}, nil
}

// classifyPostgres maps PostgreSQL constraint errors onto store sentinels.
// A foreign-key violation means the row referred to does not exist.
func classifyPostgres(err error) error {
	if pq.As(err, pqerror.UniqueViolation) != nil {
		return store.ErrAlreadyExists
	}
	if pq.As(err, pqerror.ForeignKeyViolation) != nil {
		return store.ErrNotFound
	}
	return nil
}
