package throttle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAddressKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "addr:192.0.2.7"},
		{"192.0.2.7:51234", "addr:192.0.2.7"},
		{"::ffff:192.0.2.7", "addr:192.0.2.7"},
		{"127.0.0.1", "addr:127.0.0.1"},
		{"2001:db8:1:2:3:4:5:6", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "addr:2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:443", "addr:2001:db8:1:2::/64"},
		{"fe80::1%eth0", "addr:fe80::/64"},
		{"::1", "addr:::/64"},
		{"not-an-ip", "addr:not-an-ip"},
	}
	for _, tt := range tests {
		if got := addressKey(tt.in); got != tt.want {
			t.Errorf("addressKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAccountKey(t *testing.T) {
	if got := accountKey(StepTOTP, "user-1"); got != "acct:totp:user-1" {
		t.Errorf("accountKey = %q, want acct:totp:user-1", got)
	}
	long := strings.Repeat("a", 10_000) + "@example.com"
	got := accountKey(StepPassword, long)
	if len(got) > 100 || !strings.HasPrefix(got, "acct:password:sha256:") {
		t.Errorf("accountKey(10 KB account) = %q, want a short hashed key", got)
	}
	if got == accountKey(StepPassword, long+"x") {
		t.Error("two long accounts share a key")
	}
}

func TestThrottledError(t *testing.T) {
	var err error = &ThrottledError{RetryAt: time.Unix(1_700_000_000, 0), Scope: ScopeAccount}
	if !errors.Is(err, ErrThrottled) {
		t.Error("errors.Is(ThrottledError, ErrThrottled) = false")
	}
	if want := "throttle: too many attempts: account blocked until 2023-11-14T22:13:20Z"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig.Validate(); err != nil {
		t.Errorf("DefaultConfig.Validate: %v", err)
	}
	bad := map[string]func(*Config){
		"account free":   func(c *Config) { c.Account.Free = 0 },
		"account delay":  func(c *Config) { c.Account.Delay = 0 },
		"lock after":     func(c *Config) { c.Account.LockAfter = c.Account.Free },
		"lock":           func(c *Config) { c.Account.Lock = 0 },
		"account window": func(c *Config) { c.Account.Window = time.Minute },
		"address free":   func(c *Config) { c.Address.Free = 0 },
		"address window": func(c *Config) { c.Address.Window = 0 },
	}
	for name, change := range bad {
		c := DefaultConfig
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%s) = nil, want an error", name)
		}
	}
}
