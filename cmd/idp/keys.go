package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hotelsoft/idp/idp"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("keys: want rotate or list")
	}
	switch args[0] {
	case "rotate":
		return runKeysRotate(ctx, args[1:], stdout, stderr)
	case "list":
		return runKeysList(ctx, args[1:], stdout, stderr)
	}
	return usagef("keys: unknown subcommand %q; want rotate or list", args[0])
}

// keyPolicy returns the signing key policy of the configuration.
func (c *config) keyPolicy() idp.KeyPolicy {
	return idp.KeyPolicy{
		Algorithm:    c.ops.signingAlg,
		Rotation:     c.ops.keyRotation,
		PublishAhead: c.ops.keyPublishAhead,
	}
}

// runKeysRotate publishes a new signing key of --signing-alg. It signs
// after --key-publish-ahead, so that relying parties see it in the key
// set first, or at once with --now, for a key that may be compromised.
func runKeysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("keys rotate", cfg, stderr)
	now := fs.Bool("now", false, "sign with the new key at once instead of after --key-publish-ahead; relying parties that cached the key set reject new tokens until they fetch it again")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	logger := cfg.newLogger(stderr)
	keys, err := loadKeys(cfg, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	p := cfg.keyPolicy()
	start := time.Now()
	activeFrom := start.Add(max(p.PublishAhead, 10*time.Second))
	if *now {
		activeFrom = start
	}
	k, err := idp.ScheduleSigningKey(ctx, st, keys, p, start, activeFrom)
	if err != nil {
		return fmt.Errorf("rotate signing key: %w", err)
	}
	if cfg.JSON {
		return writeJSON(stdout, map[string]string{
			"key_id": k.ID, "algorithm": k.Algorithm, "active_from": k.ActiveFrom.UTC().Format(time.RFC3339),
		})
	}
	fmt.Fprintf(stdout, "published %s key %s; it signs from %s, and older keys stay published for %v after that\n",
		k.Algorithm, k.ID, k.ActiveFrom.UTC().Format(time.RFC3339), idp.DefaultRetiredKeyRetention)
	return nil
}

type keyJSON struct {
	KeyID      string  `json:"key_id"`
	Algorithm  string  `json:"algorithm"`
	State      string  `json:"state"`
	CreatedAt  string  `json:"created_at"`
	ActiveFrom string  `json:"active_from"`
	RetiredAt  *string `json:"retired_at"`
	ExpiresAt  *string `json:"expires_at"`
}

// runKeysList prints every published signing key with its state: next,
// signing or retired.
func runKeysList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	if err := parseFlags(newFlagSet("keys list", cfg, stderr), cfg, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	infos, err := idp.ListSigningKeys(ctx, st, time.Now())
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(infos))
	for _, k := range infos {
		out = append(out, keyJSON{
			KeyID: k.ID, Algorithm: k.Algorithm, State: k.State,
			CreatedAt: rfc3339(k.CreatedAt), ActiveFrom: rfc3339(k.ActiveFrom),
			RetiredAt: optionalTime(k.RetiredAt), ExpiresAt: optionalTime(k.ExpiresAt),
		})
	}
	if cfg.JSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tALG\tSTATE\tSIGNS FROM\tPUBLISHED UNTIL")
	for _, k := range out {
		until := "-"
		if k.ExpiresAt != nil {
			until = *k.ExpiresAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Algorithm, k.State, k.ActiveFrom, until)
	}
	return tw.Flush()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}
