// Package migrations embeds the numbered SQL migrations of each database
// dialect.
//
// Files are named NNNN_title.sql under a folder per dialect (sqlite,
// postgres) and run in version order. A released migration is never
// edited, because databases that already applied it would not see the
// change; a fix comes as a new file with the next number. Each file runs in
// its own transaction, and the runner in store/sqlstore records it in the
// schema_migrations table.
//
// Both dialects store every time as BIGINT Unix milliseconds (NULL for
// "not set") and every list as a JSON array in TEXT, so one set of Go types
// scans rows from either.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialects names the supported dialects, which are also the folder names.
var Dialects = []string{"sqlite", "postgres"}

// Migration is one numbered SQL file.
type Migration struct {
	Version int    // the number that prefixes the file name
	Name    string // the file name, such as "0001_init.sql"
	SQL     string
}

// List returns the migrations of dialect in ascending version order. It
// fails for an unknown dialect and for a malformed or duplicate file name.
func List(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("list migrations: unknown dialect %q, want one of %s", dialect, strings.Join(Dialects, ", "))
	}

	var list []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m, err := load(dialect, e.Name())
		if err != nil {
			return nil, err
		}
		if other, ok := seen[m.Version]; ok {
			return nil, fmt.Errorf("list migrations: %s and %s share version %d", other, m.Name, m.Version)
		}
		seen[m.Version] = m.Name
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version < list[j].Version })
	return list, nil
}

// load reads one file and parses the version from its name.
func load(dialect, name string) (Migration, error) {
	prefix, _, ok := strings.Cut(name, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version <= 0 || !strings.HasSuffix(name, ".sql") {
		return Migration{}, fmt.Errorf("list migrations: file %s/%s is not named NNNN_title.sql", dialect, name)
	}
	data, err := files.ReadFile(path.Join(dialect, name))
	if err != nil {
		return Migration{}, fmt.Errorf("list migrations: %w", err)
	}
	return Migration{Version: version, Name: name, SQL: string(data)}, nil
}
