package gcp

import (
	"sync"
	"testing"

	gcpprov "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
)

const (
	testEdgeKey  = "edge-key-3d9b61f0c7a24e58b1f6a0d2"
	testImage    = "ghcr.io/cellfabric/cell:2.3.1"
	testHostname = "gcp-euw1.cells.example.com"
	testStack    = "test"
	testProject  = "cells-proj"
	testRegion   = "europe-west1"
	testCellName = "cell-gcp-euw1"
)

// testIngress mixes IPv4 and IPv6 edge ranges.
var testIngress = []string{"173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32", "2606:4700::/32"}

// baseArgs are valid arguments for a cell in europe-west1.
func baseArgs() cell.Args {
	return cell.Args{
		ID:           "gcp-euw1",
		Region:       testRegion,
		CIDR:         "10.30.0.0/16",
		Hostname:     testHostname,
		Image:        pulumi.String(testImage),
		Port:         9000,
		HealthPath:   "/ready",
		Env:          pulumi.StringMap{"LOG_LEVEL": pulumi.String("debug")},
		MinInstances: 1,
		MaxInstances: 5,
		Tenants:      []string{"umbrella"},
		Tags:         map[string]string{"team": "platform"},
		EdgeKey:      pulumi.ToSecret(pulumi.String(testEdgeKey)).(pulumi.StringOutput),
		EdgeKeyID:    "k2",
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

// fakeRecord stands in for the infra program's Cloudflare record.
type fakeRecord struct{ pulumi.CustomResourceState }

func (d *dnsCalls) fn(ctx *pulumi.Context, name string, rec cell.DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	r := &fakeRecord{}
	props := pulumi.Map{"name": rec.Name, "type": pulumi.String(rec.Type), "content": rec.Value}
	if err := ctx.RegisterResource("test:dns:Record", name, props, r, opts...); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.calls = append(d.calls, dnsCall{name: name, rec: rec, urn: r.URN()})
	d.mu.Unlock()
	return r, nil
}

// deploy runs NewCell with an explicit GCP provider for testProject.
// withDNS passes a recording DNS function.
func deploy(t *testing.T, args cell.Args, withDNS bool) *deployment {
	t.Helper()
	d, err := tryDeploy(args, withDNS, testStack)
	if err != nil {
		t.Fatalf("deploying the cell: %v", err)
	}
	return d
}

func tryDeploy(args cell.Args, withDNS bool, stack string) (*deployment, error) {
	d := &deployment{rec: recorder.New()}
	if withDNS {
		d.dns = &dnsCalls{}
		args.DNS = d.dns.fn
	}
	err := d.rec.Run(recorder.Options{Stack: stack}, func(ctx *pulumi.Context) error {
		p, err := gcpprov.NewProvider(ctx, "gcp-cells", &gcpprov.ProviderArgs{
			Project: pulumi.String(testProject),
			Region:  pulumi.String("us-central1"), // not the cell's: regions are explicit
		})
		if err != nil {
			return err
		}
		c, err := NewCell(ctx, testCellName, args, pulumi.Provider(p))
		d.cell = c
		return err
	})
	d.provider = d.rec.Get("pulumi:providers:gcp", "gcp-cells")
	d.comp = d.rec.Get(ComponentType, testCellName)
	return d, err
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

// in returns an input as plain Go values, following a dotted path through
// objects and "[i]"-free keys: in(r, "template", "scaling").
func in(r *recorder.Resource, path ...string) any {
	var cur any = map[string]any{}
	if v, ok := r.Inputs[resource.PropertyKey(path[0])]; ok {
		cur = recorder.Plain(v)
	} else {
		return nil
	}
	for _, k := range path[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// plainOut returns a string output the recorder answered with, or "".
func plainOut(r *recorder.Resource, key string) string {
	v, ok := r.Outputs[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	s, _ := recorder.Plain(v).(string)
	return s
}

// str returns a string input or "".
func str(r *recorder.Resource, path ...string) string {
	s, _ := in(r, path...).(string)
	return s
}

// num returns a number input or -1.
func num(r *recorder.Resource, path ...string) float64 {
	f, ok := in(r, path...).(float64)
	if !ok {
		return -1
	}
	return f
}

// objs returns an array-of-objects input.
func objs(r *recorder.Resource, path ...string) []map[string]any {
	var out []map[string]any
	arr, _ := in(r, path...).([]any)
	for _, e := range arr {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// await resolves an output.
func await(t *testing.T, o pulumi.Output) recorder.Awaited {
	t.Helper()
	aw, err := recorder.Await(o)
	if err != nil {
		t.Fatalf("awaiting output: %v", err)
	}
	return aw
}

// container returns the Cloud Run service's one container.
func (d *deployment) container(t *testing.T) map[string]any {
	t.Helper()
	cs := objs(d.one(t, typeService), "template", "containers")
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return cs[0]
}

// Type tokens the tests look up.
const (
	typeNetwork        = "gcp:compute/network:Network"
	typeSubnetwork     = "gcp:compute/subnetwork:Subnetwork"
	typeFirewall       = "gcp:compute/firewall:Firewall"
	typeService        = "gcp:cloudrunv2/service:Service"
	typeServiceIAM     = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
	typeAccount        = "gcp:serviceaccount/account:Account"
	typeProjectIAM     = "gcp:projects/iAMMember:IAMMember"
	typeCustomRole     = "gcp:projects/iAMCustomRole:IAMCustomRole"
	typeField          = "gcp:firestore/field:Field"
	typeSecret         = "gcp:secretmanager/secret:Secret"
	typeSecretVersion  = "gcp:secretmanager/secretVersion:SecretVersion"
	typeSecretIAM      = "gcp:secretmanager/secretIamMember:SecretIamMember"
	typeDatabase       = "gcp:firestore/database:Database"
	typeBackupSchedule = "gcp:firestore/backupSchedule:BackupSchedule"
	typeSecurityPolicy = "gcp:compute/securityPolicy:SecurityPolicy"
	typeBackend        = "gcp:compute/backendService:BackendService"
	typeNEG            = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
	typeURLMap         = "gcp:compute/uRLMap:URLMap"
	typeCert           = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
	typeSSLPolicy      = "gcp:compute/sSLPolicy:SSLPolicy"
	typeProxy          = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
	typeAddress        = "gcp:compute/globalAddress:GlobalAddress"
	typeForwardingRule = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
	typeLogBucket      = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
	typeLogSink        = "gcp:logging/projectSink:ProjectSink"
	typeLogExclusion   = "gcp:logging/projectExclusion:ProjectExclusion"
)

// stringOut wraps a plain string as an Output.
func stringOut(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }
