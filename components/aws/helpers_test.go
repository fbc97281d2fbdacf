package aws

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
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
type deployment struct {
	rec      *recorder.Recorder
	cell     *Cell
	provider *recorder.Resource
	comp     *recorder.Resource
	dns      *dnsCalls
}

// dnsCalls records the calls a cell makes to its DNS function.
type dnsCalls struct {
	mu    sync.Mutex
	calls []dnsCall
}

type dnsCall struct {
	name string
	rec  cell.DNSRecord
	urn  pulumi.URNOutput
}

// dnsRecord is a stand-in for the infra program's Cloudflare record: a
// custom resource, as the real one is.
type dnsRecord struct{ pulumi.CustomResourceState }

func (d *dnsCalls) fn(ctx *pulumi.Context, name string, rec cell.DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	r := &dnsRecord{}
	props := pulumi.Map{"name": rec.Name, "type": pulumi.String(rec.Type), "content": rec.Value}
	if err := ctx.RegisterResource("test:dns:Record", name, props, r, opts...); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.calls = append(d.calls, dnsCall{name: name, rec: rec, urn: r.URN()})
	d.mu.Unlock()
	return r, nil
}

// deploy runs NewCell with an explicit us-east-1 provider. withDNS passes a
// recording DNS function.
func deploy(t *testing.T, args cell.Args, withDNS bool) *deployment {
	t.Helper()
	d, err := tryDeploy(args, withDNS, "us-east-1")
	if err != nil {
		t.Fatalf("deploying the cell: %v", err)
	}
	return d
}

func tryDeploy(args cell.Args, withDNS bool, providerRegion string) (*deployment, error) {
	d := &deployment{rec: recorder.New()}
	if withDNS {
		d.dns = &dnsCalls{}
		args.DNS = d.dns.fn
	}
	err := d.rec.Run(recorder.Options{Stack: testStack}, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-"+providerRegion, &aws.ProviderArgs{Region: pulumi.String(providerRegion)})
		if err != nil {
			return err
		}
		c, err := NewCell(ctx, "cell-aws-use1", args, pulumi.Provider(p))
		d.cell = c
		return err
	})
	if err != nil {
		return d, err
	}
	d.provider = d.rec.Get("pulumi:providers:aws", "aws-"+providerRegion)
	d.comp = d.rec.Get(ComponentType, "cell-aws-use1")
	return d, nil
}

// one returns the single recorded resource of typ.
func (d *deployment) one(t *testing.T, typ string) *recorder.Resource {
	t.Helper()
	rs := d.rec.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

// get returns the named resource or fails.
func (d *deployment) get(t *testing.T, typ, name string) *recorder.Resource {
	t.Helper()
	r := d.rec.Get(typ, name)
	if r == nil {
		t.Fatalf("no %s named %s", typ, name)
	}
	return r
}

// in returns a resource input as plain Go values.
func in(r *recorder.Resource, key string) any {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return recorder.Plain(v)
}

// out returns a resource output as plain Go values.
func out(r *recorder.Resource, key string) any {
	v, ok := r.Outputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return recorder.Plain(v)
}

// str returns a string input or "".
func str(r *recorder.Resource, key string) string {
	s, _ := in(r, key).(string)
	return s
}

// strs returns a string-array input.
func strs(r *recorder.Resource, key string) []string {
	var out []string
	arr, _ := in(r, key).([]any)
	for _, e := range arr {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// await resolves a string output.
func await(t *testing.T, o pulumi.Output) recorder.Awaited {
	t.Helper()
	aw, err := recorder.Await(o)
	if err != nil {
		t.Fatalf("awaiting output: %v", err)
	}
	return aw
}

// decode parses a JSON string input into v.
func decode(t *testing.T, r *recorder.Resource, key string, v any) {
	t.Helper()
	s := str(r, key)
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s %s.%s is not JSON: %v\n%s", r.Type, r.Name, key, err, s)
	}
}

// awaitStrings resolves a string-array output.
func awaitStrings(t *testing.T, o pulumi.StringArrayOutput) []string {
	t.Helper()
	v := await(t, o).Value
	ss, ok := v.([]string)
	if !ok {
		t.Fatalf("awaited %T, want []string", v)
	}
	return ss
}
