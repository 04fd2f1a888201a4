package login

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

// InviteUserWithEmail is InviteUser that also sends the welcome email with
// the invitation link, in the user's language (English when inv.Locale is
// empty). The email is queued in the transaction that creates the user,
// so either both exist or neither does. An address that another user
// already has is an error naming the address; it sends nothing.
func InviteUserWithEmail(ctx context.Context, st store.Store, m *mail.Composer, issuer string, inv Invite, now time.Time) (userID, invitationURL string, err error) {
	if m == nil {
		return "", "", fmt.Errorf("invite user: mail composer is missing")
	}
	return inviteUser(ctx, st, m, issuer, inv, now)
}

// ReissueInvitationWithEmail is ReissueInvitation that also emails the new
// link. The older link stops working.
func ReissueInvitationWithEmail(ctx context.Context, st store.Store, m *mail.Composer, issuer, userID string, now time.Time) (string, error) {
	u, err := st.UserByID(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	if u.Status != store.UserInvited {
		return "", fmt.Errorf("reissue invitation: user %s is %s, not invited", userID, u.Status)
	}
	return reissueInvitation(ctx, st, m, issuer, u, i18n.ForEmail(u.Locale, language.English), now)
}

// reissueInvitation replaces the invitation of the invited user u and
// queues the email with the new link in lang, in one transaction.
func reissueInvitation(ctx context.Context, st store.Store, m *mail.Composer, issuer string, u store.User, lang language.Tag, now time.Time) (string, error) {
	token := secret.Token()
	link := inviteLink(issuer, token)
	email, err := m.Compose(invitationEmail(u, link, lang))
	if err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	if err := st.ReplaceInvitationWithEmail(ctx, newInvitation(token, u.ID, now), email); err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	return link, nil
}

// invitationEmail returns the welcome email of u with link.
func invitationEmail(u store.User, link string, lang language.Tag) mail.Email {
	return mail.Email{
		Kind: store.EmailInvitation, Template: mail.TemplateInvitation, To: u.Email, Language: lang,
		Data: map[string]any{"Name": u.Name, "Link": link, "Days": int(InvitationLifetime / (24 * time.Hour))},
	}
}
