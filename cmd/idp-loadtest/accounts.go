package main

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// totpPeriod is the TOTP time step in seconds; the provider accepts one
// step of skew either way.
const totpPeriod = 30

// account is one enrolled test user.
type account struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret,omitempty"` // base32, as in the otpauth URI
	// LastStep is the highest TOTP time step used, so a code is never
	// replayed (the provider would reject it).
	LastStep int64 `json:"last_step,omitempty"`
}

// accountsFile is the file that enrol writes and run reads. It contains
// passwords and TOTP secrets of test accounts, so it has mode 0600.
type accountsFile struct {
	Issuer       string     `json:"issuer"`
	ClientID     string     `json:"client_id"`
	ClientSecret string     `json:"client_secret"`
	RedirectURI  string     `json:"redirect_uri"`
	Accounts     []*account `json:"accounts"`
}

func readAccounts(path string) (*accountsFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f accountsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(f.Accounts) == 0 {
		return nil, fmt.Errorf("%s has no accounts", path)
	}
	return &f, nil
}

func writeAccounts(path string, f *accountsFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// totpCode returns the code of secret (base32) for time step step.
func totpCode(secret string, step int64) (string, error) {
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil {
		return "", fmt.Errorf("TOTP secret is not base32: %w", err)
	}
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// pool hands out accounts, each to one flow at a time. For TOTP it hands
// out only accounts with an unused time step that the provider accepts,
// and the flow takes the code with code when it reaches the TOTP step.
// The code is of the current step or the next one: the provider also
// accepts the previous step, but a code of that step would fail whenever
// the step changes while the flow waits for its password check.
type pool struct {
	mu       sync.Mutex
	accounts []*account
	busy     []bool
	next     int
	needTOTP bool
	waits    int // times a flow found no usable account and waited
}

func newPool(accounts []*account, needTOTP bool) *pool {
	return &pool{accounts: accounts, busy: make([]bool, len(accounts)), needTOTP: needTOTP}
}

// acquire returns the index of a free, usable account, waiting until there
// is one or ctx ends. Call release with the index afterwards.
func (p *pool) acquire(ctx context.Context) (int, error) {
	for {
		if i, ok := p.take(); ok {
			return i, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// take finds a usable account round-robin and marks it busy.
func (p *pool) take() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	current := time.Now().Unix() / totpPeriod
	for range len(p.accounts) {
		i := p.next
		p.next = (p.next + 1) % len(p.accounts)
		if p.busy[i] || (p.needTOTP && p.accounts[i].LastStep > current) {
			continue
		}
		p.busy[i] = true
		return i, true
	}
	p.waits++
	return 0, false
}

// code returns the TOTP code of the first unused step of account i that
// is not in the past, and records the step as used. The account must be
// acquired, so its last step is at most the current one and the returned
// step at most the next one.
func (p *pool) code(i int) (string, error) {
	p.mu.Lock()
	a := p.accounts[i]
	step := max(a.LastStep+1, time.Now().Unix()/totpPeriod)
	a.LastStep = step
	p.mu.Unlock()
	return totpCode(a.TOTPSecret, step)
}

func (p *pool) release(i int) {
	p.mu.Lock()
	p.busy[i] = false
	p.mu.Unlock()
}
