package sqlstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

const clientColumns = `id, name, secret_hash, application_type, auth_method, redirect_uris,
	post_logout_redirect_uris, post_lock_redirect_uris, backchannel_logout_uri, created_at`

type clientRow struct {
	ID                     string `db:"id"`
	Name                   string `db:"name"`
	SecretHash             string `db:"secret_hash"`
	ApplicationType        string `db:"application_type"`
	AuthMethod             string `db:"auth_method"`
	RedirectURIs           list   `db:"redirect_uris"`
	PostLogoutRedirectURIs list   `db:"post_logout_redirect_uris"`
	PostLockRedirectURIs   list   `db:"post_lock_redirect_uris"`
	BackchannelLogoutURI   string `db:"backchannel_logout_uri"`
	CreatedAt              millis `db:"created_at"`
}

func (r clientRow) client() store.Client {
	return store.Client{
		ID: r.ID, Name: r.Name, SecretHash: r.SecretHash, ApplicationType: r.ApplicationType, AuthMethod: r.AuthMethod,
		RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		PostLockRedirectURIs: r.PostLockRedirectURIs, BackchannelLogoutURI: r.BackchannelLogoutURI,
		CreatedAt: r.CreatedAt.Time,
	}
}

// CreateClient inserts c; a taken ID is store.ErrAlreadyExists.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	if c.ID == "" {
		return fmt.Errorf("create client: empty client ID")
	}
	return s.insert(ctx, s.write, "create client", `INSERT INTO clients (`+clientColumns+`) VALUES (:id, :name,
		:secret_hash, :application_type, :auth_method, :redirect_uris, :post_logout_redirect_uris,
		:post_lock_redirect_uris, :backchannel_logout_uri, :created_at)`, clientRow{
		ID: c.ID, Name: c.Name, SecretHash: c.SecretHash, ApplicationType: c.ApplicationType, AuthMethod: c.AuthMethod,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		PostLockRedirectURIs: c.PostLockRedirectURIs, BackchannelLogoutURI: c.BackchannelLogoutURI,
		CreatedAt: ms(c.CreatedAt),
	})
}

// ClientByID returns the client with id, or store.ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, id string) (store.Client, error) {
	var r clientRow
	err := s.get(ctx, s.read, "get client", &r, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id)
	return r.client(), err
}

// ListClients returns every client ordered by name, then ID.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	var rows []clientRow
	if err := s.selectRows(ctx, s.read, "list clients", &rows, `SELECT `+clientColumns+` FROM clients ORDER BY name, id`); err != nil {
		return nil, err
	}
	clients := make([]store.Client, 0, len(rows))
	for _, r := range rows {
		clients = append(clients, r.client())
	}
	return clients, nil
}

// DeleteClient deletes the client with its auth requests and tokens, in
// one transaction. Deleting the tokens revokes them for good: a lookup
// finds nothing, and no row can outlive the client it names.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	const op = "delete client"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `DELETE FROM clients WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		for _, table := range []string{"auth_requests", "access_tokens", "refresh_tokens"} {
			if _, err := s.exec(ctx, tx, op, `DELETE FROM `+table+` WHERE client_id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
}
