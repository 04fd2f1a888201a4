package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/password"
	"github.com/hotelsoft/idp/store"
)

// ImportedUser is an existing account brought over from another system,
// with its password hash (bcrypt or argon2id). The user keeps the
// password, its hash is upgraded to argon2id at the first sign-in, and
// the user activates 2FA then.
type ImportedUser struct {
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Locale       string   `json:"locale"`
	PasswordHash string   `json:"password_hash"`
	Properties   []string `json:"properties"`
}

// Import creates an active user from u. Each property must exist and be
// one where the actor holds manage_users. An address that already has an
// account is an *InputError and changes nothing.
func (s *Service) Import(ctx context.Context, a Actor, u ImportedUser) (string, error) {
	if !a.Has(store.PermManageUsers) {
		return "", ErrNotFound
	}
	email, name := strings.TrimSpace(u.Email), strings.TrimSpace(u.Name)
	if at := strings.LastIndex(email, "@"); at < 1 || at == len(email)-1 || len(email) > 320 || strings.ContainsAny(email, " \t\r\n<>") {
		return "", invalid("AdminErrorEmail", "%q is not an email address", u.Email)
	}
	if name == "" || len(name) > 200 {
		return "", invalid("AdminErrorName", "a name of at most 200 characters is required")
	}
	if !validLocale(u.Locale) {
		return "", invalid("AdminErrorLocale", "unsupported language %q", u.Locale)
	}
	if err := password.CheckEncoded(u.PasswordHash); err != nil {
		return "", invalid("AdminErrorHash", "password_hash is neither bcrypt nor argon2id: %v", err)
	}
	if len(u.Properties) == 0 && !a.HasAll(store.PermManageUsers) {
		return "", invalid("AdminErrorProperty", "properties are required")
	}
	for _, p := range u.Properties {
		if !a.coversProperty(store.PermManageUsers, p) {
			return "", invalid("AdminErrorProperty", "unknown property %q", p)
		}
		if err := s.checkProperty(ctx, p); err != nil {
			return "", err
		}
	}
	user := store.User{
		ID: secret.ID(), Email: email, EmailKey: store.NormalizeEmail(email), Name: name, Locale: u.Locale,
		Status: store.UserActive, PasswordHash: u.PasswordHash, CreatedAt: s.now(),
	}
	if err := s.st.CreateUser(ctx, user); errors.Is(err, store.ErrAlreadyExists) {
		return "", invalid("AdminErrorEmailTaken", "%s already has an account", email)
	} else if err != nil {
		return "", err
	}
	for _, p := range u.Properties {
		if err := s.st.AddUserProperty(ctx, user.ID, p); err != nil {
			return "", err
		}
	}
	s.audit(ctx, a, EventUserImported, user.ID, "", map[string]string{"hash": hashKind(u.PasswordHash)})
	return user.ID, nil
}

// hashKind names the algorithm of an imported hash, for the audit log.
func hashKind(h string) string {
	if strings.HasPrefix(h, "$argon2") {
		return "argon2id"
	}
	return "bcrypt"
}

// CreateProperty adds a property; only an actor who manages users of
// every property may.
func (s *Service) CreateProperty(ctx context.Context, a Actor, p store.Property) error {
	if !a.HasAll(store.PermManageUsers) {
		return ErrNotFound
	}
	p.ID, p.Name, p.CreatedAt = strings.TrimSpace(p.ID), strings.TrimSpace(p.Name), s.now()
	if p.ID == "" || p.ID == store.AllProperties || len(p.ID) > 128 || p.Name == "" || len(p.Name) > 200 {
		return invalid("AdminErrorProperty", "a property needs an ID (not %q) and a name", store.AllProperties)
	}
	if err := s.st.CreateProperty(ctx, p); errors.Is(err, store.ErrAlreadyExists) {
		return invalid("AdminErrorProperty", "property %q already exists", p.ID)
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventPropertyCreated, "", "", map[string]string{"property": p.ID, "name": p.Name})
	return nil
}

// AddMember makes the user a member of the property. The actor must be
// able to act on the user and hold manage_users for the property, or the
// result is ErrNotFound. An existing membership is left as it is.
func (s *Service) AddMember(ctx context.Context, a Actor, userID, propertyID string) error {
	if _, _, err := s.actOn(ctx, a, userID, store.PermManageUsers); err != nil {
		return err
	}
	if !a.coversProperty(store.PermManageUsers, propertyID) {
		return ErrNotFound
	}
	if err := s.checkProperty(ctx, propertyID); err != nil {
		return err
	}
	if err := s.st.AddUserProperty(ctx, userID, propertyID); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	s.audit(ctx, a, EventMemberAdded, userID, "", map[string]string{"property": propertyID})
	return nil
}

// SetClientGrants replaces the admin API grants of a confidential client.
func (s *Service) SetClientGrants(ctx context.Context, a Actor, clientID string, grants []store.ClientGrant) error {
	d, err := s.Client(ctx, a, clientID)
	if err != nil {
		return err
	}
	if err := s.checkClientGrants(a, d.Public(), grants); err != nil {
		return err
	}
	if err := s.st.SetClientGrants(ctx, clientID, grants); err != nil {
		return err
	}
	var parts []string
	for _, g := range grants {
		parts = append(parts, string(g.Permission)+"@"+g.PropertyID)
	}
	s.audit(ctx, a, EventClientGranted, "", clientID, map[string]string{"grants": strings.Join(parts, " ")})
	return nil
}
