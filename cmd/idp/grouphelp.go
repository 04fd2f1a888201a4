package main

// groupUsage is the help of each command that groups subcommands, printed
// by "idp COMMAND -h".
var groupUsage = map[string]string{
	"client": `usage: idp client SUBCOMMAND [flags]

subcommands:
  create          register a relying party and print its client ID and secret
  list            list the registered relying parties
  delete          delete a relying party and revoke its tokens
  grant           give a confidential client admin API permissions
  rotate-secret   replace a client's secret

Run "idp client SUBCOMMAND -h" for the flags of a subcommand.
`,
	"user": `usage: idp user SUBCOMMAND [flags]

subcommands:
  invite      invite a user and print the invitation link
  list        list users with their status and second factors
  grant       give a user a permission
  revoke      take a permission from a user
  reset-2fa   remove a user's second factors
  exempt      put a user on the 2FA exception list
  unexempt    take a user off the 2FA exception list
  import      import users from JSON lines

Run "idp user SUBCOMMAND -h" for the flags of a subcommand.
`,
	"property": `usage: idp property SUBCOMMAND [flags]

subcommands:
  create       create a property (hotel)
  list         list the properties
  add-user     add a user to a property's staff
  remove-user  remove a user from a property's staff

Run "idp property SUBCOMMAND -h" for the flags of a subcommand.
`,
	"audit": `usage: idp audit list [flags]

Run "idp audit list -h" for the flags.
`,
	"keys": `usage: idp keys SUBCOMMAND [flags]

subcommands:
  rotate   publish a new signing key
  list     list the published signing keys

Run "idp keys SUBCOMMAND -h" for the flags of a subcommand.
`,
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}
