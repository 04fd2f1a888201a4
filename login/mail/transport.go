package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport delivers one message.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// HeaderKind is the header that names the kind of an email
// (store.EmailInvitation, ...), so operators can route emails and tests
// can tell them apart.
const HeaderKind = "X-Idp-Kind"

// dialTimeout bounds connecting to and talking with the SMTP server.
const dialTimeout = 15 * time.Second

// SMTP delivers over SMTP with github.com/wneessen/go-mail.
type SMTP struct {
	from string
	opts []gomail.Option
	host string
}

// NewSMTP returns a transport for rawURL:
// smtp://[user:password@]host[:port]?from=ADDRESS uses STARTTLS when the
// server offers it and requires it unless host is a loopback address;
// smtps:// uses implicit TLS. The default ports are 587 and 465. With a
// user the transport authenticates with the strongest mechanism the server
// offers. tlsConfig may be nil; tests set it to trust their own
// certificate authority.
func NewSMTP(rawURL string, tlsConfig *tls.Config) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mail: the SMTP URL does not parse")
	}
	if (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: SMTP URL %s: want smtp://[user:password@]host:port?from=ADDRESS, or smtps:// for implicit TLS", u.Redacted())
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, fmt.Errorf("mail: SMTP URL %s: the from parameter is missing", u.Redacted())
	}
	host := u.Hostname()
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL %s: invalid port", u.Redacted())
		}
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.ServerName = host

	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(dialTimeout), gomail.WithTLSConfig(tlsConfig)}
	switch {
	case u.Scheme == "smtps":
		opts = append(opts, gomail.WithSSL())
	case isLoopback(host):
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return &SMTP{from: from, opts: opts, host: host}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Send delivers m on a connection of its own.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := mimeMessage(s.from, m)
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}

// mimeMessage builds the MIME message of m: a text/plain part and a
// text/html alternative, and the kind header.
func mimeMessage(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetGenHeader(gomail.Header(HeaderKind), m.Kind)
	msg.SetGenHeader(gomail.HeaderContentLang, m.Language)
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// Files writes each message as an .eml file into a folder, for machines
// without an SMTP server. It logs the recipient, kind and subject of each
// email, never its body, which holds links and codes.
type Files struct {
	dir    string
	logger *slog.Logger
}

// NewFiles returns a transport that writes into dir, creating it with mode
// 0700 when missing.
func NewFiles(dir string, logger *slog.Logger) *Files {
	return &Files{dir: dir, logger: logger}
}

// Dir returns the folder the files go to.
func (f *Files) Dir() string { return f.dir }

// Send writes m to DIR/<time>-<id>.eml with mode 0600.
func (f *Files) Send(ctx context.Context, m Message) error {
	msg, err := mimeMessage("no-reply@localhost", m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("create mail folder: %w", err)
	}
	name := filepath.Join(f.dir, time.Now().UTC().Format("20060102T150405.000")+"-"+m.ID+".eml")
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write email file: %w", err)
	}
	if _, err := msg.WriteTo(file); err != nil {
		file.Close()
		return fmt.Errorf("write email file: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write email file: %w", err)
	}
	f.logger.InfoContext(ctx, "email written to a file", "to", m.To, "kind", m.Kind, "subject", m.Subject, "file", name)
	return nil
}

// isDialError reports whether err means the server was not reached, so
// the other emails of a batch would fail the same way.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
