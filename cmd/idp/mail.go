package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hotelsoft/idp/login/mail"
)

// setupMail builds the email composer and the sender: over SMTP with
// --smtp-url, else into .eml files under --mail-dir.
func (a *app) setupMail() error {
	composer, err := mail.NewComposer(a.cfg.ProductName, a.keys, a.cfg.now)
	if err != nil {
		return err
	}
	var transport mail.Transport
	if a.cfg.SMTPURL != "" {
		if transport, err = mail.NewSMTP(a.cfg.SMTPURL, a.cfg.smtpTLS); err != nil {
			return fmt.Errorf("configure mail: %w", err)
		}
	} else {
		transport = mail.NewFiles(a.cfg.mailDir(), a.logger)
	}
	sender, err := mail.NewSender(mail.SenderConfig{
		Store:     a.store,
		Keys:      a.keys,
		Transport: transport,
		Logger:    a.logger,
		Now:       a.cfg.now,
		Interval:  a.cfg.mailPoll,
	})
	if err != nil {
		return fmt.Errorf("configure mail: %w", err)
	}
	a.mail, a.sender = composer, sender
	return nil
}

// startSender delivers the outbox in the background until ctx ends or the
// returned function is called; that function waits for the sender to stop.
func (a *app) startSender(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.sender.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

// mailDir returns --mail-dir, or when it is unset the folder mail next to
// a SQLite database file, else ./data/mail.
func (c *config) mailDir() string {
	if c.MailDir != "" {
		return c.MailDir
	}
	if path, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://"); ok {
		return filepath.Join(filepath.Dir(path), "mail")
	}
	return defaultMailDir
}
