package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotelsoft/idp/login/admin"
	"github.com/hotelsoft/idp/login/mail"
	"github.com/hotelsoft/idp/store"
	"github.com/hotelsoft/idp/store/sqlstore"
)

// The admin subcommands run as the operator, who holds every permission;
// each writes the same audit events as the console, with detail via=cli.

// openAdmin opens the store and the admin service for a subcommand. The
// service composes emails, which wait in the outbox until a running
// server sends them.
func openAdmin(ctx context.Context, cfg *config, stderr io.Writer) (*sqlstore.Store, *admin.Service, error) {
	logger := cfg.newLogger(stderr)
	keys, err := loadKeys(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	composer, err := mail.NewComposer(cfg.ProductName, keys, nil)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	svc := admin.NewService(admin.Config{Store: st, Issuer: cfg.Issuer, Mail: composer, Logger: logger})
	return st, svc, nil
}

// cliError turns a service error into a message for the terminal.
func cliError(what string, err error) error {
	var in *admin.InputError
	switch {
	case errors.Is(err, admin.ErrNotFound):
		return fmt.Errorf("%s: not found", what)
	case errors.As(err, &in):
		return fmt.Errorf("%s: %s", what, in.Detail)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// userIDByEmail finds the user with the address email.
func userIDByEmail(ctx context.Context, svc *admin.Service, email string) (string, error) {
	if strings.TrimSpace(email) == "" {
		return "", usagef("--email is required")
	}
	id, err := svc.UserByEmail(ctx, admin.OperatorActor(), email)
	if err != nil {
		return "", cliError("user "+email, err)
	}
	return id, nil
}

func runUserListAll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("user list", cfg, stderr)
	filter := fs.String("filter", "", "only users who are: no_2fa, has_2fa, invited, exempt or disabled")
	search := fs.String("search", "", "only users whose name or email address contains this")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	out := []admin.UserJSON{}
	q := store.UserQuery{Filter: store.UserFilter(*filter), Search: *search, Limit: 500}
	for {
		page, err := svc.ListUsers(ctx, admin.OperatorActor(), q)
		if err != nil {
			return cliError("list users", err)
		}
		for _, u := range page {
			out = append(out, admin.NewUserJSON(u))
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].EmailKey
	}
	if cfg.JSON {
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER ID\tEMAIL\tNAME\tSTATUS\tAUTHENTICATION\tLAST SIGN-IN")
	for _, u := range out {
		last := "never"
		if u.LastSignIn != nil {
			last = *u.LastSignIn
		}
		auth := u.Authentication
		if u.ExemptUntil != nil {
			auth += " until " + *u.ExemptUntil
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.UserID, u.Email, u.Name, u.Status, auth, last)
	}
	return tw.Flush()
}

// flagAdder defines string flags; *flag.FlagSet is one.
type flagAdder interface {
	String(name, value, usage string) *string
}

// userAction runs the subcommand name, such as "user grant", which takes
// --email and acts on that user.
func userAction(ctx context.Context, name string, args []string, stdout, stderr io.Writer,
	extra func(fs flagAdder) func() error,
	act func(svc *admin.Service, userID string) error, done string) error {
	cfg := &config{}
	fs := newFlagSet(name, cfg, stderr)
	email := fs.String("email", "", "email address of the user (required)")
	check := func() error { return nil }
	if extra != nil {
		check = extra(fs)
	}
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := userIDByEmail(ctx, svc, *email)
	if err != nil {
		return err
	}
	if err := act(svc, id); err != nil {
		return cliError(name, err)
	}
	if cfg.JSON {
		return writeJSON(stdout, map[string]string{"user_id": id})
	}
	fmt.Fprintf(stdout, "%s: %s\n", *email, done)
	return nil
}

func runUserReset2FA(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return userAction(ctx, "user reset-2fa", args, stdout, stderr, nil, func(svc *admin.Service, id string) error {
		return svc.Reset2FA(ctx, admin.OperatorActor(), id)
	}, "2FA reset; every session ended; the user sets up a method at the next sign-in")
}

func runUserExempt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var reason, until *string
	var untilTime time.Time
	extra := func(fs flagAdder) func() error {
		reason = fs.String("reason", "", "why the user signs in without 2FA (required)")
		until = fs.String("until", "", "end of the exemption: RFC 3339 time or YYYY-MM-DD (through that day, UTC); empty for no end")
		return func() error {
			if strings.TrimSpace(*reason) == "" {
				return usagef("user exempt: --reason is required")
			}
			t, err := parseUntil(*until)
			if err != nil {
				return usagef("user exempt: --until %q: want an RFC 3339 time or YYYY-MM-DD", *until)
			}
			untilTime = t
			return nil
		}
	}
	return userAction(ctx, "user exempt", args, stdout, stderr, extra, func(svc *admin.Service, id string) error {
		return svc.Exempt(ctx, admin.OperatorActor(), id, *reason, untilTime)
	}, "on the 2FA exception list")
}

// parseUntil parses an RFC 3339 time, or a date meaning the end of that
// day in UTC; "" is the zero time.
func parseUntil(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, err
	}
	return d.Add(24 * time.Hour), nil
}

func runUserUnexempt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return userAction(ctx, "user unexempt", args, stdout, stderr, nil, func(svc *admin.Service, id string) error {
		return svc.Unexempt(ctx, admin.OperatorActor(), id)
	}, "removed from the 2FA exception list; every session ended")
}

func runUserGrant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var perm, property *string
	extra := func(fs flagAdder) func() error {
		perm = fs.String("permission", "", "manage_users, reset_2fa, manage_clients or view_audit (required)")
		property = fs.String("property", "", "property ID; empty for every property")
		return func() error {
			if *perm == "" {
				return usagef("user grant: --permission is required")
			}
			return nil
		}
	}
	return userAction(ctx, "user grant", args, stdout, stderr, extra, func(svc *admin.Service, id string) error {
		return svc.Grant(ctx, admin.OperatorActor(), id, store.Permission(*perm), *property)
	}, "permission granted")
}

func runUserRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var perm, property *string
	extra := func(fs flagAdder) func() error {
		perm = fs.String("permission", "", "manage_users, reset_2fa, manage_clients or view_audit (required)")
		property = fs.String("property", "", "property ID of the grant; empty for the grant on every property")
		return func() error {
			if *perm == "" {
				return usagef("user revoke: --permission is required")
			}
			return nil
		}
	}
	return userAction(ctx, "user revoke", args, stdout, stderr, extra, func(svc *admin.Service, id string) error {
		return svc.RevokeGrant(ctx, admin.OperatorActor(), id, store.Permission(*perm), *property)
	}, "permission revoked")
}

// maxImportLine bounds one line of an import file.
const maxImportLine = 64 << 10

func runUserImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := &config{}
	fs := newFlagSet("user import", cfg, stderr)
	file := fs.String("file", "-", "JSON lines of {email, name, locale, password_hash, properties}; - reads standard input")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("user import: %w", err)
		}
		defer f.Close()
		in = f
	}
	st, svc, err := openAdmin(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	return importUsers(ctx, svc, in, stdout, cfg.JSON)
}

// importResult is one line of the import report.
type importResult struct {
	Line   int    `json:"line"`
	Email  string `json:"email,omitempty"`
	UserID string `json:"user_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// importUsers imports each line of in and reports every line; a bad line
// is reported and skipped. It fails when any line failed.
func importUsers(ctx context.Context, svc *admin.Service, in io.Reader, stdout io.Writer, asJSON bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), maxImportLine)
	var results []importResult
	failed := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		res := importResult{Line: n}
		var u admin.ImportedUser
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			res.Error = "not a JSON object of the import format"
		} else {
			res.Email = u.Email
			id, err := svc.Import(ctx, admin.OperatorActor(), u)
			if err != nil {
				res.Error = cliError("import", err).Error()
			}
			res.UserID = id
		}
		if res.Error != "" {
			failed++
		}
		results = append(results, res)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("user import: read: %w", err)
	}
	if asJSON {
		if results == nil {
			results = []importResult{}
		}
		if err := writeJSON(stdout, results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.Error != "" {
				fmt.Fprintf(stdout, "line %d: %s\n", r.Line, r.Error)
			} else {
				fmt.Fprintf(stdout, "line %d: imported %s (user %s)\n", r.Line, r.Email, r.UserID)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("user import: %d of %d lines failed", failed, len(results))
	}
	return nil
}
