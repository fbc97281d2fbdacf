package emulator

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// answers reports whether something accepts connections on port.
func answers(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// TestStartStopRestart: each emulator answers once Start returns, on
// loopback; Stop leaves nothing listening on its port; Restart brings it
// back on the same port; Kill ends it again.
func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	for _, kind := range []contract.Kind{contract.DynamoDB, contract.AzureTable, contract.Firestore} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			e, err := Start(kind, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(e.Stop)
			if e.Kind() != kind || !strings.Contains(e.Endpoint(), fmt.Sprintf("127.0.0.1:%d", e.Port())) {
				t.Errorf("kind %s endpoint %s port %d", e.Kind(), e.Endpoint(), e.Port())
			}
			if err := e.ready()(); err != nil {
				t.Fatalf("started, but does not answer: %v", err)
			}
			e.Stop()
			if answers(e.Port()) {
				t.Fatalf("port %d still answers after Stop", e.Port())
			}
			e.Stop() // again: nothing happens
			if err := e.Restart(); err != nil {
				t.Fatal(err)
			}
			if err := e.ready()(); err != nil {
				t.Fatalf("restarted, but does not answer: %v", err)
			}
			e.Kill()
			if answers(e.Port()) {
				t.Fatalf("port %d still answers after Kill", e.Port())
			}
			if err := e.Signal(0); err == nil {
				t.Error("Signal to a stopped emulator did not fail")
			}
		})
	}
}

// TestShared: the first Get starts the emulator, later ones return the
// same one, and Stop ends it.
func TestShared(t *testing.T) {
	t.Parallel()
	s := &Shared{Kind: contract.DynamoDB}
	e, err := s.Get()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	if again, err := s.Get(); again != e || err != nil {
		t.Fatalf("a second Get returned %p (%v), want the first emulator %p", again, err, e)
	}
	if err := e.ready()(); err != nil {
		t.Fatalf("the shared emulator does not answer: %v", err)
	}
	s.Stop()
	if answers(e.Port()) {
		t.Fatalf("port %d still answers after Stop", e.Port())
	}
	(&Shared{Kind: contract.DynamoDB}).Stop() // never started: nothing to stop
}

// TestStartRefuses: what is missing or impossible is said, with what to do.
func TestStartRefuses(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	env := func(k, v string) func(string) string {
		return func(name string) string {
			if name == k {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		name string
		kind contract.Kind
		o    Options
		want []string
	}{
		{"dynalite not in the named directory", contract.DynamoDB, Options{Getenv: env(EnvDynaliteDir, empty)},
			[]string{"dynalite is not installed in " + EnvDynaliteDir + "=" + empty, "npm install --prefix " + empty + " dynalite@" + DynaliteVersion}},
		{"azurite not in the named directory", contract.AzureTable, Options{Getenv: env(EnvAzuriteDir, empty)},
			[]string{"azurite is not installed in " + EnvAzuriteDir, "azurite@" + AzuriteVersion, "make emulators"}},
		{"no Firestore jar", contract.Firestore, Options{Getenv: env(EnvFirestoreJar, filepath.Join(empty, "none.jar"))},
			[]string{"Firestore emulator is not installed", "google-cloud-cli-firestore-emulator", EnvFirestoreJar}},
		{"Firestore with a data directory", contract.Firestore, Options{DataDir: empty},
			[]string{"in memory only"}},
		{"the embedded store", contract.Embedded, Options{},
			[]string{`no emulator for the state store "embedded"`}},
		{"an unknown store", "redis", Options{},
			[]string{`"redis"`, "dynamodb, azuretable or firestore"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := Start(tc.kind, tc.o)
			if err == nil {
				e.Stop()
				t.Fatal("started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestFindsTheInstallOfMakeEmulators: without the variables, the scripts
// are found in the clone, from this package's directory.
func TestFindsTheInstallOfMakeEmulators(t *testing.T) {
	t.Parallel()
	for _, in := range []npmInstall{dynaliteInstall, azuriteInstall} {
		script, _, err := in.find(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		want, _ := filepath.Abs(filepath.Join("..", "..", "..", in.repoDir, in.entry))
		if script != want {
			t.Errorf("%s: found %s, want %s", in.name, script, want)
		}
	}
}

// TestVersionsMatchTheLocks: the versions the errors name are the ones
// `make emulators` installs.
func TestVersionsMatchTheLocks(t *testing.T) {
	t.Parallel()
	for _, in := range []npmInstall{dynaliteInstall, azuriteInstall} {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", in.repoDir, "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		var pkg struct{ Dependencies, DevDependencies map[string]string }
		if err := json.Unmarshal(data, &pkg); err != nil {
			t.Fatal(err)
		}
		got := pkg.Dependencies[in.name] + pkg.DevDependencies[in.name]
		if got != in.version {
			t.Errorf("%s/package.json pins %s %q; the package says %q", in.repoDir, in.name, got, in.version)
		}
	}
}

// TestTailBuffer keeps the end of what was written.
func TestTailBuffer(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 8}
	fmt.Fprint(b, "0123456")
	fmt.Fprint(b, "789abc")
	if got := b.String(); got != "56789abc" {
		t.Errorf("kept %q, want the last 8 bytes 56789abc", got)
	}
}
