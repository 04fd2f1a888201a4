package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/login/mail/smtptest"
	"github.com/hotelsoft/idp/store"
)

const (
	testLink = "https://id.hotel.example/login/2fa/email/link?token=abc"
	testCode = "042917"
)

func newComposer(t *testing.T) (*mail.Composer, *secret.Keys) {
	t.Helper()
	keys, err := secret.NewKeys(bytes.Repeat([]byte{7}, secret.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.NewComposer("Hotel ID", keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, keys
}

// emails lists one email of every template.
var emails = []mail.Email{
	{Kind: store.EmailInvitation, Template: mail.TemplateInvitation, Data: map[string]any{"Name": "Ana", "Link": testLink, "Days": 7}},
	{Kind: store.EmailTwoFactor, Template: mail.TemplateEmailLink, Data: map[string]any{"Name": "Ana", "Link": testLink, "Code": testCode, "LinkMinutes": 15, "CodeMinutes": 10}},
	{Kind: store.EmailTwoFactor, Template: mail.TemplateEmailCode, Data: map[string]any{"Name": "Ana", "Code": testCode, "CodeMinutes": 10}},
	{Kind: store.EmailPasswordReset, Template: mail.TemplatePasswordReset, Data: map[string]any{"Name": "Ana", "Link": testLink, "Minutes": 60}},
	{Kind: store.EmailNotification, Template: mail.TemplateNotification, Data: map[string]any{"Name": "Ana", "Event": mail.EventMethodAdded, "Method": "totp"}},
	{Kind: store.EmailNotification, Template: mail.TemplateNotification, Data: map[string]any{"Name": "Ana", "Event": mail.EventPasswordReset}},
}

func TestComposeEveryLanguage(t *testing.T) {
	c, keys := newComposer(t)
	for _, lang := range i18n.Supported {
		for _, e := range emails {
			e.To, e.Language = "ana@hotel.example", lang
			sealed, err := c.Compose(e)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, e.Template, err)
			}
			if bytes.Contains(sealed.TextSealed, []byte(testCode)) || bytes.Contains(sealed.HTMLSealed, []byte("token=abc")) {
				t.Fatalf("%s %s: body stored in the clear", lang, e.Template)
			}
			m, err := mail.Open(keys, sealed)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(m.Text, "\n")
			if _, ok := e.Data["Link"]; ok && !contains(lines, testLink) {
				t.Errorf("%s %s: link not alone on a line:\n%s", lang, e.Template, m.Text)
			}
			if _, ok := e.Data["Code"]; ok && !contains(lines, testCode) {
				t.Errorf("%s %s: code not alone on a line:\n%s", lang, e.Template, m.Text)
			}
			if m.Subject == "" || strings.Contains(m.Subject, testCode) || !strings.Contains(m.HTML, `lang="`+m.Language+`"`) {
				t.Errorf("%s %s: subject %q, HTML language wrong or code in the subject", lang, e.Template, m.Subject)
			}
			if strings.Contains(m.Text, "<no value>") || strings.Contains(m.Text, "{{") {
				t.Errorf("%s %s: unfilled placeholder:\n%s", lang, e.Template, m.Text)
			}
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.TrimRight(l, "\r") == s {
			return true
		}
	}
	return false
}

func TestOpenRejectsSwappedParts(t *testing.T) {
	c, keys := newComposer(t)
	e := emails[2]
	e.To, e.Language = "ana@hotel.example", language.English
	sealed, err := c.Compose(e)
	if err != nil {
		t.Fatal(err)
	}
	sealed.SubjectSealed, sealed.TextSealed = sealed.TextSealed, sealed.SubjectSealed
	if _, err := mail.Open(keys, sealed); err == nil {
		t.Error("Open accepted parts swapped between fields")
	}
}

func TestComposeRejectsBadInput(t *testing.T) {
	c, _ := newComposer(t)
	for _, e := range []mail.Email{
		{Kind: store.EmailTwoFactor, Template: "missing", To: "a@b.c"},
		{Kind: store.EmailNotification, Template: mail.TemplateNotification, To: "a@b.c", Data: map[string]any{"Event": "Nope"}},
		{Template: mail.TemplateEmailCode, To: "a@b.c"},
	} {
		if _, err := c.Compose(e); err == nil {
			t.Errorf("Compose(%+v) succeeded", e)
		}
	}
}

func message(t *testing.T, c *mail.Composer, to string) mail.Message {
	t.Helper()
	e := emails[1]
	e.To, e.Language = to, language.German
	m, err := c.Render(e)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	c, _ := newComposer(t)
	srv := smtptest.StartWith(t, smtptest.Options{TLS: "starttls", Username: "idp", Password: "s3cret"})
	tr, err := mail.NewSMTP(srv.URL("Hotel ID <no-reply@hotel.example>"), srv.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), message(t, c, "ana@hotel.example")); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, "ana@hotel.example", store.EmailTwoFactor)
	if got.Link(t) != testLink || got.Code(t) != testCode || got.HTML == "" {
		t.Errorf("received %+v", got)
	}
	if got.Header.Get("Content-Language") != "de" {
		t.Errorf("Content-Language = %q, want de", got.Header.Get("Content-Language"))
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	c, _ := newComposer(t)
	srv := smtptest.StartWith(t, smtptest.Options{TLS: "implicit"})
	tr, err := mail.NewSMTP(srv.URL("no-reply@hotel.example"), srv.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), message(t, c, "ben@hotel.example")); err != nil {
		t.Fatal(err)
	}
	srv.Wait(t, "ben@hotel.example", store.EmailTwoFactor)
}

func TestSMTPWrongPassword(t *testing.T) {
	c, _ := newComposer(t)
	srv := smtptest.StartWith(t, smtptest.Options{TLS: "starttls", Username: "idp", Password: "s3cret"})
	url := strings.Replace(srv.URL("no-reply@hotel.example"), "s3cret", "wrong", 1)
	tr, err := mail.NewSMTP(url, srv.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), message(t, c, "ana@hotel.example")); err == nil {
		t.Error("Send succeeded with a wrong password")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted, want 0", n)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	c, _ := newComposer(t)
	srv := smtptest.StartWith(t, smtptest.Options{TLS: "implicit"})
	tr, err := mail.NewSMTP(srv.URL("no-reply@hotel.example"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), message(t, c, "ana@hotel.example")); err == nil {
		t.Error("Send trusted a self-signed certificate")
	}
}

func TestNewSMTPRejectsBadURL(t *testing.T) {
	for _, raw := range []string{
		"http://mail.example:25?from=a@b.c",
		"smtp://mail.example:25",
		"smtp://mail.example:99999?from=a@b.c",
		"smtp://:25?from=a@b.c",
	} {
		if _, err := mail.NewSMTP(raw, nil); err == nil {
			t.Errorf("NewSMTP(%q) succeeded", raw)
		}
	}
	_, err := mail.NewSMTP("smtp://user:hunter2@mail.example:bad?from=a@b.c", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v, want one without the password", err)
	}
}

func TestFilesTransport(t *testing.T) {
	c, _ := newComposer(t)
	dir := filepath.Join(t.TempDir(), "mail")
	var log bytes.Buffer
	tr := mail.NewFiles(dir, slog.New(slog.NewTextHandler(&log, nil)))
	m := message(t, c, "ana@hotel.example")
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files = %v, %v, want one .eml", files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v, want 0600", info.Mode().Perm(), err)
	}
	raw, _ := os.ReadFile(files[0])
	if !bytes.Contains(raw, []byte("X-Idp-Kind: email-2fa")) {
		t.Errorf("file lacks the kind header:\n%s", raw)
	}
	if !strings.Contains(log.String(), "ana@hotel.example") || strings.Contains(log.String(), "token=abc") ||
		strings.Contains(log.String(), testCode) {
		t.Errorf("log must name the recipient and hold no link or code:\n%s", log.String())
	}
}

func TestBackoffDoubles(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i, w := range want {
		if got := mail.Backoff(30*time.Second, time.Hour, i+1); got != w {
			t.Errorf("Backoff after failure %d = %s, want %s", i+1, got, w)
		}
	}
	if got := mail.Backoff(30*time.Second, time.Hour, 40); got != time.Hour {
		t.Errorf("Backoff after 40 failures = %s, want the 1h cap", got)
	}
}
