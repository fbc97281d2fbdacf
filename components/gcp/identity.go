package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// roleSecretAccessor is the predefined role that reads a secret's versions.
const roleSecretAccessor = "roles/secretmanager.secretAccessor"

// identity builds the workload's service account and its two grants.
//
//   - a custom role holding exactly the permissions the state port's
//     Firestore adapter's calls need (contract.FirestorePermissions: get,
//     list, create, update of entities; no delete, no transactions, no
//     index or database administration — roles/datastore.user would grant
//     all of those) is granted on the project, because Firestore has no
//     per-database IAM policy, with an IAM condition that limits it to this
//     cell's database (resource.name == "projects/<p>/databases/<db>", the
//     form Firestore's "configure per-database access" guide uses). Other
//     cells' databases in the same project stay out of reach.
//   - roles/secretmanager.secretAccessor is granted on the edge key secret
//     itself, not on the project, and likewise on the extra edge key's
//     secret when the cell has one.
//
// Nothing else: Cloud Run collects what the container writes to stdout and
// stderr, and its request logs, into Cloud Logging itself, so the account
// needs no roles/logging.logWriter; Direct VPC egress and pulling a public
// image need no role of the workload's either.
func (b *builder) identity() error {
	sa, err := serviceaccount.NewAccount(b.ctx, b.name+"-sa", &serviceaccount.AccountArgs{
		AccountId:   pulumi.String(b.names.ServiceAccount),
		DisplayName: pulumi.String("cellfabric cell " + b.args.ID + " workload"),
		Description: pulumi.String("Runs the Cloud Run service of cell " + b.args.ID + "; reads its edge key and uses its Firestore database only."),
	}, b.child()...)
	if err != nil {
		return err
	}
	b.sa = sa
	role, err := projects.NewIAMCustomRole(b.ctx, b.name+"-state-role", &projects.IAMCustomRoleArgs{
		Project:     b.projectID,
		RoleId:      pulumi.String(b.names.StateRole),
		Title:       pulumi.String("cellfabric " + b.args.ID + " state port"),
		Description: pulumi.String("What the state port's Firestore adapter calls, and nothing else (workload/state/contract)."),
		Permissions: pulumi.ToStringArray(contract.FirestorePermissions),
	}, b.child()...)
	if err != nil {
		return err
	}
	ds, err := projects.NewIAMMember(b.ctx, b.name+"-sa-datastore", &projects.IAMMemberArgs{
		Project: b.projectID,
		Role:    role.Name,
		Member:  sa.Member,
		Condition: &projects.IAMMemberConditionArgs{
			Title:       pulumi.String("cellfabric-" + b.args.ID + "-database-only"),
			Description: pulumi.String("Only the Firestore database of cell " + b.args.ID),
			Expression:  databaseCondition(b.projectID, b.db.Name),
		},
	}, b.child()...)
	if err != nil {
		return err
	}
	sec, err := secretmanager.NewSecretIamMember(b.ctx, b.name+"-sa-edge-key", &secretmanager.SecretIamMemberArgs{
		SecretId: b.secretRes.ID(),
		Role:     pulumi.String(roleSecretAccessor),
		Member:   sa.Member,
	}, b.child()...)
	if err != nil {
		return err
	}
	b.grants = append(b.grants, ds, sec)
	if b.extraSecret != nil {
		// The extra key is granted exactly like the first: on its own
		// secret, nothing wider.
		extra, err := secretmanager.NewSecretIamMember(b.ctx, b.name+"-sa-edge-key-extra", &secretmanager.SecretIamMemberArgs{
			SecretId: b.extraSecret.ID(),
			Role:     pulumi.String(roleSecretAccessor),
			Member:   sa.Member,
		}, b.child()...)
		if err != nil {
			return err
		}
		b.grants = append(b.grants, extra)
	}
	return nil
}

// databaseCondition is the IAM condition that limits a grant to one
// Firestore database.
func databaseCondition(project, database pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.Sprintf(`resource.name == "projects/%s/databases/%s"`, project, database)
}
