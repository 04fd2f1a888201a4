// Package store defines the persistence contract of the identity provider.
//
// Every piece of state lives behind Store so that several nodes sharing one
// PostgreSQL database behave like one node. Implementations live in
// sub-packages (store/sqlstore for SQLite and PostgreSQL) and must pass the
// conformance suite in store/storetest.
//
// Conventions that every implementation honours:
//   - A missing row, and a row that is expired, used or revoked where the
//     method says so, is reported as ErrNotFound, never as a nil value.
//   - A zero time.Time means "not set" and is stored as NULL.
//   - Secrets never reach the store in the clear: callers pass hashes or
//     ciphertext, and the field names say which.
//   - Times are stored with millisecond precision.
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound reports a missing row, or one that no longer qualifies
	// (expired, used, revoked) for the method that looked it up.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists reports a violated uniqueness rule, such as an email
	// address that another user already has.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict reports a state change that lost to an earlier one: a
	// set-once field already set, a TOTP time step already used, an auth
	// request bound to another browser.
	ErrConflict = errors.New("store: conflict")
	// ErrReused reports a single-use credential presented a second time (an
	// authorization code or a rotated refresh token). The implementation has
	// already revoked what was issued from it when it returns this error.
	ErrReused = errors.New("store: credential reused")
)

// Store is the whole persistence layer. It is safe for concurrent use.
type Store interface {
	Users
	Invitations
	SecondFactors
	Clients
	AuthRequests
	Sessions
	Tokens
	SigningKeys
	Throttle
	Audit
	Outbox
	EmailAuth
	Admin
	WebAuthn
	Accounts
	BackchannelLogouts

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Purge deletes rows that expired before now and can no longer matter:
	// auth requests, sessions, invitations, tokens and throttle counters.
	Purge(ctx context.Context, now time.Time) error
	Close() error
}

// UserStatus is the life-cycle state of an account.
type UserStatus string

const (
	UserInvited  UserStatus = "invited"
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is an account. EmailKey is the normalised address (see
// NormalizeEmail) and is unique.
type User struct {
	ID              string
	Email           string
	EmailKey        string
	Name            string
	Locale          string
	Status          UserStatus
	PasswordHash    string // PHC string; empty while invited
	TermsAcceptedAt time.Time
	CreatedAt       time.Time
	LastSignInAt    time.Time
}

// Permission names a right an admin holds.
type Permission string

const (
	PermManageUsers   Permission = "manage_users"
	PermReset2FA      Permission = "reset_2fa"
	PermManageClients Permission = "manage_clients"
	PermViewAudit     Permission = "view_audit"
)

// AllProperties is the PropertyID of a grant that covers every property.
const AllProperties = "*"

// Grant gives a user a permission for one property or for AllProperties.
type Grant struct {
	UserID     string
	Permission Permission
	PropertyID string
}

// UserSummary is a row of the user list: the account and its 2FA state.
type UserSummary struct {
	User
	Methods []string // "totp", "email", "webauthn"; sorted
}

// Users stores accounts.
type Users interface {
	// CreateUser inserts u. It returns ErrAlreadyExists when u.EmailKey or
	// u.ID is taken.
	CreateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByEmailKey(ctx context.Context, emailKey string) (User, error)
	// ListUsers returns every user with their active 2FA methods, ordered by
	// email key.
	ListUsers(ctx context.Context) ([]UserSummary, error)
	CountUsers(ctx context.Context) (int, error)
	// SetPasswordHash replaces the password hash, for example to upgrade its
	// parameters after a successful sign-in, and queues notice (nil for
	// none) in the same transaction. It returns ErrNotFound, and queues
	// nothing, for an unknown user.
	SetPasswordHash(ctx context.Context, userID, hash string, notice *OutboundEmail) error
	// RecordSignIn sets the user's last sign-in time.
	RecordSignIn(ctx context.Context, userID string, at time.Time) error
	// Grants returns the user's permissions.
	Grants(ctx context.Context, userID string) ([]Grant, error)
}

// Invitation is a single-use sign-in token sent to a new user. Only the
// token's hash is stored.
type Invitation struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Invitations stores invitation tokens.
type Invitations interface {
	// InviteUser creates u with status UserInvited, its grants and the
	// invitation in one transaction. It returns ErrAlreadyExists, changing
	// nothing, when the email key is taken.
	InviteUser(ctx context.Context, u User, grants []Grant, inv Invitation) error
	// ReplaceInvitation stores inv and voids every other unused invitation
	// of the same user, in one transaction.
	ReplaceInvitation(ctx context.Context, inv Invitation) error
	// InvitationByHash returns an invitation that is unused and not expired
	// at now, or ErrNotFound.
	InvitationByHash(ctx context.Context, tokenHash string, now time.Time) (Invitation, error)
	// AcceptInvitation consumes the invitation atomically and activates its
	// user with the password hash and the terms acceptance time now. It
	// returns ErrNotFound, changing nothing, when the invitation is unknown,
	// used, voided or expired, or the user is not in status UserInvited.
	AcceptInvitation(ctx context.Context, tokenHash, passwordHash string, now time.Time) (User, error)
}

// TOTPCredential is a user's authenticator-app secret. A credential with a
// zero ConfirmedAt is an enrolment in progress and does not count as a
// method.
type TOTPCredential struct {
	UserID          string
	SecretEncrypted []byte // AES-GCM under the master key
	CreatedAt       time.Time
	ConfirmedAt     time.Time
	LastStep        int64 // highest accepted time step; codes at or below it are replays
}

// SecondFactors stores TOTP secrets and recovery codes.
type SecondFactors interface {
	// SaveTOTPEnrolment stores an unconfirmed credential, replacing any
	// earlier unconfirmed one. It returns ErrConflict when the user already
	// has a confirmed credential.
	SaveTOTPEnrolment(ctx context.Context, c TOTPCredential) error
	// TOTPByUser returns the user's credential, confirmed or not.
	TOTPByUser(ctx context.Context, userID string) (TOTPCredential, error)
	// ConfirmTOTP confirms the pending credential, records step as used,
	// replaces the user's recovery codes with codeHashes and queues notice
	// (unless nil), in one transaction. It returns ErrNotFound without a
	// pending credential.
	ConfirmTOTP(ctx context.Context, userID string, step int64, codeHashes []string, now time.Time, notice *OutboundEmail) error
	// UseTOTPStep records step as used if it is above the last used one,
	// atomically. It returns ErrConflict for a replayed or older step and
	// ErrNotFound without a confirmed credential.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// UseRecoveryCode marks one unused recovery code of the user as used
	// and queues notice (unless nil), in one transaction. It returns
	// ErrNotFound, queuing nothing, when no unused code has that hash.
	UseRecoveryCode(ctx context.Context, userID, codeHash string, now time.Time, notice *OutboundEmail) error
	// CountRecoveryCodes returns how many unused recovery codes the user has.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
	// Methods returns the user's active 2FA methods, sorted.
	Methods(ctx context.Context, userID string) ([]string, error)
}

// Application types of a client, as OpenID Connect Dynamic Client
// Registration names them.
const (
	AppTypeWeb    = "web"
	AppTypeNative = "native"
)

// Client is a registered relying party. A public client has no secret.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             string // SHA-256 of the generated secret, hex; empty for public clients
	ApplicationType        string // AppTypeWeb or AppTypeNative
	AuthMethod             string // "client_secret_basic", "client_secret_post" or "none"
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	PostLockRedirectURIs   []string
	BackchannelLogoutURI   string
	CreatedAt              time.Time
}

// Public reports whether the client authenticates with PKCE alone.
func (c Client) Public() bool { return c.AuthMethod == "none" }

// Clients stores relying parties.
type Clients interface {
	// CreateClient returns ErrAlreadyExists when the ID is taken.
	CreateClient(ctx context.Context, c Client) error
	ClientByID(ctx context.Context, id string) (Client, error)
	// ListClients returns every client ordered by name, then ID.
	ListClients(ctx context.Context) ([]Client, error)
	// DeleteClient deletes the client and revokes its tokens. It returns
	// ErrNotFound for an unknown ID.
	DeleteClient(ctx context.Context, id string) error
}

// AuthRequest is an OpenID Connect authorization request between
// /authorize and the token endpoint. Its ID appears in URLs and is a random
// 128-bit value.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int64 // seconds; nil when absent
	ACRValues           []string
	ACREssential        []string // values of an essential acr claim (claims parameter); one must be reached
	UILocales           []string
	LoginHint           string
	HintSubject         string // sub of a verified id_token_hint
	CreatedAt           time.Time
	ExpiresAt           time.Time

	// BrowserHash binds the request to the browser that first opened the
	// sign-in page; every later step and the callback check it.
	BrowserHash string

	// Set by CompleteAuthRequest.
	Subject   string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	SessionID string
	DoneAt    time.Time

	CodeUsedAt time.Time
}

// Completion is what the hosted login found out about the user.
type Completion struct {
	Subject   string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	SessionID string
}

// AuthRequests stores authorization requests and their codes.
type AuthRequests interface {
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// AuthRequestByID returns the request, or ErrNotFound when it is
	// missing or expired at now.
	AuthRequestByID(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// BindAuthRequest sets the browser binding once. Binding again with the
	// same hash succeeds; another hash gets ErrConflict.
	BindAuthRequest(ctx context.Context, id, browserHash string) error
	// CompleteAuthRequest marks the request done for browserHash. It returns
	// ErrNotFound when the request is missing or expired, and ErrConflict
	// when it is bound to another browser or a code was already issued.
	CompleteAuthRequest(ctx context.Context, id, browserHash string, c Completion, now time.Time) error
	// SaveAuthCode stores the code's hash once for a done request. A second
	// call returns ErrConflict, so reloading the callback mints no new code.
	SaveAuthCode(ctx context.Context, id, codeHash string, expiresAt time.Time) error
	// RedeemAuthCode consumes the code atomically and returns its request.
	// A code presented again returns ErrReused after revoking every token
	// issued from the request; an unknown or expired code returns
	// ErrNotFound.
	RedeemAuthCode(ctx context.Context, codeHash string, now time.Time) (AuthRequest, error)
	// AuthRequestByCodeHash returns the request that holds the code
	// without changing anything, so that a token request can be checked
	// before RedeemAuthCode consumes the code. It finds what RedeemAuthCode
	// would redeem or report as reused: an unused code that has not expired
	// at now, or a used one (CodeUsedAt is set). Otherwise it returns
	// ErrNotFound.
	AuthRequestByCodeHash(ctx context.Context, codeHash string, now time.Time) (AuthRequest, error)
	// DeleteAuthRequest deletes a request that has no code. A request with a
	// code stays until it expires, so a replayed code is still detected.
	// Deleting a missing request succeeds.
	DeleteAuthRequest(ctx context.Context, id string) error
}

// Session is a browser's sign-in at the provider (single sign-on). ID is
// the public session id (the sid claim); TokenHash is the hash of the
// secret in the browser's cookie and changes after every factor.
type Session struct {
	ID             string
	TokenHash      string
	UserID         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	AuthTime       time.Time // time of the last interactive factor
	AMR            []string
	ACR            string
	Complete       bool      // every required factor passed
	SecondFactorAt time.Time // last second factor
	LockedAt       time.Time
	RevokedAt      time.Time
	UserAgent      string
	ClientIP       string
}

// Sessions stores browser sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	// SessionByTokenHash returns a session that is not revoked and not
	// expired at now, or ErrNotFound.
	SessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	// UpdateSession writes every mutable field of s (token hash, times, amr,
	// acr, complete, lock) where the session is not revoked. It returns
	// ErrNotFound when no such session exists.
	UpdateSession(ctx context.Context, s Session) error
	// RevokeSession ends one session; revoking a revoked one succeeds.
	RevokeSession(ctx context.Context, id string, now time.Time) error
	// RevokeUserSessions ends every session and refresh token of the user.
	RevokeUserSessions(ctx context.Context, userID string, now time.Time) error
}

// AccessToken is an opaque access token; the client receives the ID
// encrypted by the provider library.
type AccessToken struct {
	ID             string
	ClientID       string
	Subject        string
	Audience       []string
	Scopes         []string
	AMR            []string
	ACR            string
	AuthTime       time.Time
	SessionID      string
	AuthRequestID  string
	RefreshTokenID string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      time.Time
}

// RefreshToken is a rotating refresh token. Tokens rotated from one another
// share a FamilyID, and Scopes, AMR, ACR, AuthTime and SessionID are copied
// from the original grant on every rotation.
type RefreshToken struct {
	ID            string
	TokenHash     string
	FamilyID      string
	ClientID      string
	Subject       string
	Audience      []string
	Scopes        []string
	AMR           []string
	ACR           string
	AuthTime      time.Time
	SessionID     string
	AuthRequestID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time
	RevokedAt     time.Time
}

// Tokens stores access and refresh tokens.
type Tokens interface {
	// CreateTokens stores an access token and, when rt is not nil, a
	// refresh token, in one transaction.
	CreateTokens(ctx context.Context, at AccessToken, rt *RefreshToken) error
	// AccessTokenByID returns the token whether or not it is revoked or
	// expired; the caller checks.
	AccessTokenByID(ctx context.Context, id string) (AccessToken, error)
	// RefreshTokenByHash returns the token whether or not it is used,
	// revoked or expired; the caller checks.
	RefreshTokenByHash(ctx context.Context, tokenHash string) (RefreshToken, error)
	RefreshTokenByID(ctx context.Context, id string) (RefreshToken, error)
	// RotateRefreshToken marks the token with oldHash used and stores at and
	// next, in one transaction. When the old token was already used it
	// revokes the whole family and returns ErrReused; when it is revoked,
	// expired or unknown it returns ErrNotFound.
	RotateRefreshToken(ctx context.Context, oldHash string, at AccessToken, next RefreshToken, now time.Time) error
	// RevokeRefreshFamily revokes every refresh token of the family and the
	// access tokens issued with them.
	RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error
	// RevokeAccessToken revokes one access token; an unknown ID succeeds.
	RevokeAccessToken(ctx context.Context, id string, now time.Time) error
	// RevokeSessionTokens revokes every token issued under the session id.
	RevokeSessionTokens(ctx context.Context, sessionID string, now time.Time) error
}

// SigningKey is a key the provider signs tokens with. The private key is
// encrypted under the master key; PublicJWK is the JSON Web Key of the
// public half.
type SigningKey struct {
	ID               string
	Algorithm        string // "RS256", "ES256"
	PrivateEncrypted []byte
	PublicJWK        []byte
	CreatedAt        time.Time
	ActiveFrom       time.Time // signs from this time on
	RetiredAt        time.Time // stops signing; zero while current
	ExpiresAt        time.Time // leaves the key set; zero while published
}

// SigningKeys stores signing keys.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// SigningKeys returns every key not expired at now, newest first.
	SigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
	// RetireSigningKey sets the retirement and expiry times of a key.
	RetireSigningKey(ctx context.Context, id string, retiredAt, expiresAt time.Time) error
}

// ThrottleRule says how failed attempts against one key are limited.
// After Free failures in a row, each attempt must wait Delay doubled for
// every failure beyond Free, up to Lock; from LockAfter failures on, the key
// is locked for Lock after each failure. A key with Window set counts only
// the failures of the current window instead, and is blocked for the rest
// of the window once it reaches Free failures.
type ThrottleRule struct {
	Free      int
	Delay     time.Duration
	LockAfter int
	Lock      time.Duration
	Window    time.Duration
}

// Throttle counts attempts at guessable steps, shared by every node.
type Throttle interface {
	// TakeAttempt atomically checks key against rule and, when allowed,
	// counts the attempt as a failure in advance, so concurrent guesses are
	// all counted. It returns allowed=false, changing nothing, while the key
	// is blocked, with the time the block ends.
	TakeAttempt(ctx context.Context, key string, rule ThrottleRule, now time.Time) (allowed bool, retryAt time.Time, err error)
	// ForgiveAttempt undoes one attempt counted by TakeAttempt after it
	// succeeded. With reset, the key's failures are cleared entirely (an
	// account that signed in); without it one failure is taken back (a
	// client address).
	ForgiveAttempt(ctx context.Context, key string, reset bool) error
}

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID       int64
	Time     time.Time
	Event    string
	ActorID  string
	UserID   string
	ClientID string
	IP       string
	Detail   map[string]string
}

// AuditFilter selects audit events; empty fields match everything.
type AuditFilter struct {
	UserID string
	Event  string
	Since  time.Time
	Limit  int // 0 means 1000
}

// Audit stores the audit log.
type Audit interface {
	AddAuditEvent(ctx context.Context, e AuditEvent) error
	// AuditEvents returns matching events, newest first.
	AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}
