package program

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/edge"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/stacks"
)

// OutputRegistry is the registry document the edge wrote to Workers KV: the
// same bytes `cellfabric registry --from <outputs> --epoch <epoch>` prints.
const OutputRegistry = "registry"

// EnvWorkerBundle names a directory holding a prebuilt Worker bundle
// (`go run ./cmd/edgeworker/build -o DIR` writes one). When it is set the
// program uploads that bundle instead of compiling the Worker itself, so a
// CI job can build it once and preview and deploy exactly those bytes.
const EnvWorkerBundle = "CELLFABRIC_WORKER_BUNDLE"

// WorkerSource returns the edge Worker the program uploads.
type WorkerSource func() (bundle.Bundle, error)

// DefaultWorker is the Worker source of `pulumi up` and `pulumi preview`:
// the bundle in $CELLFABRIC_WORKER_BUNDLE when that is set, otherwise the
// Worker compiled now from this module (the Go toolchain Pulumi's Go runtime
// needs anyway builds it; the build is reproducible, so an unchanged source
// uploads an unchanged script).
func DefaultWorker() (bundle.Bundle, error) {
	if dir := os.Getenv(EnvWorkerBundle); dir != "" {
		b, err := bundle.Read(dir)
		if err != nil {
			return bundle.Bundle{}, fmt.Errorf("%s=%s: %w", EnvWorkerBundle, dir, err)
		}
		return b, nil
	}
	b, err := bundle.Build(context.Background(), "")
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("building the edge Worker (or set %s to a prebuilt bundle): %w", EnvWorkerBundle, err)
	}
	return b, nil
}

// placeholderWasm is the smallest valid wasm module: magic and version.
var placeholderWasm = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// PlaceholderScript is the Worker script PlaceholderWorker returns.
const PlaceholderScript = "// cellfabric: placeholder for the edge Worker; `pulumi up` uploads the router built by `go run ./cmd/edgeworker/build`.\n"

// PlaceholderWorker is a Worker source that builds nothing: a one-line
// script and an empty wasm module. `cellfabric synth` and the program's
// tests use it, so a plan neither compiles the Worker nor carries megabytes
// of base64; everything else about the edge is the same as in a deployment.
func PlaceholderWorker() (bundle.Bundle, error) {
	return bundle.Bundle{Script: PlaceholderScript, Wasm: placeholderWasm}, nil
}

// edgeKeyAndCloudflare returns what every role that signs or verifies
// edge requests needs: the edge signing key and the stack's Cloudflare
// provider (cells use it for their DNS records, the edge for everything).
func edgeKeyAndCloudflare(ctx *pulumi.Context, topo *stacks.Topology) (pulumi.StringOutput, *cloudflare.Provider, error) {
	key, err := edgeSigningKey(ctx, topo)
	if err != nil {
		return pulumi.StringOutput{}, nil, err
	}
	cf, err := cloudflareProvider(ctx)
	if err != nil {
		return pulumi.StringOutput{}, nil, err
	}
	return key, cf, nil
}

// buildEdge builds the Cloudflare edge in front of cells (the `cells`
// output's shape: cell id → CellOutputs) and adds its stack outputs to
// exports: the registry it wrote to KV and the control key (secret). Its
// routing half is the topology's.
func buildEdge(ctx *pulumi.Context, topo *stacks.Topology, opts Options, cells cell.CellsOutput, key pulumi.StringInput, cf *cloudflare.Provider, exports pulumi.Map) error {
	args, err := edge.ArgsFromTopology(topo, cells)
	if err != nil {
		return err
	}
	control, err := controlKey(ctx)
	if err != nil {
		return err
	}
	worker, err := opts.Worker()
	if err != nil {
		return err
	}
	args.WorkerScript = pulumi.String(worker.Script)
	args.WorkerWasm = pulumi.String(worker.WasmBase64())
	args.EdgeKey = key
	args.ControlKey = control
	e, err := edge.New(ctx, "edge", args, pulumi.Providers(cf))
	if err != nil {
		return err
	}
	exports[OutputRegistry] = e.Registry
	exports[OutputControlKey] = control
	return nil
}
