package secret

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateMasterKey reads the hex-encoded master key at path. When the
// file does not exist and create is true, it writes a new random key with
// mode 0600 (creating the folder with mode 0700) and reports created=true.
// A key file readable by group or others is rejected.
func LoadOrCreateMasterKey(path string, create bool) (key []byte, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key = make([]byte, MasterKeySize)
		rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("create master key folder: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create master key: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("write master key: %w", err)
		}
		return key, true, f.Close()
	}
	if err != nil {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("master key %s has mode %v: run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	key, err = hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != MasterKeySize {
		return nil, false, fmt.Errorf("master key %s: want %d hex-encoded bytes", path, MasterKeySize)
	}
	return key, false, nil
}
