// Command idp-loadtest measures the identity provider with complete
// sign-ins, and the provider library's example server with the same flows
// as a protocol baseline.
//
//	idp-loadtest enrol     invite users and enrol them through the real pages
//	idp-loadtest run       run sign-in or refresh flows and report throughput and latency
//	idp-loadtest ceilings  measure argon2id hashes/s and RS256 signatures/s on this machine
//	idp-loadtest example   serve github.com/zitadel/oidc's example server on a loopback address
//
// A sign-in flow is: authorize (up to the sign-in form), password, TOTP
// (the code page up to the redirect to the relying party), code exchange
// at the token endpoint, and verification of the ID token's signature and
// nonce. Each virtual user runs flows one after another in a fresh cookie
// jar, as a new browser would.
//
// TOTP codes are single-use per 30-second time step and user, and the
// provider accepts one step of skew either way. So every account gives at
// most three sign-ins in its first window and one per 30 s after that.
// The run command therefore takes a pool of enrolled accounts and hands
// each flow an account whose next unused step is still accepted; size the
// pool at 30 x the expected flows per second (the enrol command does this
// once, through the same pages a person uses).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: idp-loadtest COMMAND [flags]

commands:
  enrol      invite users and enrol them with TOTP through the real pages
  run        run sign-in or refresh flows and report flows/s and latency
  ceilings   measure argon2id hashes/s and RS256 signatures/s
  example    serve the zitadel/oidc example server on a loopback address

Run "idp-loadtest COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "idp-loadtest: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "enrol":
		return runEnrol(ctx, args[1:], stdout, stderr)
	case "run":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "ceilings":
		return runCeilings(ctx, args[1:], stdout, stderr)
	case "example":
		return runExample(ctx, args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
