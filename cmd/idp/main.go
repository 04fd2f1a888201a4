// Command idp runs the identity provider and its administration commands.
//
//	idp serve     run the server (migrates the database first)
//	idp migrate   apply database migrations
//	idp client    create, list or delete OIDC clients
//	idp user      invite, list and manage users
//	idp property  manage properties and their staff
//	idp audit     read the audit log
//	idp keys      rotate or list token signing keys
//
// Global flags stand after the subcommand, for example
// `idp serve --database-url postgres://...`; run `idp COMMAND -h` for them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: idp COMMAND [flags]

commands:
  serve                      run the server (migrates the database first)
  migrate                    apply database migrations
  client create|list|delete|grant|rotate-secret
                             manage OIDC clients
  user invite|list|grant|revoke|reset-2fa|exempt|unexempt|import
                             manage users, their 2FA and permissions
  property create|list|add-user|remove-user
                             manage properties (hotels) and their staff
  audit list                 read the audit log
  keys rotate|list           publish a new signing key, list the published ones

Run "idp COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code: 0 on
// success, 2 for a usage error, 1 for any other failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if help, ok := groupUsage[args[0]]; ok && len(args) > 1 && isHelpFlag(args[1]) {
		fmt.Fprint(stdout, help)
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, args[1:], stdout, stderr)
	case "client":
		err = runClient(ctx, args[1:], stdout, stderr)
	case "user":
		err = runUser(ctx, args[1:], stdout, stderr)
	case "audit":
		err = runAudit(ctx, args[1:], stdout, stderr)
	case "property":
		err = runProperty(ctx, args[1:], stdout, stderr)
	case "keys":
		err = runKeys(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "idp: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "idp: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "idp: %v\n", err)
		return 1
	}
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// parseFlags parses args into fs and validates the global settings.
func parseFlags(fs *flag.FlagSet, cfg *config, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	return requireDatabaseFile(fs.Name(), cfg.DatabaseURL)
}
