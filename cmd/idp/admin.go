package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotelsoft/idp/idp"
	"github.com/hotelsoft/idp/login"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	if err := parseFlags(newFlagSet("migrate", cfg, stderr), cfg, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if !cfg.JSON {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("client: want create, list, delete, grant or rotate-secret")
	}
	switch args[0] {
	case "create":
		return runClientCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runClientList(ctx, args[1:], stdout, stderr)
	case "delete":
		return runClientDelete(ctx, args[1:], stdout, stderr)
	case "grant":
		return runClientGrant(ctx, args[1:], stdout, stderr)
	case "rotate-secret":
		return runClientRotate(ctx, args[1:], stdout, stderr)
	}
	return usagef("client: unknown subcommand %q; want create, list, delete, grant or rotate-secret", args[0])
}

func runClientCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("client create", cfg, stderr)
	var spec idp.ClientSpec
	var redirects, logouts, locks stringList
	fs.StringVar(&spec.Name, "name", "", "display name of the client (required)")
	fs.StringVar(&spec.Type, "type", "", "application type: web or native (required)")
	fs.Var(&redirects, "redirect-uri", "redirect URI; repeat for several (at least one)")
	fs.Var(&logouts, "post-logout-redirect-uri", "post-logout redirect URI; repeatable")
	fs.Var(&locks, "post-lock-redirect-uri", "post-lock redirect URI; repeatable")
	fs.StringVar(&spec.BackchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout URI")
	fs.BoolVar(&spec.Public, "public", false, "public client without a secret, using PKCE (native clients always are)")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	spec.RedirectURIs, spec.PostLogoutRedirectURIs, spec.PostLockRedirectURIs = redirects, logouts, locks

	st, err := openStore(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	c, secretValue, err := idp.RegisterClient(ctx, st, spec, time.Now())
	if err != nil {
		return err
	}
	if cfg.JSON {
		out := map[string]string{"client_id": c.ID}
		if secretValue != "" {
			out["client_secret"] = secretValue
		}
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "client_id:     %s\n", c.ID)
	if secretValue != "" {
		fmt.Fprintf(stdout, "client_secret: %s\n\nThe secret is shown only now; store it in the client's configuration.\n", secretValue)
	}
	return nil
}

type clientJSON struct {
	ClientID               string   `json:"client_id"`
	Name                   string   `json:"name"`
	ApplicationType        string   `json:"application_type"`
	Public                 bool     `json:"public"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	PostLockRedirectURIs   []string `json:"post_lock_redirect_uris"`
	BackchannelLogoutURI   string   `json:"backchannel_logout_uri,omitempty"`
	CreatedAt              string   `json:"created_at"`
}

func runClientList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	if err := parseFlags(newFlagSet("client list", cfg, stderr), cfg, args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	clients, err := st.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("list clients: %w", err)
	}
	out := make([]clientJSON, 0, len(clients))
	for _, c := range clients {
		out = append(out, clientJSON{
			ClientID: c.ID, Name: c.Name, ApplicationType: c.ApplicationType, Public: c.Public(),
			RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
			PostLockRedirectURIs: nonNil(c.PostLockRedirectURIs), BackchannelLogoutURI: c.BackchannelLogoutURI,
			CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339),
		})
	}
	if cfg.JSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tREDIRECT URIS")
	for _, c := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ClientID, c.Name, c.ApplicationType, strings.Join(c.RedirectURIs, " "))
	}
	return tw.Flush()
}

func runClientDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("client delete", cfg, stderr)
	id := fs.String("client-id", "", "ID of the client to delete (required)")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("client delete: --client-id is required")
	}
	st, err := openStore(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.DeleteClient(ctx, *id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("client %q not found", *id)
	} else if err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	if !cfg.JSON {
		fmt.Fprintf(stdout, "deleted client %s\n", *id)
	}
	return nil
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("user: want invite, list, grant, revoke, reset-2fa, exempt, unexempt or import")
	}
	switch args[0] {
	case "invite":
		return runUserInvite(ctx, args[1:], stdout, stderr)
	case "list":
		return runUserListAll(ctx, args[1:], stdout, stderr)
	case "grant":
		return runUserGrant(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runUserRevoke(ctx, args[1:], stdout, stderr)
	case "reset-2fa":
		return runUserReset2FA(ctx, args[1:], stdout, stderr)
	case "exempt":
		return runUserExempt(ctx, args[1:], stdout, stderr)
	case "unexempt":
		return runUserUnexempt(ctx, args[1:], stdout, stderr)
	case "import":
		return runUserImport(ctx, args[1:], stdout, stderr)
	}
	return usagef("user: unknown subcommand %q; want invite, list, grant, revoke, reset-2fa, exempt, unexempt or import", args[0])
}

func runUserInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("user invite", cfg, stderr)
	var inv login.Invite
	fs.StringVar(&inv.Email, "email", "", "email address of the new user (required)")
	fs.StringVar(&inv.Name, "name", "", "full name of the new user (required)")
	fs.StringVar(&inv.Locale, "locale", "", "language of the user's pages and emails: en, nl, fr, de or es")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if err := validateInvite(inv); err != nil {
		return err
	}
	logger := cfg.newLogger(stderr)
	keys, err := loadKeys(cfg, logger)
	if err != nil {
		return err
	}
	composer, err := mail.NewComposer(cfg.ProductName, keys, nil)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	// The welcome email waits in the outbox until a running server sends it.
	userID, link, err := login.InviteUserWithEmail(ctx, st, composer, cfg.Issuer, inv, time.Now())
	if err != nil {
		return err
	}
	if cfg.JSON {
		return writeJSON(stdout, map[string]string{"user_id": userID, "invitation_url": link})
	}
	fmt.Fprintf(stdout, "Invited %s (user %s). Send them this one-time link, valid for 7 days:\n\n    %s\n", inv.Email, userID, link)
	return nil
}

func validateInvite(inv login.Invite) error {
	var errs []error
	if err := store.ValidateEmail(strings.TrimSpace(inv.Email)); err != nil {
		errs = append(errs, usagef("user invite: --email: %v", err))
	}
	if strings.TrimSpace(inv.Name) == "" {
		errs = append(errs, usagef("user invite: --name is required"))
	}
	switch inv.Locale {
	case "", "en", "nl", "fr", "de", "es":
	default:
		errs = append(errs, usagef("user invite: --locale %q: want en, nl, fr, de or es", inv.Locale))
	}
	if len(errs) > 0 {
		return usageError{errors.Join(errs...).Error()}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
