package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hotelsoft/idp/store"
)

// CreateProperty inserts p; a taken ID is store.ErrAlreadyExists.
func (s *Store) CreateProperty(ctx context.Context, p store.Property) error {
	if p.ID == "" || p.ID == store.AllProperties || strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("create property: ID and name are required, and the ID may not be %q", store.AllProperties)
	}
	_, err := s.exec(ctx, s.write, "create property", `INSERT INTO properties (id, name, created_at) VALUES (?, ?, ?)`,
		p.ID, p.Name, msOrNull(p.CreatedAt))
	return err
}

type propertyRow struct {
	ID        string `db:"id"`
	Name      string `db:"name"`
	CreatedAt millis `db:"created_at"`
}

// ListProperties returns every property ordered by name, then ID.
func (s *Store) ListProperties(ctx context.Context) ([]store.Property, error) {
	var rows []propertyRow
	if err := s.selectRows(ctx, s.read, "list properties", &rows,
		`SELECT id, name, created_at FROM properties ORDER BY name, id`); err != nil {
		return nil, err
	}
	out := make([]store.Property, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.Property{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.Time})
	}
	return out, nil
}

// AddUserProperty makes the user a member of the property.
func (s *Store) AddUserProperty(ctx context.Context, userID, propertyID string) error {
	const op = "add user property"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM users WHERE id = ?`, userID); err != nil {
			return err
		}
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM properties WHERE id = ?`, propertyID); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, op, `INSERT INTO user_properties (user_id, property_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, userID, propertyID)
		return err
	})
}

// requireRow returns store.ErrNotFound when the counting query counts no
// row.
func (s *Store) requireRow(ctx context.Context, q sqlx.QueryerContext, op, query string, args ...any) error {
	var n int
	if err := s.get(ctx, q, op, &n, query, args...); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// UserProperties returns the IDs of the user's properties, sorted.
func (s *Store) UserProperties(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	err := s.selectRows(ctx, s.read, "list user properties", &ids,
		`SELECT property_id FROM user_properties WHERE user_id = ? ORDER BY property_id`, userID)
	return ids, err
}

// AddGrant gives a user a permission; granting it again succeeds.
func (s *Store) AddGrant(ctx context.Context, g store.Grant) error {
	const op = "add grant"
	if g.Permission == "" || g.PropertyID == "" {
		return fmt.Errorf("%s: permission and property are required", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM users WHERE id = ?`, g.UserID); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, op, `INSERT INTO grants (user_id, permission, property_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, g.UserID, string(g.Permission), g.PropertyID)
		return err
	})
}

// RevokeGrant deletes one grant of the user.
func (s *Store) RevokeGrant(ctx context.Context, userID string, perm store.Permission, propertyID string) error {
	return s.deleteOne(ctx, "revoke grant", `DELETE FROM grants WHERE user_id = ? AND permission = ? AND property_id = ?`,
		userID, string(perm), propertyID)
}

// RemoveMember deletes the user's membership of the property.
func (s *Store) RemoveMember(ctx context.Context, userID, propertyID string) error {
	return s.deleteOne(ctx, "remove member", `DELETE FROM user_properties WHERE user_id = ? AND property_id = ?`,
		userID, propertyID)
}

// deleteOne runs a DELETE and returns store.ErrNotFound when it matched no
// row.
func (s *Store) deleteOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.exec(ctx, s.write, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// SetUserStatus changes the user's status; disabling ends every session
// and token of the user in the same transaction.
func (s *Store) SetUserStatus(ctx context.Context, userID string, status store.UserStatus, now time.Time) error {
	const op = "set user status"
	switch status {
	case store.UserInvited, store.UserActive, store.UserDisabled:
	default:
		return fmt.Errorf("%s: unknown status %q", op, status)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `UPDATE users SET status = ? WHERE id = ?`, string(status), userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		if status == store.UserDisabled {
			return s.revokeUserTx(ctx, tx, op, userID, now)
		}
		return nil
	})
}

// SetUserLocale changes the user's language.
func (s *Store) SetUserLocale(ctx context.Context, userID, locale string) error {
	return s.updateOne(ctx, "set user locale", `UPDATE users SET locale = ? WHERE id = ?`, locale, userID)
}

// secondFactorTables hold a user's 2FA methods and recovery codes, keyed
// by user_id. Reset2FA clears each of them that exists, so a method table
// added by a later migration only needs its name here.
var secondFactorTables = []string{
	"totp_credentials", "recovery_codes", "email_methods", "email_challenges",
	"webauthn_credentials",
}

// Reset2FA removes every 2FA method and recovery code of the user, ends
// their sessions and tokens and queues notice, in one transaction.
func (s *Store) Reset2FA(ctx context.Context, userID string, now time.Time, notice *store.OutboundEmail) error {
	const op = "reset 2FA"
	tables, err := s.existingTables(ctx, secondFactorTables)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM users WHERE id = ?`, userID); err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := s.exec(ctx, tx, op, `DELETE FROM `+t+` WHERE user_id = ?`, userID); err != nil {
				return err
			}
		}
		if err := s.revokeUserTx(ctx, tx, op, userID, now); err != nil {
			return err
		}
		return s.insertOptionalEmail(ctx, tx, op, notice)
	})
}

// existingTables returns the names among candidates that are tables of
// the database.
func (s *Store) existingTables(ctx context.Context, candidates []string) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if s.dialect == DialectPostgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var names []string
	if err := s.selectRows(ctx, s.read, "list tables", &names, query); err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	var out []string
	for _, c := range candidates {
		if have[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// revokeUserTx ends every session and token of the user inside tx.
func (s *Store) revokeUserTx(ctx context.Context, tx *sqlx.Tx, op, userID string, now time.Time) error {
	for _, q := range []string{
		`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
		`UPDATE refresh_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
		`UPDATE access_tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
	} {
		if _, err := s.exec(ctx, tx, op, q, now.UnixMilli(), userID); err != nil {
			return err
		}
	}
	return nil
}

type exemptionRow struct {
	UserID    string `db:"user_id"`
	Reason    string `db:"reason"`
	AddedBy   string `db:"added_by"`
	CreatedAt millis `db:"created_at"`
	EndsAt    millis `db:"ends_at"`
}

func (r exemptionRow) exemption() store.Exemption {
	return store.Exemption{UserID: r.UserID, Reason: r.Reason, AddedBy: r.AddedBy, CreatedAt: r.CreatedAt.Time, Until: r.EndsAt.Time}
}

// SetExemption adds or replaces the user's exception-list entry.
func (s *Store) SetExemption(ctx context.Context, e store.Exemption) error {
	const op = "set exemption"
	if strings.TrimSpace(e.Reason) == "" || e.CreatedAt.IsZero() {
		return fmt.Errorf("%s: reason and creation time are required", op)
	}
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM users WHERE id = ?`, e.UserID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, op, `DELETE FROM exemptions WHERE user_id = ?`, e.UserID); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, op, `INSERT INTO exemptions (user_id, reason, added_by, created_at, ends_at)
			VALUES (?, ?, ?, ?, ?)`, e.UserID, e.Reason, e.AddedBy, e.CreatedAt.UnixMilli(), msOrNull(e.Until))
		return err
	})
}

const exemptionColumns = `user_id, reason, added_by, created_at, ends_at`

// Exemption returns the user's entry when it applies at now.
func (s *Store) Exemption(ctx context.Context, userID string, now time.Time) (store.Exemption, error) {
	var r exemptionRow
	err := s.get(ctx, s.read, "get exemption", &r, `SELECT `+exemptionColumns+` FROM exemptions
		WHERE user_id = ? AND (ends_at IS NULL OR ends_at > ?)`, userID, now.UnixMilli())
	return r.exemption(), err
}

// RemoveExemption deletes the user's entry and ends their sessions and
// tokens.
func (s *Store) RemoveExemption(ctx context.Context, userID string, now time.Time) error {
	const op = "remove exemption"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		n, err := s.exec(ctx, tx, op, `DELETE FROM exemptions WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
		return s.revokeUserTx(ctx, tx, op, userID, now)
	})
}

// LapseExemptions deletes the entries that ended at or before now and ends
// the sessions and tokens of their users.
func (s *Store) LapseExemptions(ctx context.Context, now time.Time) ([]string, error) {
	const op = "lapse exemptions"
	var lapsed []string
	err := s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		lapsed = nil
		if err := s.selectRows(ctx, tx, op, &lapsed, `SELECT user_id FROM exemptions
			WHERE ends_at IS NOT NULL AND ends_at <= ? ORDER BY user_id`+s.forUpdate(), now.UnixMilli()); err != nil {
			return err
		}
		for _, id := range lapsed {
			if _, err := s.exec(ctx, tx, op, `DELETE FROM exemptions WHERE user_id = ?`, id); err != nil {
				return err
			}
			if err := s.revokeUserTx(ctx, tx, op, id, now); err != nil {
				return err
			}
		}
		return nil
	})
	return lapsed, err
}

// ListExemptions returns the entries that apply at now, oldest first.
func (s *Store) ListExemptions(ctx context.Context, now time.Time) ([]store.Exemption, error) {
	var rows []exemptionRow
	if err := s.selectRows(ctx, s.read, "list exemptions", &rows, `SELECT `+exemptionColumns+` FROM exemptions
		WHERE ends_at IS NULL OR ends_at > ? ORDER BY created_at, user_id`, now.UnixMilli()); err != nil {
		return nil, err
	}
	out := make([]store.Exemption, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.exemption())
	}
	return out, nil
}

// UpdateClient writes the name and URI lists of an existing client.
func (s *Store) UpdateClient(ctx context.Context, c store.Client) error {
	return s.updateOne(ctx, "update client", `UPDATE clients SET name = ?, redirect_uris = ?,
		post_logout_redirect_uris = ?, post_lock_redirect_uris = ?, backchannel_logout_uri = ? WHERE id = ?`,
		c.Name, list(c.RedirectURIs), list(c.PostLogoutRedirectURIs), list(c.PostLockRedirectURIs),
		c.BackchannelLogoutURI, c.ID)
}

// SetClientSecret replaces the secret hash of a confidential client.
func (s *Store) SetClientSecret(ctx context.Context, clientID, secretHash string) error {
	if secretHash == "" {
		return errors.New("set client secret: empty hash")
	}
	return s.updateOne(ctx, "set client secret", `UPDATE clients SET secret_hash = ?
		WHERE id = ? AND auth_method <> 'none'`, secretHash, clientID)
}

// SetClientGrants replaces the client's grants.
func (s *Store) SetClientGrants(ctx context.Context, clientID string, grants []store.ClientGrant) error {
	const op = "set client grants"
	return s.inTx(ctx, op, func(tx *sqlx.Tx) error {
		if err := s.requireRow(ctx, tx, op, `SELECT COUNT(*) FROM clients WHERE id = ?`, clientID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, op, `DELETE FROM client_grants WHERE client_id = ?`, clientID); err != nil {
			return err
		}
		for _, g := range grants {
			if g.Permission == "" || g.PropertyID == "" {
				return fmt.Errorf("%s: permission and property are required", op)
			}
			if _, err := s.exec(ctx, tx, op, `INSERT INTO client_grants (client_id, permission, property_id)
				VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, clientID, string(g.Permission), g.PropertyID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClientGrants returns the client's grants.
func (s *Store) ClientGrants(ctx context.Context, clientID string) ([]store.ClientGrant, error) {
	var grants []store.ClientGrant
	err := s.selectRows(ctx, s.read, "list client grants", &grants, `SELECT client_id AS clientid,
		permission, property_id AS propertyid FROM client_grants WHERE client_id = ? ORDER BY permission, property_id`, clientID)
	return grants, err
}

// UserSessions returns the user's live sessions, newest first.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	var rows []sessionRow
	if err := s.selectRows(ctx, s.read, "list user sessions", &rows, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id`,
		userID, now.UnixMilli()); err != nil {
		return nil, err
	}
	out := make([]store.Session, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.session())
	}
	return out, nil
}
