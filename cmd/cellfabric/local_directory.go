package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/server"
)

// Defaults of local's tenant directory.
const (
	// localControlAddr is where local serves the control API, and where
	// `cellfabric tenants` looks for it by default.
	localControlAddr = "127.0.0.1:9091"
	// localControlKeyName is the control key's file name, in --data-dir
	// or the user's cache directory.
	localControlKeyName = "control.key"
	// localControlKeyID is the id of local's control key.
	localControlKeyID = "local-control"
	// localDirectoryDir is the directory store's subdirectory of
	// --data-dir.
	localDirectoryDir = "directory"
)

// localDirectory is local's tenant directory: a Directory over Memory
// (File under --data-dir), empty at start — the stack's tenants stay the
// registry's seed — validated against the registry the router serves,
// with its control API on its own loopback listener and a control key made
// for the run.
type localDirectory struct {
	dir     *directory.Directory
	closeKV func() error
	keyPath string
	ln      net.Listener
	srv     *http.Server
}

var (
	_ server.DirectoryFeed   = (*directory.Directory)(nil)
	_ server.DirectoryGetter = (*directory.Directory)(nil)
	_ server.DirectoryFeed   = dirhttp.Feed{}
	_ server.DirectoryGetter = dirhttp.Feed{}
)

// newLocalControlKey makes the run's control key and writes it to keyPath
// (0600; its secret is never printed): the one key the directory's control
// API and every cell's state admin API verify. edge is the run's edge key,
// which the control key must differ from.
func newLocalControlKey(keyPath string, edge edgeauth.Key) (edgeauth.Key, error) {
	key := newRunKey(localControlKeyID)
	if err := directory.CheckKeysDiffer([]edgeauth.Key{key}, []edgeauth.Key{edge}); err != nil {
		return edgeauth.Key{}, err
	}
	if err := writeControlKey(keyPath, key); err != nil {
		return edgeauth.Key{}, err
	}
	return key, nil
}

// newLocalDirectory opens the directory's store and serves its control API
// on addr, verified with key (newLocalControlKey), whose file is keyPath.
// registry returns the snapshot writes are validated against.
func newLocalDirectory(addr, dataDir, keyPath string, key edgeauth.Key, registry func() *router.Snapshot, logger *slog.Logger) (_ *localDirectory, err error) {
	ld := &localDirectory{keyPath: keyPath, closeKV: func() error { return nil }}
	var kv directory.KV
	if dataDir != "" {
		f, err := directory.OpenFile(filepath.Join(dataDir, localDirectoryDir), nil)
		if err != nil {
			return nil, err
		}
		kv, ld.closeKV = f, f.Close
	} else {
		kv = directory.NewMemory(nil)
	}
	defer func() {
		if err != nil {
			ld.closeKV()
		}
	}()
	if ld.dir, err = directory.New(directory.Config{KV: kv, Registry: registry, Settle: directory.SettleMemory, Logger: logger}); err != nil {
		return nil, err
	}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{key}, edgeauth.VerifierOptions{})
	if err != nil {
		return nil, err
	}
	if ld.ln, err = listenFlag("control", addr); err != nil {
		return nil, fmt.Errorf("%w (127.0.0.1:0 picks a free one)", err)
	}
	mux := http.NewServeMux()
	mux.Handle(directory.BasePath+"/", dirhttp.Handler(ld.dir, v))
	ld.srv = localServer(mux)
	go func() { _ = ld.srv.Serve(ld.ln) }()
	return ld, nil
}

// addr is the control listener's address.
func (ld *localDirectory) addr() string { return ld.ln.Addr().String() }

// feed is the directory as the router reads it, in process: used by the
// router's directory option (router/server) to follow the directory.
func (ld *localDirectory) feed() server.DirectoryFeed { return ld.dir }

// close stops the listener and closes the store.
func (ld *localDirectory) close(ctx context.Context) {
	_ = ld.srv.Shutdown(ctx)
	_ = ld.closeKV()
}

// writeControlKey writes key as "id=secret" to path, readable by the user
// only, replacing the file atomically.
func writeControlKey(path string, key edgeauth.Key) error {
	if path == "" {
		return errors.New("no place for the control key: pass --data-dir or --control-key FILE")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the control key: %w", err)
	}
	if err := writeFileAtomic(path, []byte(key.ID+"="+string(key.Secret)+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the control key to %s: %w", path, err)
	}
	return nil
}

// localKeyPath is where local writes its control key: --control-key, else
// <data-dir>/control.key, else the user's cache directory (where
// `cellfabric tenants` looks by default).
func localKeyPath(flagValue, dataDir string) string {
	switch {
	case flagValue != "":
		return flagValue
	case dataDir != "":
		return filepath.Join(dataDir, localControlKeyName)
	}
	return defaultLocalControlKeyFile()
}
