package components_test

import (
	"fmt"
	"strings"
	"testing"

	awsprov "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	gcpprov "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/aws"
	"github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/gcp"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// cloudCase is one cloud's cell with a region of that cloud and a provider
// constructor for it.
type cloudCase struct {
	cloud    fabric.Cloud
	build    cell.Constructor
	region   string
	provider func(ctx *pulumi.Context, region string) (pulumi.ProviderResource, error)
}

// clouds lists every cell implementation with a region of its cloud and a
// provider constructor for that region: the one thing cell.Args cannot hold
// in common.
var clouds = []cloudCase{
	{fabric.AWS, aws.Constructor, "us-east-1", func(ctx *pulumi.Context, r string) (pulumi.ProviderResource, error) {
		return awsprov.NewProvider(ctx, "p", &awsprov.ProviderArgs{Region: pulumi.String(r)})
	}},
	{fabric.Azure, azure.Constructor, "westeurope", func(ctx *pulumi.Context, r string) (pulumi.ProviderResource, error) {
		return azurenative.NewProvider(ctx, "p", &azurenative.ProviderArgs{Location: pulumi.String(r)})
	}},
	{fabric.GCP, gcp.Constructor, "europe-west1", func(ctx *pulumi.Context, r string) (pulumi.ProviderResource, error) {
		return gcpprov.NewProvider(ctx, "p", &gcpprov.ProviderArgs{Region: pulumi.String(r), Project: pulumi.String("conformance")})
	}},
}

// setup records c's cell as the infra program builds it: behind c's
// provider, passed in a pulumi.Providers list.
func (c cloudCase) setup() celltest.Setup[cell.Cell] {
	return celltest.Setup[cell.Cell]{
		New: c.build, Type: fmt.Sprintf("cellfabric:%s:Cell", c.cloud), Name: "conf-cell", Stack: "conformance", Providers: true,
		Provider: func(ctx *pulumi.Context) (pulumi.ProviderResource, error) { return c.provider(ctx, c.region) },
	}
}

// commonArgs is the one cell.Args every cloud gets (Region aside).
func commonArgs(region string) cell.Args {
	return cell.Args{
		ID:           "conf-cell",
		Region:       region,
		CIDR:         "10.77.0.0/16",
		Hostname:     "conf-cell.cells.example.com",
		Image:        pulumi.String("ghcr.io/cellfabric/cell:0.1.0"),
		Port:         9090,
		HealthPath:   "/live",
		Env:          pulumi.StringMap{"MODE": pulumi.String("conformance")},
		MinInstances: 1,
		MaxInstances: 4,
		Tenants:      []string{"acme"},
		Tags:         map[string]string{"suite": "conformance"},
		EdgeKey:      pulumi.ToSecret(pulumi.String("conformance-edge-key-0123456789")).(pulumi.StringOutput),
		EdgeKeyID:    "k7",
		IngressCIDRs: pulumi.ToStringArray([]string{"173.245.48.0/20", "2400:cb00::/32"}),
	}
}

// TestCellContractConformance runs the same cell.Args through every cloud's
// cell and checks the contract: the component type, every child under it
// and on the caller's provider, and every cell.Outputs field set and
// consistent with the arguments.
func TestCellContractConformance(t *testing.T) {
	t.Parallel()
	for _, c := range clouds {
		t.Run(string(c.cloud), func(t *testing.T) {
			t.Parallel()
			args := commonArgs(c.region)
			run := c.setup().Deploy(t, args)
			rec, built := run.Rec, run.Cell
			comps := rec.OfType(fmt.Sprintf("cellfabric:%s:Cell", c.cloud))
			if len(comps) != 1 {
				t.Fatalf("want one cellfabric:%s:Cell component, got %d", c.cloud, len(comps))
			}
			comp := comps[0]
			kids := rec.Descendants(comp.URN)
			if len(kids) < 10 {
				t.Fatalf("only %d resources under the cell", len(kids))
			}
			if checked := celltest.CheckTree(t, rec, comp, run.Provider, providerPkg(c.cloud)+":"); len(checked) == 0 {
				t.Errorf("no %s resource under the cell to check the provider of", c.cloud)
			}

			o := built.Outputs()
			fields := map[string]pulumi.StringOutput{
				"ID": o.ID, "Cloud": o.Cloud, "Region": o.Region, "Endpoint": o.Endpoint,
				"HealthURL": o.HealthURL, "NetworkID": o.NetworkID, "CIDR": o.CIDR,
				"StateStoreID": o.StateStoreID, "WorkloadIdentity": o.WorkloadIdentity,
			}
			got := map[string]string{}
			for name, out := range fields {
				aw, err := recorder.Await(out)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				s, _ := aw.Value.(string)
				if !aw.Known || s == "" {
					t.Errorf("output %s is empty", name)
				}
				if aw.Secret {
					t.Errorf("output %s is secret; contract outputs are public", name)
				}
				got[name] = s
			}
			want := map[string]string{"ID": args.ID, "Cloud": string(c.cloud), "Region": c.region, "CIDR": args.CIDR}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if !strings.HasPrefix(got["Endpoint"], "https://") {
				t.Errorf("endpoint %q is not https", got["Endpoint"])
			}
			if got["HealthURL"] != strings.TrimSuffix(got["Endpoint"], "/")+args.HealthPath {
				t.Errorf("health URL %q is not endpoint %q + %q", got["HealthURL"], got["Endpoint"], args.HealthPath)
			}
		})
	}
}

// TestCellRejectsBadArgsBeforeRegistering: the contract's Normalize runs
// first on every cloud, so a bad cell.Args registers nothing.
func TestCellRejectsBadArgsBeforeRegistering(t *testing.T) {
	t.Parallel()
	for _, c := range clouds {
		t.Run(string(c.cloud), func(t *testing.T) {
			t.Parallel()
			args := commonArgs(c.region)
			args.CIDR = "8.8.8.0/29"
			args.EdgeKey = nil
			s := c.setup()
			s.Name, s.Provider = "bad", nil
			r := s.Record(args)
			if r.Err == nil || !strings.Contains(r.Err.Error(), "EdgeKey") || !strings.Contains(r.Err.Error(), "CIDR") {
				t.Fatalf("want errors naming EdgeKey and CIDR, got %v", r.Err)
			}
			celltest.NothingRegistered(t, r.Rec)
		})
	}
}

func providerPkg(c fabric.Cloud) string {
	if c == fabric.Azure {
		return "azure-native"
	}
	return string(c)
}
