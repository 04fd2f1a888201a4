package store

import (
	"context"
	"time"
)

// Property is a hotel. Users belong to one or more properties, and an
// admin's permissions reach the users of the properties they are granted.
type Property struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Exemption puts a user on the 2FA exception list: they sign in with the
// password alone. A zero Until means the entry stays until it is removed;
// otherwise it lapses at Until.
type Exemption struct {
	UserID    string
	Reason    string
	AddedBy   string // user ID of the admin, or "" for the command line
	CreatedAt time.Time
	Until     time.Time
}

// Active reports whether the entry still applies at now.
func (e Exemption) Active(now time.Time) bool {
	return e.Until.IsZero() || now.Before(e.Until)
}

// UserFilter selects users of the admin list by their 2FA state.
type UserFilter string

const (
	FilterAll      UserFilter = ""
	FilterNo2FA    UserFilter = "no_2fa"   // active, no method, not exempt
	FilterHas2FA   UserFilter = "has_2fa"  // at least one method
	FilterInvited  UserFilter = "invited"  // invitation not accepted
	FilterExempt   UserFilter = "exempt"   // on the exception list
	FilterDisabled UserFilter = "disabled" // disabled accounts
)

// UserQuery selects one page of the admin user list.
type UserQuery struct {
	// Properties limits the list to users of these properties; nil means
	// every user, an empty non-nil slice means none.
	Properties []string
	// Search matches a part of the name or the email address, ignoring
	// case.
	Search string
	Filter UserFilter
	// After is the email key of the last row of the previous page; the
	// page starts after it (keyset paging).
	After string
	// Limit is the page size; 0 means 50, and it is capped at 500.
	Limit int
	// Now decides which exemptions still apply.
	Now time.Time
}

// AdminUser is a row of the admin user list: the account, its methods,
// its exemption when one applies, and its properties.
type AdminUser struct {
	UserSummary
	Exemption  *Exemption
	Properties []string
}

// ClientGrant gives a client a permission for one property or for
// AllProperties. A client with grants may use the client-credentials grant
// to call the admin API.
type ClientGrant struct {
	ClientID   string
	Permission Permission
	PropertyID string
}

// Admin stores what the admin console and API manage beyond the core
// contract: properties, memberships, grants, the exception list, and
// account changes made by admins.
type Admin interface {
	// CreateProperty returns ErrAlreadyExists when the ID is taken.
	CreateProperty(ctx context.Context, p Property) error
	// ListProperties returns every property ordered by name, then ID.
	ListProperties(ctx context.Context) ([]Property, error)
	// AddUserProperty makes the user a member of the property; adding an
	// existing membership succeeds. An unknown user or property is
	// ErrNotFound.
	AddUserProperty(ctx context.Context, userID, propertyID string) error
	// UserProperties returns the IDs of the user's properties, sorted.
	UserProperties(ctx context.Context, userID string) ([]string, error)
	// AddGrant gives a user a permission; granting it again succeeds. An
	// unknown user is ErrNotFound.
	AddGrant(ctx context.Context, g Grant) error
	// RevokeGrant takes the permission for the property (or AllProperties)
	// from the user; the membership stays. No such grant is ErrNotFound.
	RevokeGrant(ctx context.Context, userID string, perm Permission, propertyID string) error
	// RemoveMember ends the user's membership of the property; grants stay
	// and reach no users there until the membership returns. No such
	// membership is ErrNotFound.
	RemoveMember(ctx context.Context, userID, propertyID string) error
	// SearchUsers returns one page of the admin user list, ordered by
	// email key.
	SearchUsers(ctx context.Context, q UserQuery) ([]AdminUser, error)
	// SetUserStatus changes the status. Disabling also ends every session
	// and token of the user, in the same transaction. An unknown user is
	// ErrNotFound.
	SetUserStatus(ctx context.Context, userID string, status UserStatus, now time.Time) error
	// SetUserLocale changes the user's language.
	SetUserLocale(ctx context.Context, userID, locale string) error
	// Reset2FA removes every 2FA method and recovery code of the user,
	// ends their sessions and tokens and queues notice (unless nil), in one
	// transaction.
	Reset2FA(ctx context.Context, userID string, now time.Time, notice *OutboundEmail) error
	// SetExemption adds or replaces the user's exception-list entry. An
	// unknown user is ErrNotFound.
	SetExemption(ctx context.Context, e Exemption) error
	// Exemption returns the user's entry when it applies at now, or
	// ErrNotFound.
	Exemption(ctx context.Context, userID string, now time.Time) (Exemption, error)
	// RemoveExemption deletes the user's entry and ends their sessions and
	// tokens, in one transaction. A user without an entry is ErrNotFound.
	RemoveExemption(ctx context.Context, userID string, now time.Time) error
	// LapseExemptions deletes every entry whose Until is at or before now,
	// ends the sessions and tokens of those users, and returns their IDs.
	LapseExemptions(ctx context.Context, now time.Time) ([]string, error)
	// ListExemptions returns the entries that apply at now, oldest first.
	ListExemptions(ctx context.Context, now time.Time) ([]Exemption, error)
	// UserSessions returns the user's sessions that are neither revoked
	// nor expired at now, newest first.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// UpdateClient writes the name and URI lists of an existing client.
	// An unknown client is ErrNotFound.
	UpdateClient(ctx context.Context, c Client) error
	// SetClientSecret replaces the secret hash of a confidential client.
	SetClientSecret(ctx context.Context, clientID, secretHash string) error
	// SetClientGrants replaces the client's grants.
	SetClientGrants(ctx context.Context, clientID string, grants []ClientGrant) error
	// ClientGrants returns the client's grants, ordered by permission and
	// property.
	ClientGrants(ctx context.Context, clientID string) ([]ClientGrant, error)
}
