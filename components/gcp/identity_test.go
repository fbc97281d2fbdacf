package gcp

import (
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestWorkloadIdentityIsLeastPrivilege: the service account holds exactly
// two grants — datastore.user on the project under a condition naming this
// cell's database, and secretAccessor on the edge key secret — and the only
// other IAM binding the cell makes is the load balancer's invoker one.
func TestWorkloadIdentityIsLeastPrivilege(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	d := deploy(t, args, false)
	n := newNames("cellfabric", testStack, args.ID, args.Hostname)
	sa := d.One(t, typeAccount)
	member := plainOut(sa, "member")
	if member != "serviceAccount:"+n.ServiceAccount+"@"+testProject+".iam.gserviceaccount.com" {
		t.Fatalf("fake member %q", member)
	}

	// The project grant is a custom role holding exactly the permissions
	// the state port's Firestore adapter calls (contract.FirestorePermissions,
	// which the adapter's tests hold to the calls it makes).
	role := d.One(t, typeCustomRole)
	var perms []string
	for _, p := range in(role, "permissions").([]any) {
		perms = append(perms, p.(string))
	}
	slices.Sort(perms)
	want := slices.Sorted(slices.Values(contract.FirestorePermissions))
	if !slices.Equal(perms, want) || str(role, "project") != testProject {
		t.Errorf("state role grants %v in %q, the adapter calls %v", perms, str(role, "project"), want)
	}
	ds := d.One(t, typeProjectIAM)
	if str(ds, "role") != plainOut(role, "name") || str(ds, "member") != member || str(ds, "project") != testProject {
		t.Errorf("project grant = %v, want the state role %s", ds.Inputs, plainOut(role, "name"))
	}
	wantExpr := `resource.name == "projects/` + testProject + `/databases/` + n.Database + `"`
	if got := str(ds, "condition", "expression"); got != wantExpr {
		t.Errorf("datastore condition = %q, want %q", got, wantExpr)
	}
	if str(ds, "condition", "title") == "" {
		t.Error("the condition has no title (IAM requires one)")
	}

	sec := d.One(t, typeSecretIAM)
	if str(sec, "role") != "roles/secretmanager.secretAccessor" || str(sec, "member") != member {
		t.Errorf("secret grant = %v", sec.Inputs)
	}
	if got, want := str(sec, "secretId"), d.One(t, typeSecret).ID; got != want {
		t.Errorf("secret grant on %q, want the edge key secret %q", got, want)
	}

	for _, r := range d.Rec.Descendants(d.Comp.URN) {
		if !strings.Contains(strings.ToLower(r.Type), "iam") {
			continue
		}
		switch r.Type {
		case typeProjectIAM, typeSecretIAM, typeServiceIAM, typeCustomRole:
		default:
			t.Errorf("unexpected IAM resource %s %s", r.Type, r.Name)
		}
		if role := str(r, "role"); role == "roles/logging.logWriter" || strings.HasPrefix(role, "roles/owner") || strings.HasPrefix(role, "roles/editor") {
			t.Errorf("%s grants %s", r.Name, role)
		}
		if r.Type == typeServiceIAM && str(r, "member") != "allUsers" {
			t.Errorf("invoker granted to %s", str(r, "member"))
		}
	}
}

// TestDatabaseCondition is the condition's exact text for a few names.
func TestDatabaseCondition(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, project, db, want string }{
		{"plain", "p1", "cell-a-state-abc123", `resource.name == "projects/p1/databases/cell-a-state-abc123"`},
		{"long project", "my-long-project-id-123", "x-state-000000", `resource.name == "projects/my-long-project-id-123/databases/x-state-000000"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := await(t, databaseCondition(stringOut(tc.project), stringOut(tc.db))).Value
			if got != tc.want {
				t.Errorf("got %v, want %s", got, tc.want)
			}
		})
	}
}
