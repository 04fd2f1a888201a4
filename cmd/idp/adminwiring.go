package main

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/admin"
)

// lapseInterval is how often the server ends exemptions whose date has
// passed. A lapsed entry stops password-only sign-ins at once, because
// the sign-in checks the date; the sessions it created end at the next
// sweep, so up to this long later.
const lapseInterval = time.Minute

// adminService returns the admin operations over the app's store, with
// emails when the app composes them.
func (a *app) adminService() *admin.Service {
	cfg := admin.Config{Store: a.store, Issuer: a.cfg.Issuer, Logger: a.logger, Now: a.cfg.now}
	if a.mail != nil {
		cfg.Mail = a.mail
	}
	if a.sender != nil {
		cfg.MailQueued = a.sender.Wake
	}
	return admin.NewService(cfg)
}

// registerAdmin adds the admin console under /admin and the admin API
// under /api/v1 to r.
func (a *app) registerAdmin(r *mux.Router, pages *login.Handler, provider *idp.Provider) error {
	svc := a.adminService()
	console, err := admin.NewConsole(svc, pages)
	if err != nil {
		return err
	}
	console.Register(r)
	admin.NewAPI(svc, provider, pages.ClientAddr).Register(r)
	return nil
}

// runLapse ends lapsed exemptions every lapseInterval until ctx ends.
func runLapse(ctx context.Context, a *app) {
	svc := a.adminService()
	t := time.NewTicker(lapseInterval)
	defer t.Stop()
	for {
		if err := svc.LapseExemptions(ctx); err != nil && ctx.Err() == nil {
			a.logger.ErrorContext(ctx, "lapse exemptions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startLapse runs runLapse in the background and returns the function
// that stops it and waits for it.
func (a *app) startLapse(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { runLapse(ctx, a) })
	return func() {
		cancel()
		wg.Wait()
	}
}
