package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

// Authentication states of a user, as the Authentication column shows
// them.
const (
	AuthInvited  = "invited"
	AuthExempt   = "exempt"
	AuthNone     = "none"
	AuthTOTP     = "totp"
	AuthEmail    = "email"
	AuthWebAuthn = "webauthn"
	AuthSeveral  = "several"
)

// AuthStatus returns the authentication state of u: invited until the
// invitation is accepted, then exempt while on the exception list, else
// its one method, several, or none.
func AuthStatus(u store.AdminUser) string {
	switch {
	case u.Status == store.UserInvited:
		return AuthInvited
	case u.Exemption != nil:
		return AuthExempt
	case len(u.Methods) == 0:
		return AuthNone
	case len(u.Methods) > 1:
		return AuthSeveral
	}
	return u.Methods[0]
}

// Filters the user list accepts, by their names in URLs and the API.
var Filters = []store.UserFilter{
	store.FilterAll, store.FilterNo2FA, store.FilterHas2FA, store.FilterInvited,
	store.FilterExempt, store.FilterDisabled,
}

// maxSearch bounds a search term.
const maxSearch = 200

// ListUsers returns one page of the users the actor can access: those of
// the properties where the actor has manage_users or reset_2fa.
func (s *Service) ListUsers(ctx context.Context, a Actor, q store.UserQuery) ([]store.AdminUser, error) {
	if !a.Has(store.PermManageUsers) && !a.Has(store.PermReset2FA) {
		return nil, ErrNotFound
	}
	valid := false
	for _, f := range Filters {
		valid = valid || f == q.Filter
	}
	if !valid {
		return nil, invalid("AdminErrorFilter", "unknown filter %q", q.Filter)
	}
	if len(q.Search) > maxSearch || len(q.After) > 400 {
		return nil, invalid("AdminErrorSearch", "search term or cursor too long")
	}
	q.Properties = a.visibleProperties()
	q.Now = s.now()
	users, err := s.st.SearchUsers(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range users {
		users[i].Properties = keepProperties(users[i].Properties, q.Properties)
	}
	return users, nil
}

// UserDetail is a user with their sessions and grants, for the user page.
// Properties and Grants contain only those of the properties whose users
// the actor can access.
type UserDetail struct {
	store.AdminUser
	Sessions []store.Session
	Grants   []store.Grant
	// OtherGrants is true when the user holds grants for properties the
	// actor does not see; the actor then cannot change the user's grants.
	OtherGrants bool
}

// User returns the user with id when the actor can access them.
func (s *Service) User(ctx context.Context, a Actor, id string) (UserDetail, error) {
	u, props, err := s.target(ctx, a, id, store.PermManageUsers, store.PermReset2FA)
	if err != nil {
		return UserDetail{}, err
	}
	methods, err := s.st.Methods(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	d := UserDetail{AdminUser: store.AdminUser{UserSummary: store.UserSummary{User: u, Methods: methods}, Properties: props}}
	d.PasswordHash = ""
	if e, err := s.st.Exemption(ctx, id, s.now()); err == nil {
		d.Exemption = &e
	} else if !errors.Is(err, store.ErrNotFound) {
		return UserDetail{}, err
	}
	if d.Sessions, err = s.st.UserSessions(ctx, id, s.now()); err != nil {
		return UserDetail{}, err
	}
	grants, err := s.st.Grants(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	visible := a.visibleProperties()
	d.Grants, d.OtherGrants = keepGrants(grants, visible)
	d.Properties = keepProperties(d.Properties, visible)
	return d, nil
}

// Invitation is a request to invite a new user.
type Invitation struct {
	Email      string
	Name       string
	Locale     string
	PropertyID string // required unless the actor holds manage_users everywhere
}

// Invite creates an invited user in the property and sends the welcome
// email. Without a Mailer it returns the invitation link instead, for the
// caller to hand over. An address that already has an account is an
// *InputError.
func (s *Service) Invite(ctx context.Context, a Actor, inv Invitation) (userID, link string, err error) {
	if !a.Has(store.PermManageUsers) {
		return "", "", ErrNotFound
	}
	inv.PropertyID = strings.TrimSpace(inv.PropertyID)
	if inv.PropertyID == "" && !a.HasAll(store.PermManageUsers) {
		return "", "", invalid("AdminErrorProperty", "property is required")
	}
	if inv.PropertyID != "" && !a.coversProperty(store.PermManageUsers, inv.PropertyID) {
		return "", "", invalid("AdminErrorProperty", "unknown property %q", inv.PropertyID)
	}
	if !validLocale(inv.Locale) {
		return "", "", invalid("AdminErrorLocale", "unsupported language %q", inv.Locale)
	}
	if inv.PropertyID != "" {
		if err := s.checkProperty(ctx, inv.PropertyID); err != nil {
			return "", "", err
		}
	}
	email, name := strings.TrimSpace(inv.Email), strings.TrimSpace(inv.Name)
	if at := strings.LastIndex(email, "@"); at < 1 || at == len(email)-1 || len(email) > 320 || strings.ContainsAny(email, " \t\r\n<>") {
		return "", "", invalid("AdminErrorEmail", "%q is not an email address", inv.Email)
	}
	if name == "" || len(name) > 200 {
		return "", "", invalid("AdminErrorName", "a name of at most 200 characters is required")
	}
	invite := login.Invite{Email: email, Name: name, Locale: inv.Locale}
	if s.mail != nil {
		userID, link, err = login.InviteUserWithEmail(ctx, s.st, s.mail, s.issuer, invite, s.now())
	} else {
		userID, link, err = login.InviteUser(ctx, s.st, s.issuer, invite, s.now())
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", "", invalid("AdminErrorEmailTaken", "%s already has an account", email)
	}
	if err != nil {
		return "", "", err
	}
	if inv.PropertyID != "" {
		if err := s.st.AddUserProperty(ctx, userID, inv.PropertyID); err != nil {
			return "", "", err
		}
	}
	s.audit(ctx, a, EventUserInvited, userID, "", map[string]string{"property": inv.PropertyID, "emailed": fmt.Sprint(s.mail != nil)})
	s.wake()
	return userID, link, nil
}

// checkProperty returns an *InputError for a property that does not
// exist.
func (s *Service) checkProperty(ctx context.Context, id string) error {
	props, err := s.st.ListProperties(ctx)
	if err != nil {
		return err
	}
	for _, p := range props {
		if p.ID == id {
			return nil
		}
	}
	return invalid("AdminErrorProperty", "unknown property %q", id)
}

// ResendInvitation voids the user's invitation and sends a new one.
func (s *Service) ResendInvitation(ctx context.Context, a Actor, userID string) (link string, err error) {
	u, _, err := s.actOn(ctx, a, userID, store.PermManageUsers)
	if err != nil {
		return "", err
	}
	if u.Status != store.UserInvited {
		return "", invalid("AdminErrorNotInvited", "the user has already accepted the invitation")
	}
	if s.mail != nil {
		link, err = login.ReissueInvitationWithEmail(ctx, s.st, s.mail, s.issuer, userID, s.now())
	} else {
		link, err = login.ReissueInvitation(ctx, s.st, s.issuer, userID, s.now())
	}
	if err != nil {
		return "", err
	}
	s.audit(ctx, a, EventInvitationResent, userID, "", nil)
	s.wake()
	return link, nil
}

// Reset2FA removes every method and recovery code of the user, ends their
// sessions and tokens, and emails them. They activate a method at their
// next sign-in.
func (s *Service) Reset2FA(ctx context.Context, a Actor, userID string) error {
	u, _, err := s.actOn(ctx, a, userID, store.PermReset2FA)
	if err != nil {
		return err
	}
	var notice *store.OutboundEmail
	if s.mail != nil {
		e, err := s.mail.Notification(u, language.English, mail.EventTwoFactorReset, "")
		if err != nil {
			return fmt.Errorf("reset 2FA: %w", err)
		}
		notice = &e
	}
	if err := s.st.Reset2FA(ctx, userID, s.now(), notice); err != nil {
		return err
	}
	s.audit(ctx, a, EventReset2FA, userID, "", map[string]string{"emailed": fmt.Sprint(notice != nil)})
	s.wake()
	return nil
}

// maxReason bounds the reason of an exemption.
const maxReason = 500

// Exempt puts the user on the exception list until until (zero: until
// removed). An admin cannot change their own exception status.
func (s *Service) Exempt(ctx context.Context, a Actor, userID, reason string, until time.Time) error {
	_, _, err := s.actOn(ctx, a, userID, store.PermReset2FA)
	if err != nil {
		return err
	}
	if a.UserID != "" && a.UserID == userID {
		return ErrSelf
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxReason {
		return invalid("AdminErrorReason", "a reason of at most %d characters is required", maxReason)
	}
	now := s.now()
	if !until.IsZero() && !until.After(now) {
		return invalid("AdminErrorUntil", "the end date must be in the future")
	}
	e := store.Exemption{UserID: userID, Reason: reason, AddedBy: a.UserID, CreatedAt: now, Until: until}
	if err := s.st.SetExemption(ctx, e); err != nil {
		return err
	}
	detail := map[string]string{"reason": reason}
	if !until.IsZero() {
		detail["until"] = until.UTC().Format(time.RFC3339)
	}
	s.audit(ctx, a, EventExemptionAdded, userID, "", detail)
	return nil
}

// Unexempt removes the user from the exception list and ends their
// sessions and tokens.
func (s *Service) Unexempt(ctx context.Context, a Actor, userID string) error {
	_, _, err := s.actOn(ctx, a, userID, store.PermReset2FA)
	if err != nil {
		return err
	}
	if a.UserID != "" && a.UserID == userID {
		return ErrSelf
	}
	if err := s.st.RemoveExemption(ctx, userID, s.now()); errors.Is(err, store.ErrNotFound) {
		return invalid("AdminErrorNotExempt", "the user is not on the exception list")
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventExemptionRemoved, userID, "", nil)
	return nil
}

// SetDisabled disables the user, ending every session and token, or
// enables them again. An admin cannot disable their own account.
func (s *Service) SetDisabled(ctx context.Context, a Actor, userID string, disabled bool) error {
	u, _, err := s.actOn(ctx, a, userID, store.PermManageUsers)
	if err != nil {
		return err
	}
	if a.UserID != "" && a.UserID == userID {
		return ErrSelf
	}
	status, event := store.UserDisabled, EventUserDisabled
	if !disabled {
		status, event = store.UserActive, EventUserEnabled
		if u.PasswordHash == "" {
			status = store.UserInvited
		}
	}
	if err := s.st.SetUserStatus(ctx, userID, status, s.now()); err != nil {
		return err
	}
	s.audit(ctx, a, event, userID, "", nil)
	return nil
}

// EndSessions ends every session and token of the user.
func (s *Service) EndSessions(ctx context.Context, a Actor, userID string) error {
	if _, _, err := s.actOn(ctx, a, userID, store.PermManageUsers); err != nil {
		return err
	}
	if err := s.st.RevokeUserSessions(ctx, userID, s.now()); err != nil {
		return err
	}
	s.audit(ctx, a, EventSessionsEnded, userID, "", nil)
	return nil
}

// SetLocale changes the user's language.
func (s *Service) SetLocale(ctx context.Context, a Actor, userID, locale string) error {
	if _, _, err := s.actOn(ctx, a, userID, store.PermManageUsers); err != nil {
		return err
	}
	if !validLocale(locale) {
		return invalid("AdminErrorLocale", "unsupported language %q", locale)
	}
	if err := s.st.SetUserLocale(ctx, userID, locale); err != nil {
		return err
	}
	s.audit(ctx, a, EventLocaleChanged, userID, "", map[string]string{"locale": locale})
	return nil
}

// Locales are the languages a user's pages and emails can have.
var Locales = []string{"en", "nl", "fr", "de", "es"}

func validLocale(l string) bool {
	if l == "" {
		return true
	}
	for _, v := range Locales {
		if v == l {
			return true
		}
	}
	return false
}

// Grant gives the user a permission for a property or every property,
// and makes them a member of that property. The actor must be able to
// act on the user with manage_users and must itself hold p for the
// property, or the result is ErrNotFound. A grant the user already has
// changes nothing and writes no audit event. A membership that the grant
// creates gets an audit event of its own.
func (s *Service) Grant(ctx context.Context, a Actor, userID string, p store.Permission, propertyID string) error {
	_, props, grants, err := s.actOnGrants(ctx, a, userID, store.PermManageUsers)
	if err != nil {
		return err
	}
	if !validPermission(p) {
		return invalid("AdminErrorPermission", "unknown permission %q", p)
	}
	if propertyID == "" {
		propertyID = store.AllProperties
	}
	if !a.coversProperty(p, propertyID) {
		return ErrNotFound
	}
	if propertyID != store.AllProperties && !slices.Contains(props, propertyID) {
		if err := s.checkProperty(ctx, propertyID); err != nil {
			return err
		}
		if err := s.st.AddUserProperty(ctx, userID, propertyID); err != nil {
			return err
		}
		s.audit(ctx, a, EventMemberAdded, userID, "", map[string]string{"property": propertyID})
	}
	if slices.ContainsFunc(grants, func(g store.Grant) bool { return g.Permission == p && g.PropertyID == propertyID }) {
		return nil
	}
	if err := s.st.AddGrant(ctx, store.Grant{UserID: userID, Permission: p, PropertyID: propertyID}); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventGrantAdded, userID, "", map[string]string{"permission": string(p), "property": propertyID})
	return nil
}

// Permissions lists every permission.
var Permissions = []store.Permission{store.PermManageUsers, store.PermReset2FA, store.PermManageClients, store.PermViewAudit}

func validPermission(p store.Permission) bool {
	for _, v := range Permissions {
		if v == p {
			return true
		}
	}
	return false
}

// ExemptionRow is an entry of the exception list with the names of the
// user and of the admin who added it.
type ExemptionRow struct {
	store.Exemption
	Name, Email  string
	AddedByEmail string
}

// ListExemptions returns the exception-list entries of the users the
// actor may exempt.
func (s *Service) ListExemptions(ctx context.Context, a Actor) ([]ExemptionRow, error) {
	if !a.Has(store.PermReset2FA) {
		return nil, ErrNotFound
	}
	list, err := s.st.ListExemptions(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := []ExemptionRow{}
	for _, e := range list {
		u, _, err := s.target(ctx, a, e.UserID, store.PermReset2FA)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		row := ExemptionRow{Exemption: e, Name: u.Name, Email: u.Email}
		if e.AddedBy != "" {
			if by, err := s.st.UserByID(ctx, e.AddedBy); err == nil {
				row.AddedByEmail = by.Email
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// Properties returns the properties where the actor holds p.
func (s *Service) Properties(ctx context.Context, a Actor, p store.Permission) ([]store.Property, error) {
	props, err := s.st.ListProperties(ctx)
	if err != nil {
		return nil, err
	}
	out := []store.Property{}
	for _, pr := range props {
		if a.coversProperty(p, pr.ID) {
			out = append(out, pr)
		}
	}
	return out, nil
}
