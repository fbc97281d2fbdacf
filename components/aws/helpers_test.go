package aws

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

const (
	testEdgeKey  = "edge-key-7f3a9c1e5b2d8f40a6c3e9b1"
	testImage    = "ghcr.io/cellfabric/cell:1.4.2"
	testHostname = "aws-use1.cells.example.com"
	testStack    = "test"
)

var testIngress = []string{"173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32", "2606:4700::/32"}

// baseArgs are valid arguments for a two-zone cell in us-east-1.
func baseArgs() cell.Args {
	return cell.Args{
		ID:           "aws-use1",
		Region:       "us-east-1",
		CIDR:         "10.10.0.0/16",
		Hostname:     testHostname,
		Image:        pulumi.String(testImage),
		Env:          pulumi.StringMap{"LOG_LEVEL": pulumi.String("debug")},
		MinInstances: 0,
		MaxInstances: 4,
		Tenants:      []string{"acme"},
		Tags:         map[string]string{"team": "platform"},
		EdgeKey:      pulumi.ToSecret(pulumi.String(testEdgeKey)).(pulumi.StringOutput),
		IngressCIDRs: pulumi.ToStringArray(testIngress),
	}
}

// deployment is one recorded run of NewCell.
type deployment = celltest.Run[*Cell]

// setup records NewCell behind an explicit provider for providerRegion;
// withDNS passes a recording DNS function.
func setup(providerRegion string, withDNS bool) celltest.Setup[*Cell] {
	return celltest.Setup[*Cell]{
		New: NewCell, Type: ComponentType, Name: "cell-aws-use1", Stack: testStack, WithDNS: withDNS,
		Provider: func(ctx *pulumi.Context) (pulumi.ProviderResource, error) {
			return aws.NewProvider(ctx, "aws-"+providerRegion, &aws.ProviderArgs{Region: pulumi.String(providerRegion)})
		},
	}
}

// deploy runs NewCell with an explicit us-east-1 provider. withDNS passes a
// recording DNS function.
func deploy(t *testing.T, args cell.Args, withDNS bool) *deployment {
	t.Helper()
	return setup("us-east-1", withDNS).Deploy(t, args)
}

func tryDeploy(args cell.Args, withDNS bool, providerRegion string) (*deployment, error) {
	d := setup(providerRegion, withDNS).Record(args)
	return d, d.Err
}

// in returns a resource input as plain Go values.
func in(r *recorder.Resource, key string) any { return recorder.Plain(r.Input(key)) }

// out returns a resource output as plain Go values.
func out(r *recorder.Resource, key string) any { return recorder.Plain(r.Output(key)) }

// str returns a string input or "".
func str(r *recorder.Resource, key string) string { return recorder.String(r.Input(key)) }

// strs returns a string-array input.
func strs(r *recorder.Resource, key string) []string { return recorder.StringList(r.Input(key)) }

// await resolves an output; awaitStrings a string-array output.
var (
	await        = celltest.Await
	awaitStrings = celltest.AwaitStrings
)

// decode parses a JSON string input into v.
func decode(t *testing.T, r *recorder.Resource, key string, v any) {
	t.Helper()
	s := str(r, key)
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s %s.%s is not JSON: %v\n%s", r.Type, r.Name, key, err, s)
	}
}
