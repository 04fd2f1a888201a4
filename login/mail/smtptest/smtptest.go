// Package smtptest runs an SMTP server inside a test process
// (github.com/emersion/go-smtp) that keeps every message it receives, so
// tests can read the links and codes of the provider's emails.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// waitTimeout bounds how long Wait waits for a message.
const waitTimeout = 15 * time.Second

// Message is one received email, decoded.
type Message struct {
	From    string
	To      []string
	Kind    string // the X-Idp-Kind header
	Subject string
	Header  mail.Header
	Text    string // the text/plain part
	HTML    string // the text/html part
	Raw     []byte
}

// Server is a running test SMTP server.
type Server struct {
	opts      Options
	serverTLS *tls.Config
	clientTLS *tls.Config

	mu       sync.Mutex
	addr     string
	srv      *smtp.Server
	messages []Message
	taken    map[int]bool
	notify   chan struct{}
}

// Options configure a server started with StartWith.
type Options struct {
	// TLS is "" for plain SMTP, "starttls" to offer STARTTLS, or
	// "implicit" for TLS from the first byte (smtps).
	TLS string
	// Username and Password, when set, are the only credentials AUTH
	// PLAIN accepts, and a message needs them.
	Username, Password string
}

// Start starts a plain SMTP server on 127.0.0.1 that accepts every
// message without authentication and stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a server on 127.0.0.1 configured by opts. Its TLS
// certificate is self-signed; ClientTLS trusts it.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, taken: map[int]bool{}, notify: make(chan struct{})}
	if opts.TLS != "" {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("smtptest: %v", err)
		}
		s.serverTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if err := s.listen("127.0.0.1:0"); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// ClientTLS returns a TLS configuration that trusts the server's
// certificate, or nil for a plain server.
func (s *Server) ClientTLS() *tls.Config { return s.clientTLS }

func (s *Server) listen(addr string) error {
	var ln net.Listener
	var err error
	if s.opts.TLS == "implicit" {
		ln, err = tls.Listen("tcp", addr, s.serverTLS)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return err
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	if s.opts.TLS == "starttls" {
		srv.TLSConfig = s.serverTLS
	}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.mu.Lock()
	s.addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go srv.Serve(ln)
	return nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns an smtp:// URL of the server for --smtp-url, with from as
// the sender address.
func (s *Server) URL(from string) string {
	u := url.URL{Scheme: "smtp", Host: s.Addr(), RawQuery: url.Values{"from": {from}}.Encode()}
	if s.opts.TLS == "implicit" {
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// Stop closes the server; connections fail until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the address of the stopped server.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var err error
	for range 50 {
		if err = s.listen(s.Addr()); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("smtptest: restart: %v", err)
}

// Messages returns every message received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Count returns how many messages to the recipient of kind arrived.
func (s *Server) Count(to, kind string) int {
	n := 0
	for _, m := range s.Messages() {
		if m.Kind == kind && slicesContainsFold(m.To, to) {
			n++
		}
	}
	return n
}

// Wait returns the oldest message to the recipient of kind that no earlier
// Wait returned, waiting for it up to 15 seconds.
func (s *Server) Wait(t testing.TB, to, kind string) Message {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		s.mu.Lock()
		for i, m := range s.messages {
			if !s.taken[i] && m.Kind == kind && slicesContainsFold(m.To, to) {
				s.taken[i] = true
				s.mu.Unlock()
				return m
			}
		}
		notify := s.notify
		s.mu.Unlock()
		select {
		case <-notify:
		case <-deadline:
			t.Fatalf("smtptest: no %s email to %s within %s", kind, to, waitTimeout)
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
}

func slicesContainsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var (
	linkLine = regexp.MustCompile(`(?m)^(https?://\S+)$`)
	codeLine = regexp.MustCompile(`(?m)^(\d{6})$`)
)

// Link returns the link that is alone on a line of the text part.
func (m Message) Link(t testing.TB) string {
	t.Helper()
	found := linkLine.FindStringSubmatch(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	if found == nil {
		t.Fatalf("smtptest: no link on its own line in:\n%s", m.Text)
	}
	return found[1]
}

// Code returns the 6-digit code that is alone on a line of the text part.
func (m Message) Code(t testing.TB) string {
	t.Helper()
	found := codeLine.FindStringSubmatch(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	if found == nil {
		t.Fatalf("smtptest: no code on its own line in:\n%s", m.Text)
	}
	return found[1]
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

// AuthMechanisms offers PLAIN when the server has credentials.
func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks PLAIN credentials against the server's.
func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || x.s.opts.Username == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opts.Username || pass != x.s.opts.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Username != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "smtptest: " + err.Error()}
	}
	m.From, m.To = x.from, append([]string(nil), x.to...)
	x.s.add(m)
	return nil
}

// parse decodes a MIME message with a text and an HTML part.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, err
	}
	m := Message{Kind: msg.Header.Get("X-Idp-Kind"), Subject: subject, Header: msg.Header, Raw: raw}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return Message{}, err
	}
	return m, nil
}

func (m *Message) readPart(contentType, encoding string, body io.Reader) error {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch media {
	case "text/plain":
		m.Text = string(data)
	case "text/html":
		m.HTML = string(data)
	}
	return nil
}
