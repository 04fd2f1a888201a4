package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hotelsoft/idp/idp/secret"
	"github.com/hotelsoft/idp/store"
)

// SenderConfig configures a Sender. Store, Keys, Transport and Logger are
// required.
type SenderConfig struct {
	Store     store.Outbox
	Keys      *secret.Keys
	Transport Transport
	Logger    *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Interval is how often the outbox is polled; zero means 2 seconds.
	// Wake polls at once.
	Interval time.Duration
	// Lease is how long a claimed email stays with this sender; zero means
	// 5 minutes. A sender that crashes leaves its emails to others after it.
	Lease time.Duration
	// Batch is how many emails one poll claims; zero means 20.
	Batch int
	// Retry is the back-off after the first failure, doubling with each
	// further failure up to MaxRetry; zero means 30 seconds and 1 hour.
	Retry, MaxRetry time.Duration
	// MaxAttempts is how many attempts an email gets before the sender
	// gives up on it; zero means 20, about 13 hours with the default
	// back-off.
	MaxAttempts int
}

// Sender delivers the emails of the outbox. Several senders, in one
// process or on many nodes sharing a database, deliver each email once:
// each claims emails under a lease before sending them.
type Sender struct {
	cfg  SenderConfig
	wake chan struct{}
}

// NewSender returns a Sender with cfg's defaults filled in.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Transport == nil || cfg.Logger == nil {
		return nil, errors.New("mail: sender needs a store, keys, a transport and a logger")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 30 * time.Second
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	return &Sender{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Wake makes a running sender poll now, for example after an email was
// queued. It never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run polls and delivers until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	s.cfg.Logger.InfoContext(ctx, "email sender started", "interval", s.cfg.Interval)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.ErrorContext(ctx, "deliver emails", "err", err)
		}
		select {
		case <-ctx.Done():
			s.cfg.Logger.InfoContext(context.WithoutCancel(ctx), "email sender stopped")
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// Flush claims the emails that are due and tries to deliver each once,
// batch after batch until none is left. It returns how many it delivered.
func (s *Sender) Flush(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		emails, err := s.cfg.Store.ClaimEmails(ctx, s.cfg.Now(), s.cfg.Lease, s.cfg.Batch)
		if err != nil {
			return sent, err
		}
		n, unreachable := s.deliver(ctx, emails)
		sent += n
		if unreachable || len(emails) < s.cfg.Batch {
			return sent, nil
		}
	}
	return sent, ctx.Err()
}

// deliver sends the claimed emails one by one. When the server cannot be
// reached, the rest of the batch is recorded as failed with the same error
// rather than waiting for the same timeout again.
func (s *Sender) deliver(ctx context.Context, emails []store.OutboundEmail) (sent int, unreachable bool) {
	var dialErr error
	for _, e := range emails {
		err := dialErr
		if err == nil {
			err = s.send(ctx, e)
		}
		if err == nil {
			sent++
			continue
		}
		if isDialError(err) {
			dialErr = err
		}
		s.fail(ctx, e, err)
	}
	return sent, dialErr != nil
}

func (s *Sender) send(ctx context.Context, e store.OutboundEmail) error {
	m, err := Open(s.cfg.Keys, e)
	if err != nil {
		return err
	}
	if err := s.cfg.Transport.Send(ctx, m); err != nil {
		return err
	}
	// The email is out: record it even when ctx has just ended.
	if err := s.cfg.Store.MarkEmailSent(context.WithoutCancel(ctx), e.ID, e.LeaseToken, s.cfg.Now()); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "record email as sent", "email_id", e.ID, "err", err)
	}
	s.cfg.Logger.InfoContext(ctx, "email sent", "email_id", e.ID, "to", e.Recipient, "kind", e.Kind)
	return nil
}

// fail records a failed attempt with its back-off, or gives the email up
// after MaxAttempts or when it cannot be decrypted.
func (s *Sender) fail(ctx context.Context, e store.OutboundEmail, cause error) {
	now := s.cfg.Now()
	attempt := e.Attempts + 1
	next := now.Add(Backoff(s.cfg.Retry, s.cfg.MaxRetry, attempt))
	if attempt >= s.cfg.MaxAttempts || errors.Is(cause, secret.ErrDecrypt) {
		next = time.Time{}
		s.cfg.Logger.ErrorContext(ctx, "gave up on an email", "email_id", e.ID, "to", e.Recipient,
			"kind", e.Kind, "attempts", attempt, "err", cause)
	} else {
		s.cfg.Logger.WarnContext(ctx, "email delivery failed; will retry", "email_id", e.ID, "to", e.Recipient,
			"kind", e.Kind, "attempts", attempt, "retry_at", next, "err", cause)
	}
	if err := s.cfg.Store.MarkEmailFailed(context.WithoutCancel(ctx), e.ID, e.LeaseToken, cause.Error(), next, now); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "record failed email", "email_id", e.ID, "err", err)
	}
}

// Backoff returns the wait after the attempt-th failure: first doubled
// for each failure after the first, at most limit.
func Backoff(first, limit time.Duration, attempt int) time.Duration {
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
