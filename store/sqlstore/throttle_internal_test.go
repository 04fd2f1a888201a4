package sqlstore

import (
	"testing"
	"time"

	"github.com/hotelsoft/idp/store"
)

func TestBackoff(t *testing.T) {
	cases := []struct {
		name    string
		base    time.Duration
		n       int64
		ceiling time.Duration
		want    time.Duration
	}{
		{"first", 10 * time.Second, 0, 15 * time.Minute, 10 * time.Second},
		{"doubled", 10 * time.Second, 3, 15 * time.Minute, 80 * time.Second},
		{"capped", 10 * time.Minute, 1, 15 * time.Minute, 15 * time.Minute},
		{"no base", 0, 1_000_000, 0, 0},
		{"huge count capped", time.Second, 1 << 62, time.Hour, time.Hour},
	}
	for _, c := range cases {
		if got := backoff(c.base, c.n, c.ceiling); got != c.want {
			t.Errorf("%s: backoff = %v, want %v", c.name, got, c.want)
		}
	}

	// Without a ceiling the delay saturates instead of overflowing.
	if got := backoff(time.Hour, 1<<40, 0); got <= 0 {
		t.Errorf("uncapped backoff = %v, want a large positive delay", got)
	}
}

func TestCounterExpiry(t *testing.T) {
	now := time.UnixMilli(1_767_225_600_000).UTC()
	window := store.ThrottleRule{Free: 3, Window: 10 * time.Minute}
	c, _, _ := counter{}.take(window, now)
	if got := c.expiry(window); !got.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("window counter expiry = %v, want the window end", got)
	}

	locking := store.ThrottleRule{Free: 1, LockAfter: 1, Lock: 48 * time.Hour}
	c, _, _ = counter{}.take(locking, now)
	if got, want := c.expiry(locking), now.Add(48*time.Hour+throttleRetention); !got.Equal(want) {
		t.Errorf("locked counter expiry = %v, want %v (lock end plus retention)", got, want)
	}
}
