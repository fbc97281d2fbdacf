package gcp

import (
	"maps"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/firestore"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/logging"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// labelLists are the resource types the cell uses that take labels and the
// ones whose Args have no Labels field. Every GCP type the cell records must
// be in one list.
var labelLists = celltest.TagLists{
	Field: "Labels",
	Tagged: map[string]any{
		typeService:        cloudrunv2.ServiceArgs{},
		typeSecret:         secretmanager.SecretArgs{},
		typeAddress:        compute.GlobalAddressArgs{},
		typeForwardingRule: compute.GlobalForwardingRuleArgs{},
	},
	Untagged: map[string]any{
		typeNetwork:        compute.NetworkArgs{},
		typeSubnetwork:     compute.SubnetworkArgs{},
		typeServiceIAM:     cloudrunv2.ServiceIamMemberArgs{},
		typeAccount:        serviceaccount.AccountArgs{},
		typeProjectIAM:     projects.IAMMemberArgs{},
		typeSecretVersion:  secretmanager.SecretVersionArgs{},
		typeSecretIAM:      secretmanager.SecretIamMemberArgs{},
		typeDatabase:       firestore.DatabaseArgs{},
		typeBackupSchedule: firestore.BackupScheduleArgs{},
		typeField:          firestore.FieldArgs{},
		typeCustomRole:     projects.IAMCustomRoleArgs{},
		typeSecurityPolicy: compute.SecurityPolicyArgs{},
		typeBackend:        compute.BackendServiceArgs{},
		typeNEG:            compute.RegionNetworkEndpointGroupArgs{},
		typeURLMap:         compute.URLMapArgs{},
		typeCert:           compute.ManagedSslCertificateArgs{},
		typeSSLPolicy:      compute.SSLPolicyArgs{},
		typeProxy:          compute.TargetHttpsProxyArgs{},
		typeLogBucket:      logging.ProjectBucketConfigArgs{},
		typeLogSink:        logging.ProjectSinkArgs{},
		typeLogExclusion:   logging.ProjectExclusionArgs{},
	},
}

// TestLabelListsMatchTheSDK keeps the lists honest: a type is in Tagged
// exactly when its pulumi-gcp Args have a Labels field.
func TestLabelListsMatchTheSDK(t *testing.T) {
	t.Parallel()
	labelLists.MatchSDK(t)
}

// TestEveryLabelledResourceIsLabelled: each GCP resource of a labelled type
// carries the standard tags as labels (and the Cloud Run revisions too);
// each GCP type recorded is in one of the lists.
func TestEveryLabelledResourceIsLabelled(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	d := deploy(t, args, false)
	want := cell.StandardTags(args, fabric.GCP, testStack)
	if want["team"] != "platform" || want[cell.TagCell] != args.ID {
		t.Fatalf("standard tags %v", want)
	}
	labelLists.Check(t, d.Rec.Descendants(d.Comp.URN), "gcp:", func(r *recorder.Resource, labelled bool) {
		if !labelled {
			return
		}
		checkLabels(t, r.Type+" "+r.Name, in(r, "labels"), want)
		if r.Type == typeService {
			checkLabels(t, "Cloud Run template", in(r, "template", "labels"), want)
		}
	})
}

func checkLabels(t *testing.T, what string, got any, want map[string]string) {
	t.Helper()
	m, _ := got.(map[string]any)
	plainM := map[string]string{}
	for k, v := range m {
		plainM[k], _ = v.(string)
	}
	if !maps.Equal(plainM, want) {
		t.Errorf("%s labels = %v, want %v", what, plainM, want)
	}
}

// TestGCPLabels: valid tags pass unchanged; others become valid labels.
func TestGCPLabels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{"valid", map[string]string{"cellfabric-stack": "dev", "team": "platform_1"}, map[string]string{"cellfabric-stack": "dev", "team": "platform_1"}},
		{"uppercase and dots", map[string]string{"Env": "Prod.EU"}, map[string]string{"env": "prod_eu"}},
		{"key starting with a digit", map[string]string{"1st": "x"}, map[string]string{"l_1st": "x"}},
		{"empty value", map[string]string{"flag": ""}, map[string]string{"flag": ""}},
		{"long value", map[string]string{"k": strings.Repeat("a", 80)}, map[string]string{"k": strings.Repeat("a", 63)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := gcpLabels(tc.in); !maps.Equal(got, tc.want) {
				t.Errorf("gcpLabels(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// TestOddStackNameStillLabels: a stack name GCP would refuse as a label
// value is cleaned, and the deployment carries it everywhere.
func TestOddStackNameStillLabels(t *testing.T) {
	t.Parallel()
	d, err := tryDeploy(baseArgs(), false, "Prod.EU")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Rec.OfType(typeSecret) {
		if got := str(r, "labels", cell.TagStack); got != "prod_eu" {
			t.Errorf("stack label %q, want prod_eu", got)
		}
	}
}
