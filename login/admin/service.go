// Package admin serves the admin console under /admin and the admin API
// under /api/v1, and holds the operations both share with the command
// line. Those cover the user list with each user's authentication status,
// invitations, Reset 2FA, the 2FA exception list, OIDC clients and the
// audit log.
//
// Every operation takes an Actor and checks its permissions against the
// properties of the user it touches. A user outside the actor's
// properties is reported as ErrNotFound, exactly like a user that does
// not exist, so an admin learns nothing about other hotels' staff. Every
// change writes an audit event naming the actor.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

var (
	// ErrNotFound reports a user, client or page that does not exist or
	// that the actor may not see.
	ErrNotFound = errors.New("admin: not found")
	// ErrSelf reports an action an admin may not take on their own
	// account, such as changing their own exception status.
	ErrSelf = errors.New("admin: not allowed on your own account")
)

// InputError is a request the service refuses as invalid. MessageID is
// the catalogue message for the console; Detail is the English
// explanation for the API and the command line.
type InputError struct {
	MessageID string
	Detail    string
}

func (e *InputError) Error() string { return "admin: " + e.Detail }

func invalid(messageID, format string, args ...any) error {
	return &InputError{MessageID: messageID, Detail: fmt.Sprintf(format, args...)}
}

// Service performs admin operations. Build it with NewService.
type Service struct {
	st     store.Store
	issuer string
	mail   *mail.Composer
	wake   func()
	logger *slog.Logger
	now    func() time.Time
}

// Config configures a Service. Store and Issuer are required.
type Config struct {
	Store store.Store
	// Issuer is the absolute base URL of invitation links.
	Issuer string
	// Mail composes the welcome and notification emails; nil sends none,
	// and the console and API then hand out invitation links instead.
	Mail *mail.Composer
	// MailQueued is called after an email was queued, to deliver it
	// promptly; nil does nothing.
	MailQueued func()
	Logger     *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	s := &Service{st: cfg.Store, issuer: cfg.Issuer, mail: cfg.Mail, wake: cfg.MailQueued, logger: cfg.Logger, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.wake == nil {
		s.wake = func() {}
	}
	return s
}

// SendsEmail reports whether the service emails invitations, so that
// their links need not be shown.
func (s *Service) SendsEmail() bool { return s.mail != nil }

// Audit events of admin actions.
const (
	EventUserInvited       = "admin.user_invited"
	EventInvitationResent  = "admin.invitation_resent"
	EventReset2FA          = "admin.2fa_reset"
	EventExemptionAdded    = "admin.exemption_added"
	EventExemptionRemoved  = "admin.exemption_removed"
	EventExemptionLapsed   = "exemption.lapsed"
	EventUserDisabled      = "admin.user_disabled"
	EventUserEnabled       = "admin.user_enabled"
	EventSessionsEnded     = "admin.sessions_ended"
	EventLocaleChanged     = "admin.locale_changed"
	EventGrantAdded        = "admin.grant_added"
	EventUserImported      = "admin.user_imported"
	EventClientCreated     = "admin.client_created"
	EventClientUpdated     = "admin.client_updated"
	EventClientSecretReset = "admin.client_secret_rotated"
	EventClientDeleted     = "admin.client_deleted"
	EventClientGranted     = "admin.client_granted"
	EventPropertyCreated   = "admin.property_created"
	EventMemberAdded       = "admin.member_added"
	EventGrantRevoked      = "admin.grant_revoked"
	EventMemberRemoved     = "admin.member_removed"
	EventReauthFailed      = "admin.reauth_failed"
)

// audit records an admin action. The action has already happened, so a
// failure to record it is logged and not returned.
func (s *Service) audit(ctx context.Context, a Actor, event, userID, clientID string, detail map[string]string) {
	if detail == nil {
		detail = map[string]string{}
	}
	detail["via"] = a.via()
	e := store.AuditEvent{
		Time: s.now(), Event: event, ActorID: a.actorID(), UserID: userID,
		ClientID: clientID, IP: a.IP, Detail: detail,
	}
	if a.ClientID != "" && clientID == "" {
		e.ClientID = a.ClientID
	}
	if err := s.st.AddAuditEvent(ctx, e); err != nil {
		s.logger.ErrorContext(ctx, "record audit event", "event", event, "user_id", userID, "err", err)
	}
}

// target loads a user the actor may act on with one of perms, or returns
// ErrNotFound.
func (s *Service) target(ctx context.Context, a Actor, userID string, perms ...store.Permission) (store.User, []string, error) {
	if userID == "" || len(userID) > 128 {
		return store.User{}, nil, ErrNotFound
	}
	u, err := s.st.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, nil, ErrNotFound
	}
	if err != nil {
		return store.User{}, nil, err
	}
	props, err := s.st.UserProperties(ctx, userID)
	if err != nil {
		return store.User{}, nil, err
	}
	for _, p := range perms {
		if a.covers(p, props) {
			return u, props, nil
		}
	}
	return store.User{}, nil, ErrNotFound
}

// UserByEmail returns the ID of the user with the address email when the
// actor may see them, or ErrNotFound.
func (s *Service) UserByEmail(ctx context.Context, a Actor, email string) (string, error) {
	u, err := s.st.UserByEmailKey(ctx, store.NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if _, _, err := s.target(ctx, a, u.ID, store.PermManageUsers, store.PermReset2FA); err != nil {
		return "", err
	}
	return u.ID, nil
}

// asInput reports whether err is an *InputError and sets *target.
func asInput(err error, target **InputError) bool { return errors.As(err, target) }

// actOn is target for an action that changes the user: beyond seeing the
// user, the actor must hold every grant of the user with at least the
// same scope, so that no admin can weaken the sign-in of a more powerful
// one. A user the actor may not act on is ErrNotFound, like one it does
// not see.
func (s *Service) actOn(ctx context.Context, a Actor, userID string, perms ...store.Permission) (store.User, []string, error) {
	u, props, _, err := s.actOnGrants(ctx, a, userID, perms...)
	return u, props, err
}

// actOnGrants is actOn that also returns the user's grants.
func (s *Service) actOnGrants(ctx context.Context, a Actor, userID string, perms ...store.Permission) (store.User, []string, []store.Grant, error) {
	u, props, err := s.target(ctx, a, userID, perms...)
	if err != nil {
		return store.User{}, nil, nil, err
	}
	grants, err := s.st.Grants(ctx, userID)
	if err != nil {
		return store.User{}, nil, nil, err
	}
	if !a.contains(grants) {
		return store.User{}, nil, nil, ErrNotFound
	}
	return u, props, grants, nil
}
