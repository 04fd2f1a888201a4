package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// createsDatabase lists the subcommands that may create a SQLite database
// that does not exist yet. Every other subcommand works on the server's
// database, and a new empty one would only hide a wrong directory or URL.
var createsDatabase = map[string]bool{"serve": true, "migrate": true}

// requireDatabaseFile rejects a command that would open a SQLite database file
// that does not exist, naming its absolute path. PostgreSQL URLs pass.
func requireDatabaseFile(command, databaseURL string) error {
	path, ok := strings.CutPrefix(databaseURL, "sqlite://")
	if !ok || createsDatabase[command] {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s does not exist: run this command from the server's directory, pass --database-url, or run \"idp migrate\" first", abs)
	}
	return nil
}
