package program

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/stacks"
)

// TestLoadTopologyMatchesFile loads the dev stack through a Pulumi context (as
// `pulumi up` does) and through the file reader, and expects the same model.
func TestLoadTopologyMatchesFile(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ReadStackFile("../../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := sf.Topology()
	if err != nil {
		t.Fatal(err)
	}
	var fromCtx *stacks.Topology
	err = recorder.New().Run(recorder.Options{Project: sf.Project, Stack: sf.Stack, Config: sf.Config}, func(ctx *pulumi.Context) error {
		var err error
		fromCtx, err = LoadTopology(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromCtx.Cells) != len(fromFile.Cells) || len(fromCtx.Tenants) != len(fromFile.Tenants) || fromCtx.Stack != "dev" {
		t.Fatalf("context and file disagree: %+v vs %+v", fromCtx, fromFile)
	}
	for i := range fromFile.Cells {
		if fromCtx.Cells[i].CIDR != fromFile.Cells[i].CIDR || fromCtx.Cells[i].ASN != fromFile.Cells[i].ASN {
			t.Fatalf("cell %d differs", i)
		}
	}
}
