package gcp

import (
	"testing"

	gcpprov "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
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
type deployment = celltest.Run[*Cell]

// deploy runs NewCell with an explicit GCP provider for testProject.
// withDNS passes a recording DNS function.
func deploy(t *testing.T, args cell.Args, withDNS bool) *deployment {
	t.Helper()
	return setup(testStack, withDNS).Deploy(t, args)
}

func tryDeploy(args cell.Args, withDNS bool, stack string) (*deployment, error) {
	d := setup(stack, withDNS).Record(args)
	return d, d.Err
}

// setup records NewCell in stack behind an explicit GCP provider for
// testProject.
func setup(stack string, withDNS bool) celltest.Setup[*Cell] {
	return celltest.Setup[*Cell]{
		New: NewCell, Type: ComponentType, Name: testCellName, Stack: stack, WithDNS: withDNS,
		Provider: func(ctx *pulumi.Context) (pulumi.ProviderResource, error) {
			return gcpprov.NewProvider(ctx, "gcp-cells", &gcpprov.ProviderArgs{
				Project: pulumi.String(testProject),
				Region:  pulumi.String("us-central1"), // not the cell's: regions are explicit
			})
		},
	}
}

// in returns an input as plain Go values, following a path of object
// keys: in(r, "template", "scaling").
func in(r *recorder.Resource, path ...any) any { return recorder.Plain(r.Input(path...)) }

// plainOut returns a string output the recorder answered with, or "".
func plainOut(r *recorder.Resource, key string) string { return recorder.String(r.Output(key)) }

// str returns a string input or "".
func str(r *recorder.Resource, path ...any) string { return recorder.String(r.Input(path...)) }

// num returns a number input or -1.
func num(r *recorder.Resource, path ...any) float64 {
	f, ok := in(r, path...).(float64)
	if !ok {
		return -1
	}
	return f
}

// objs returns an array-of-objects input.
func objs(r *recorder.Resource, path ...any) []map[string]any {
	var out []map[string]any
	arr, _ := in(r, path...).([]any)
	for _, e := range arr {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// await resolves an output.
var await = celltest.Await

// container returns the Cloud Run service's one container.
func container(t *testing.T, d *deployment) map[string]any {
	t.Helper()
	cs := objs(d.One(t, typeService), "template", "containers")
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
