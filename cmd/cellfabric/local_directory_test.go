package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// The directory's feed, in process: what `cellfabric tenants` writes
// through the control listener is what the router reads with Load and
// Changes.
func TestLocalDirectoryFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	snap, err := router.Compile(&router.Registry{Version: router.SchemaVersion, Epoch: 1, Cells: []router.Cell{
		{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "http://127.0.0.1:1", Weight: 100, Geo: "us"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	keyPath := localKeyPath("", dataDir)
	edge := edgeauth.Key{ID: "k1", Secret: []byte("the-edge-key-of-this-test-run")}
	key, err := newLocalControlKey(keyPath, edge)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := newLocalDirectory("127.0.0.1:0", dataDir, keyPath, key, func() *router.Snapshot { return snap }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ld.close(ctx)
	if keyPath != filepath.Join(dataDir, "control.key") {
		t.Fatalf("key path %s", keyPath)
	}
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("control key file: %v, %v", st, err)
	}
	feed := ld.feed()
	pos, err := feed.Load(ctx, func([]router.Tenant) error { t.Fatal("the directory starts empty"); return nil })
	if err != nil || pos == "" {
		t.Fatalf("Load: %q, %v", pos, err)
	}
	var out, errb bytes.Buffer
	code := tenantsMain(ctx, []string{"add", "newco", "--cell", "aws-use1", "--api", "http://" + ld.addr(), "--key-file", keyPath}, &out, &errb, noEnv)
	if code != 0 {
		t.Fatalf("tenants add: %d %s", code, errb.String())
	}
	time.Sleep(2 * time.Millisecond) // a journal record is read once its millisecond is over
	changes, _, err := feed.Changes(ctx, pos)
	if err != nil || len(changes) != 1 || changes[0].ID != "newco" || changes[0].Entry.Cell != "aws-use1" || changes[0].Epoch != 1 {
		t.Fatalf("Changes: %+v, %v", changes, err)
	}
	var loaded []string
	if _, err := feed.Load(ctx, func(ts []router.Tenant) error {
		for _, tn := range ts {
			loaded = append(loaded, tn.ID)
		}
		return nil
	}); err != nil || strings.Join(loaded, ",") != "newco" {
		t.Fatalf("Load: %v, %v", loaded, err)
	}
	// With --data-dir the directory outlives the run.
	ld.close(ctx)
	again, err := newLocalDirectory("127.0.0.1:0", dataDir, keyPath, key, func() *router.Snapshot { return snap }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close(ctx)
	if e, found, err := again.dir.Get(ctx, "newco"); err != nil || !found || e.Epoch != 1 {
		t.Fatalf("after a restart: %+v, %v, %v", e, found, err)
	}
}

// `cellfabric local` serves the control API with a key made for the run:
// the banner names the key's file, never the secret, and `cellfabric
// tenants` works against it.
func TestLocalServesTheControlAPI(t *testing.T) {
	t.Parallel()
	lr := startLocal(t)
	m := regexp.MustCompile(`directory (http://\S+) .*--api \S+ --key-file (\S+)\n`).FindStringSubmatch(lr.stdout.String())
	if m == nil {
		t.Fatalf("no directory line in the banner:\n%s", lr.stdout.String())
	}
	api, keyFile := m[1], m[2]
	secret, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	_, s, _ := strings.Cut(strings.TrimSpace(string(secret)), "=")
	if s == "" || strings.Contains(lr.stdout.String()+lr.stderr.String(), s) {
		t.Fatal("the control key's secret is printed, or the file holds none")
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := tenantsMain(context.Background(), append(args, "--api", api, "--key-file", keyFile), &out, &errb, noEnv)
		return code, out.String(), errb.String()
	}
	if code, _, stderr := run("add", "newco", "--cell", "aws-use1"); code != 0 {
		t.Fatalf("add: %d %s", code, stderr)
	}
	if code, stdout, stderr := run("show", "newco"); code != 0 || !strings.Contains(stdout, "aws-use1") {
		t.Fatalf("show: %d %s %s", code, stdout, stderr)
	}
	// The router follows the directory without a restart: the new tenant
	// routes to its cell, and a change of cell moves its requests.
	lr.eventually(t, "newco", "aws-use1", 5*time.Second)
	if code, _, stderr := run("set", "newco", "--cell", "gcp-usc1"); code != 0 {
		t.Fatalf("set: %d %s", code, stderr)
	}
	lr.eventually(t, "newco", "gcp-usc1", 5*time.Second)
	// Validated against the registry the router serves.
	if code, _, stderr := run("add", "other", "--cell", "nowhere"); code != 1 || !strings.Contains(stderr, `unknown cell "nowhere"`) {
		t.Fatalf("unknown cell: %d %s", code, stderr)
	}
}
