// Package mail composes the provider's emails and delivers them.
//
// A Composer renders an email from the templates under templates/email and
// the message catalogue, in one language, and seals its subject and bodies
// for the outbox (store.Outbox). Emails carry links and codes, so they are
// encrypted at rest like every other secret. A Sender claims due emails
// from the outbox and delivers them over SMTP, or writes them to files
// when no SMTP server is configured, retrying failures with exponential
// back-off.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/templates"
)

// Templates of the emails, as named by the files in templates/email.
const (
	TemplateInvitation    = "invitation"
	TemplateEmailLink     = "email_link"
	TemplateEmailCode     = "email_code"
	TemplatePasswordReset = "password_reset"
	TemplateNotification  = "notification"
)

// subjects maps each template to the message ID of its subject.
var subjects = map[string]string{
	TemplateInvitation:    "EmailInvitationSubject",
	TemplateEmailLink:     "EmailLinkSubject",
	TemplateEmailCode:     "EmailCodeSubject",
	TemplatePasswordReset: "EmailResetSubject",
}

// Email is one email to compose.
type Email struct {
	Kind     string // store.EmailInvitation, store.EmailTwoFactor, ...
	Template string // TemplateInvitation, ...
	To       string
	Language language.Tag
	// Data fills the template. Product is added. A notification needs
	// Event (one of the Event constants).
	Data map[string]any
}

// Message is a composed email in the clear, as the sender delivers it.
type Message struct {
	ID       string
	Kind     string
	To       string
	Language string
	Subject  string
	Text     string
	HTML     string
}

// Composer renders and seals emails. It is safe for concurrent use.
type Composer struct {
	product   string
	keys      *secret.Keys
	catalogue *i18n.Catalogue
	now       func() time.Time
	text      map[string]*texttemplate.Template
	html      map[string]*htmltemplate.Template
}

// NewComposer parses the email templates. product is the name shown in
// every email. A nil now means time.Now.
func NewComposer(product string, keys *secret.Keys, now func() time.Time) (*Composer, error) {
	if keys == nil {
		return nil, errors.New("mail: keys are missing")
	}
	if now == nil {
		now = time.Now
	}
	catalogue, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	c := &Composer{
		product: product, keys: keys, catalogue: catalogue, now: now,
		text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{},
	}
	stub := map[string]any{"t": func(string, ...any) string { return "" }}
	for _, name := range []string{TemplateInvitation, TemplateEmailLink, TemplateEmailCode, TemplatePasswordReset, TemplateNotification} {
		txt, err := fs.ReadFile(templates.Email, path.Join("email", name+".txt"))
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		if c.text[name], err = texttemplate.New(name).Funcs(stub).Option("missingkey=error").Parse(string(txt)); err != nil {
			return nil, fmt.Errorf("mail: parse %s.txt: %w", name, err)
		}
		if c.html[name], err = htmltemplate.New(name).Funcs(stub).Option("missingkey=error").
			ParseFS(templates.Email, "email/layout.html", path.Join("email", name+".html")); err != nil {
			return nil, fmt.Errorf("mail: parse %s.html: %w", name, err)
		}
	}
	return c, nil
}

// Render returns e in the clear, with a new ID.
func (c *Composer) Render(e Email) (Message, error) {
	if e.Kind == "" || e.To == "" {
		return Message{}, errors.New("mail: kind and recipient are required")
	}
	txt, html := c.text[e.Template], c.html[e.Template]
	if txt == nil || html == nil {
		return Message{}, fmt.Errorf("mail: no template %q", e.Template)
	}
	loc := c.catalogue.Localizer(e.Language)
	var translateErr error
	translate := func(id string, args ...any) string {
		data := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			if name, ok := args[i].(string); ok {
				data[name] = args[i+1]
			}
		}
		s, err := loc.Translate(id, data)
		if err != nil && translateErr == nil {
			translateErr = err
		}
		return s
	}
	funcs := map[string]any{"t": translate}

	data := map[string]any{"Product": c.product, "Lang": loc.Lang()}
	for k, v := range e.Data {
		data[k] = v
	}
	subjectID := subjects[e.Template]
	if e.Template == TemplateNotification {
		event, _ := e.Data["Event"].(string)
		if !isEvent(event) {
			return Message{}, fmt.Errorf("mail: notification event %q is unknown", event)
		}
		subjectID, data["BodyID"] = "EmailNotify"+event+"Subject", "EmailNotify"+event+"Body"
		method, _ := data["Method"].(string)
		data["Method"] = ""
		if id := methodNames[method]; id != "" {
			data["Method"] = translate(id)
		}
		if _, ok := data["Time"]; !ok {
			// The provider does not store the reader's time zone, so the time
			// is in UTC and labelled as UTC.
			data["Time"] = loc.DateTime(c.now().UTC())
		}
	}
	subject := translate(subjectID, "Product", c.product)
	data["Subject"] = subject

	var textBody, htmlBody bytes.Buffer
	if err := template(txt, funcs).Execute(&textBody, data); err != nil {
		return Message{}, fmt.Errorf("mail: render %s.txt: %w", e.Template, err)
	}
	h, err := html.Clone()
	if err == nil {
		err = h.Funcs(funcs).ExecuteTemplate(&htmlBody, "layout", data)
	}
	if err != nil {
		return Message{}, fmt.Errorf("mail: render %s.html: %w", e.Template, err)
	}
	if translateErr != nil {
		return Message{}, fmt.Errorf("mail: render %s: %w", e.Template, translateErr)
	}
	return Message{
		ID: secret.ID(), Kind: e.Kind, To: e.To, Language: loc.Lang(), Subject: subject,
		Text: normalizeNewlines(textBody.String()), HTML: htmlBody.String(),
	}, nil
}

func template(t *texttemplate.Template, funcs map[string]any) *texttemplate.Template {
	c, err := t.Clone()
	if err != nil {
		// Clone fails only after Execute on the original, and the originals are
		// never executed.
		panic(err)
	}
	return c.Funcs(funcs)
}

// Compose renders e and seals it for the outbox.
func (c *Composer) Compose(e Email) (store.OutboundEmail, error) {
	m, err := c.Render(e)
	if err != nil {
		return store.OutboundEmail{}, err
	}
	return c.Seal(m), nil
}

// Seal encrypts the subject and bodies of m, each bound to the email's ID
// and part, so no ciphertext opens in another row or part.
func (c *Composer) Seal(m Message) store.OutboundEmail {
	sealer := c.keys.Sealer()
	now := c.now()
	return store.OutboundEmail{
		ID: m.ID, Kind: m.Kind, Recipient: m.To, Language: m.Language,
		SubjectSealed: sealer.Seal([]byte(m.Subject), label(m.ID, "subject")),
		TextSealed:    sealer.Seal([]byte(m.Text), label(m.ID, "text")),
		HTMLSealed:    sealer.Seal([]byte(m.HTML), label(m.ID, "html")),
		CreatedAt:     now,
		NextAttemptAt: now,
	}
}

// Notification composes a notification of event about the account of u,
// in the user's saved language or else lang. method names the 2FA method
// ("email", "totp", "webauthn") for the method events.
func (c *Composer) Notification(u store.User, lang language.Tag, event, method string) (store.OutboundEmail, error) {
	return c.Compose(Email{
		Kind: store.EmailNotification, Template: TemplateNotification, To: u.Email,
		Language: i18n.ForEmail(u.Locale, lang),
		Data:     map[string]any{"Name": u.Name, "Event": event, "Method": method},
	})
}

// Open decrypts an email of the outbox with keys.
func Open(keys *secret.Keys, e store.OutboundEmail) (Message, error) {
	sealer := keys.Sealer()
	subject, err1 := sealer.Open(e.SubjectSealed, label(e.ID, "subject"))
	text, err2 := sealer.Open(e.TextSealed, label(e.ID, "text"))
	html, err3 := sealer.Open(e.HTMLSealed, label(e.ID, "html"))
	if err := errors.Join(err1, err2, err3); err != nil {
		return Message{}, fmt.Errorf("open email %s: %w", e.ID, err)
	}
	return Message{
		ID: e.ID, Kind: e.Kind, To: e.Recipient, Language: e.Language,
		Subject: string(subject), Text: string(text), HTML: string(html),
	}, nil
}

func label(id, part string) string { return "email:" + id + ":" + part }

// normalizeNewlines collapses runs of more than one blank line, which
// optional template lines leave behind.
func normalizeNewlines(s string) string {
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return strings.TrimLeft(s, "\n")
}
