package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"

	"github.com/hotelsoft/idp/idp/secret"
)

// validateListen checks --listen: host:port with a port from 1 to 65535,
// or 0 for a port the system picks.
func validateListen(listen string) error {
	_, err := splitListen("--listen", listen)
	return err
}

// splitListen returns the host of addr, the host:port value of flagName,
// after checking that its port is from 1 to 65535, or 0 for a port the
// system picks.
func splitListen(flagName, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: want host:port: %w", flagName, addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%s %q: the port must be a number from 1 to 65535, or 0 for any free port", flagName, addr)
	}
	return host, nil
}

// validateKeyFile checks an existing master key file: its mode and its
// content. A missing file is left to the start, which creates the default
// one and reports any other.
func validateKeyFile(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, _, err := secret.LoadOrCreateMasterKey(path, false); err != nil {
		return fmt.Errorf("--secret-key-file: %w", err)
	}
	return nil
}
