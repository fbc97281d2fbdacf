package azure

import (
	"crypto/sha1"
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// roleKeyVaultSecretsUser is the built-in role that reads secret contents
// (Key Vault Secrets User): the workload identity holds it on each edge key
// secret. On the table it holds the cell's own state role (newStateRole).
const roleKeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6"

// roleAssignmentNamespace is the UUIDv5 namespace of cellfabric's role
// assignment names (a fixed, randomly chosen UUID).
var roleAssignmentNamespace = [16]byte{0x6d, 0x2b, 0x91, 0x0e, 0x4f, 0x57, 0x4c, 0x3a, 0x9e, 0x05, 0x1b, 0xd2, 0x83, 0x77, 0xc4, 0x60}

// roleAssignmentName returns the name of the assignment of role to
// principal at scope: a UUIDv5 over the three, as Azure wants a GUID. The
// same inputs always give the same name, so re-running the program never
// creates a duplicate; a new principal or scope (a replaced identity or
// table) gives a new name, so the replacement can be created before the old
// assignment is deleted without the two colliding.
func roleAssignmentName(scope, roleID, principalID string) string {
	return uuid5(roleAssignmentNamespace, scope+"|"+roleID+"|"+principalID)
}

// roleDefinitionNamespace is the UUIDv5 namespace of cellfabric's custom
// role definition ids (a fixed, randomly chosen UUID).
var roleDefinitionNamespace = [16]byte{0x2f, 0x8c, 0x5a, 0x71, 0xd3, 0x0b, 0x4e, 0x96, 0xa1, 0x4d, 0x7e, 0x20, 0xc9, 0x53, 0x18, 0xb6}

// uuid5 is the version-5 UUID of name in namespace, as Azure wants a GUID
// where it takes a name.
func uuid5(namespace [16]byte, name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// roleDefinitionGUID returns the id of the custom role named roleName whose
// assignable scope is scope: the same inputs give the same id, so re-running
// the program updates the role in place; a new scope (a replaced resource
// group) gives a new id, so the replacement never collides with the role
// it replaces.
func roleDefinitionGUID(scope, roleName string) string {
	return uuid5(roleDefinitionNamespace, scope+"|"+roleName)
}

// roleDefinitionID is the subscription-scoped id of a role definition,
// built-in or custom, as a role assignment names it.
func roleDefinitionID(subscription, roleID string) string {
	return fmt.Sprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s", subscription, roleID)
}

// newIdentity creates the cell's user-assigned managed identity.
func newIdentity(ctx *pulumi.Context, name string, n names, rg pulumi.StringInput, location string, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*managedidentity.UserAssignedIdentity, error) {
	id, err := managedidentity.NewUserAssignedIdentity(ctx, name+"-identity", &managedidentity.UserAssignedIdentityArgs{
		ResourceName:      pulumi.String(n.Identity),
		ResourceGroupName: rg,
		Location:          pulumi.String(location),
		Tags:              tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating managed identity: %w", err)
	}
	return id, nil
}

// newStateRole creates the cell's state role: a custom role whose data
// actions are exactly contract.AzureTableDataActions, what the state port's
// aztable adapter calls, and no control-plane action. No built-in role is
// that narrow: Storage Table Data Contributor also deletes entities, writes
// them without a condition and creates and deletes tables (Azure built-in
// roles for Storage,
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage).
//
// A custom role's assignable scopes can be management groups,
// subscriptions or resource groups, not a single resource, and one holding
// data actions cannot be assigned at a management group; its name must be
// unique in the Entra tenant, up to 512 characters (Azure custom roles,
// https://learn.microsoft.com/azure/role-based-access-control/custom-roles).
// So the role is defined in, and assignable in, the cell's own resource
// group only (rgID), and the assignment (grant) is at the table's scope.
func newStateRole(ctx *pulumi.Context, name string, n names, cellID string, rgID pulumi.StringOutput, opts ...pulumi.ResourceOption) (*authorization.RoleDefinition, error) {
	role, err := authorization.NewRoleDefinition(ctx, name, &authorization.RoleDefinitionArgs{
		Scope:            rgID,
		AssignableScopes: pulumi.StringArray{rgID},
		RoleDefinitionId: rgID.ApplyT(func(rg string) string { return roleDefinitionGUID(rg, n.StateRole) }).(pulumi.StringOutput),
		RoleName:         pulumi.String(n.StateRole),
		RoleType:         pulumi.String("CustomRole"),
		Description:      pulumi.String("What the state port's Azure Table adapter calls on the table of cellfabric cell " + cellID + ", and nothing else (workload/state/contract)."),
		Permissions: authorization.PermissionArray{authorization.PermissionArgs{
			DataActions: pulumi.ToStringArray(contract.AzureTableDataActions),
		}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the state role: %w", err)
	}
	return role, nil
}

// grant assigns one role (its GUID: a built-in role's, or a custom role's
// name) to the identity at scope, which must be the narrowest resource the
// workload needs (a table, a secret), never a resource group or
// subscription.
func grant(ctx *pulumi.Context, name string, subscription pulumi.StringOutput, roleID pulumi.StringInput, scope pulumi.StringOutput,
	principal pulumi.StringOutput, opts ...pulumi.ResourceOption) (*authorization.RoleAssignment, error) {
	role := roleID.ToStringOutput()
	assignmentName := pulumi.All(scope, role, principal).ApplyT(func(v []any) string {
		return roleAssignmentName(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	ra, err := authorization.NewRoleAssignment(ctx, name, &authorization.RoleAssignmentArgs{
		RoleAssignmentName: assignmentName,
		Scope:              scope,
		PrincipalId:        principal,
		// Saying what the principal is lets Azure skip the directory lookup
		// that fails while a new identity is still replicating.
		PrincipalType: pulumi.String("ServicePrincipal"),
		RoleDefinitionId: pulumi.All(subscription, role).ApplyT(func(v []any) string {
			return roleDefinitionID(v[0].(string), v[1].(string))
		}).(pulumi.StringOutput),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("assigning role %s: %w", name, err)
	}
	return ra, nil
}
