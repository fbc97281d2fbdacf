// The cellfabric Pulumi program: `pulumi up` runs this (Pulumi.yaml has
// `main: infra/`). All the work is in package program, which `cellfabric
// synth` and the tests run in-process against the recording engine.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/infra/program"
)

func main() {
	pulumi.Run(program.Run)
}
