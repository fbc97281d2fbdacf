package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// controlKeyFrom is where a command finds the tenant directory's control
// key: the file its flag names, else $CELLFABRIC_CONTROL_KEY, else (when
// localKeyFile is set) the file `cellfabric local` writes. Both the file
// and the variable hold exactly one key as id=secret. `cellfabric tenants`
// (--key-file) and `cellfabric route` (--control-key-file) read it this way.
type controlKeyFrom struct {
	// file is the key file flag's value; "" for none.
	file string
	// getenv reads $CELLFABRIC_CONTROL_KEY.
	getenv func(string) string
	// localKeyFile returns where `cellfabric local` writes its key by
	// default; nil: not looked at.
	localKeyFile func() string
	// unreadable says what to do when file cannot be read.
	unreadable string
	// none is the error when no key is found anywhere.
	none string
}

// load returns the control key. Its secret is never part of an error.
func (k controlKeyFrom) load() (edgeauth.Key, error) {
	readFile := func(path string) (edgeauth.Key, error) { return readControlKeyFile(path, k.unreadable) }
	if k.file != "" {
		return readFile(k.file)
	}
	if v := k.getenv(EnvControlKey); v != "" {
		return parseControlKey(v, "$"+EnvControlKey)
	}
	if k.localKeyFile != nil {
		if path := k.localKeyFile(); path != "" {
			// Read at once: a missing file is no key, any other failure is said.
			if key, err := readFile(path); !errors.Is(err, fs.ErrNotExist) {
				return key, err
			}
		}
	}
	return edgeauth.Key{}, errors.New(k.none)
}

// parseControlKey reads one control key, id=secret, from text (from names
// where it came from, for errors).
func parseControlKey(text, from string) (edgeauth.Key, error) {
	keys, err := edgeauth.ParseKeys(text)
	if err != nil {
		return edgeauth.Key{}, fmt.Errorf("control key from %s: %w", from, err)
	}
	if len(keys) != 1 {
		return edgeauth.Key{}, fmt.Errorf("control key from %s: %d keys; give exactly one, as id=secret", from, len(keys))
	}
	return keys[0], nil
}

// readControlKeyFile reads the control key file at path (parseControlKey);
// hint says what to do when it cannot be read.
func readControlKeyFile(path, hint string) (edgeauth.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return edgeauth.Key{}, fmt.Errorf("reading the control key: %w; %s", err, hint)
	}
	return parseControlKey(string(data), path)
}
