//go:build linux

package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/aztable"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/dynamo"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
	"github.com/cellfabric/cellfabric/workload/state/open"
)

// twoCloudStack is a topology of one AWS and one Azure cell, each with a
// tenant: the clouds of the move walkthrough, without a GCP cell.
const twoCloudStack = `config:
  cellfabric:cells:
    - {id: aws-use1, cloud: aws, region: us-east-1, cidr: 10.10.0.0/16, asn: 64610, image: i, hostname: aws-use1.cells.example.com}
    - {id: azure-weu, cloud: azure, region: westeurope, cidr: 10.20.0.0/16, asn: 64620, image: i}
  cellfabric:tenants:
    - {id: acme, cell: aws-use1, failover: [azure-weu]}
    - {id: initech, cell: azure-weu, failover: [aws-use1]}
  cellfabric:edge:
    disabled: true
`

// autoEmulator finds a store's line of the --store auto banner and returns
// its endpoint and port.
func (lr *localRun) autoEmulator(t *testing.T, kind contract.Kind, name string) (endpoint string, port int) {
	t.Helper()
	m := regexp.MustCompile(`\n +` + string(kind) + ` on ` + name + ` at (http://127\.0\.0\.1:(\d+)\S*), one table per cell, in memory \(([^)]*)\)`).FindStringSubmatch(lr.stdout.String())
	if m == nil {
		t.Fatalf("the banner has no %s line:\n%s", kind, lr.stdout.String())
	}
	port, _ = strconv.Atoi(m[2])
	return m[1], port
}

// processGroupsOn returns the process groups of the processes whose
// command line has the argument port (an emulator is told its port so).
func processGroupsOn(t *testing.T, port int) map[int]bool {
	t.Helper()
	groups := map[int]bool{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmd), "\x00")
		hasPort := false
		for _, a := range args {
			hasPort = hasPort || a == strconv.Itoa(port) || strings.HasSuffix(a, "="+strconv.Itoa(port))
		}
		if !hasPort {
			continue
		}
		if g := processGroup(e.Name()); g > 0 {
			groups[g] = true
		}
	}
	return groups
}

// processGroup is field 5 of /proc/PID/stat; 0 when the process is gone.
func processGroup(pid string) int {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 3 {
		return 0
	}
	g, _ := strconv.Atoi(f[2])
	return g
}

// livingIn returns the processes still in one of groups.
func livingIn(t *testing.T, groups map[int]bool) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil && groups[processGroup(e.Name())] {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestLocalStoreAuto: with --store auto each cell keeps its data in its own
// cloud's store: the AWS cell in dynalite, the Azure cell in azurite, each
// emulator started once. Writes through the router are read back from each
// emulator with the adapters themselves; stopped, local leaves no emulator
// process behind.
func TestLocalStoreAuto(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stack := filepath.Join(t.TempDir(), "Pulumi.two.yaml")
	if err := os.WriteFile(stack, []byte(twoCloudStack), 0o644); err != nil {
		t.Fatal(err)
	}
	lr := startLocal(t, "--config", stack, "--store", "auto")
	cells := lr.cellStates(t)
	for id, want := range map[string]string{"aws-use1": "dynamodb", "azure-weu": "azuretable"} {
		if got := healthStore(t, cells[id].Endpoint); got != want || cells[id].Store != want {
			t.Errorf("cell %s: store %q (healthz) %q (/local/cells), want %s", id, got, cells[id].Store, want)
		}
	}
	dynEndpoint, dynPort := lr.autoEmulator(t, contract.DynamoDB, "dynalite")
	azEndpoint, azPort := lr.autoEmulator(t, contract.AzureTable, "azurite")
	if strings.Contains(lr.stdout.String(), "firestore") {
		t.Errorf("a Firestore emulator for a topology without a GCP cell:\n%s", lr.stdout.String())
	}
	groups := map[int]bool{}
	for _, port := range []int{dynPort, azPort} {
		g := processGroupsOn(t, port)
		if len(g) == 0 {
			t.Fatalf("no emulator process is told port %d", port)
		}
		for k := range g {
			groups[k] = true
		}
	}

	for _, w := range []struct{ tenant, value string }{{"acme", "gold"}, {"initech", "silver"}} {
		if code, _, body := lr.kv(t, "PUT", w.tenant, "plan", w.value); code != 201 {
			t.Fatalf("PUT %s: %d %s", w.tenant, code, body)
		}
	}
	readBack := func(c open.Config) state.Store {
		t.Helper()
		st, err := open.Open(ctx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	stores := map[string]state.Store{
		"aws-use1": readBack(open.Config{Kind: contract.DynamoDB, Store: "cellfabric-local-aws-use1", Region: localDynamoRegion, Endpoint: dynEndpoint,
			DynamoDB: &dynamo.Options{Credentials: localDynamoCredentials}}),
		"azure-weu": readBack(open.Config{Kind: contract.AzureTable, Store: "stateazureweu", Endpoint: azEndpoint,
			AzureSharedKey: &aztable.SharedKey{Account: emulator.AzuriteAccount, Key: emulator.AzuriteKey}}),
	}
	for _, tc := range []struct{ cell, tenant, want string }{
		{"aws-use1", "acme", "gold"}, {"aws-use1", "initech", ""},
		{"azure-weu", "initech", "silver"}, {"azure-weu", "acme", ""},
	} {
		it, err := stores[tc.cell].Get(ctx, tc.tenant, "plan")
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s's emulator holds %s's key: %q", tc.cell, tc.tenant, it.Value)
		case tc.want != "" && (err != nil || string(it.Value) != tc.want):
			t.Errorf("%s's emulator, %s/plan: %q %v, want %q", tc.cell, tc.tenant, it.Value, err, tc.want)
		}
	}

	if code := lr.stop(t); code != 0 {
		t.Fatalf("local exited with %d: %s", code, lr.stderr.String())
	}
	for _, port := range []int{dynPort, azPort} {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
			c.Close()
			t.Errorf("an emulator still answers on %d after local stopped", port)
		}
	}
	if left := livingIn(t, groups); len(left) != 0 {
		t.Errorf("emulator processes %v are left after local stopped", left)
	}
}

// TestLocalStoreAutoRefusesDataDirForFirestore: --store auto would run the
// dev stack's GCP cells on the Firestore emulator, which cannot keep data:
// with --data-dir local refuses before starting anything, naming them.
func TestLocalStoreAutoRefusesDataDirForFirestore(t *testing.T) {
	t.Parallel()
	var stdout, stderr lockedBuffer
	code := localMain(context.Background(), []string{"--dir", "../..", "--store", "auto", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--control", "127.0.0.1:0", "--control-key", filepath.Join(t.TempDir(), "k")}, nil, &stdout, &stderr)
	want := "--store auto runs cells gcp-euw1, gcp-usc1 on the firestore emulator, which keeps its data in memory only: leave out --data-dir"
	if code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want 1 with %q", code, stderr.String(), want)
	}
}
