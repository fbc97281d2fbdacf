package stacks

import "testing"

func TestDevStackLoads(t *testing.T) {
	topo, err := LoadFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Stack != "dev" || topo.Project != "cellfabric" {
		t.Fatalf("stack %q project %q", topo.Stack, topo.Project)
	}
	if got := len(topo.CloudsInUse()); got != 3 {
		t.Fatalf("clouds in use: %d", got)
	}
}
