package throttle

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Attempt is one attempt taken by Limiter.Begin, counted as a failure
// until Succeeded is called.
type Attempt struct {
	limiter    *Limiter
	accountKey string
	addressKey string
	once       sync.Once
}

// Succeeded clears the account's failures at the step and takes the
// attempt back from the address. Calls after the first do nothing and
// return nil. It runs even when ctx has ended, so a user who got through is
// not left counted as failing.
func (a *Attempt) Succeeded(ctx context.Context) error {
	var err error
	a.once.Do(func() {
		ctx = context.WithoutCancel(ctx)
		st := a.limiter.store
		if e := st.ForgiveAttempt(ctx, a.accountKey, true); e != nil {
			err = fmt.Errorf("throttle: clear account failures: %w", e)
		}
		if e := st.ForgiveAttempt(ctx, a.addressKey, false); e != nil {
			err = errors.Join(err, fmt.Errorf("throttle: give back address attempt: %w", e))
		}
	})
	return err
}
