package azure

import (
	"crypto/sha1"
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Built-in Azure roles the workload identity gets, and nothing else.
const (
	// roleTableDataContributor reads, writes and deletes table entities.
	roleTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3" // Storage Table Data Contributor
	// roleKeyVaultSecretsUser reads secret contents.
	roleKeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6" // Key Vault Secrets User
)

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
	h := sha1.New()
	h.Write(roleAssignmentNamespace[:])
	h.Write([]byte(scope + "|" + roleID + "|" + principalID))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// roleDefinitionID is the subscription-scoped id of a built-in role.
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

// grant assigns one built-in role to the identity at scope, which must be
// the narrowest resource the workload needs (a table, a secret), never a
// resource group or subscription.
func grant(ctx *pulumi.Context, name string, subscription pulumi.StringOutput, roleID string, scope pulumi.StringOutput,
	principal pulumi.StringOutput, opts ...pulumi.ResourceOption) (*authorization.RoleAssignment, error) {
	assignmentName := pulumi.All(scope, principal).ApplyT(func(v []any) string {
		return roleAssignmentName(v[0].(string), roleID, v[1].(string))
	}).(pulumi.StringOutput)
	ra, err := authorization.NewRoleAssignment(ctx, name, &authorization.RoleAssignmentArgs{
		RoleAssignmentName: assignmentName,
		Scope:              scope,
		PrincipalId:        principal,
		// Saying what the principal is lets Azure skip the directory lookup
		// that fails while a new identity is still replicating.
		PrincipalType: pulumi.String("ServicePrincipal"),
		RoleDefinitionId: subscription.ApplyT(func(sub string) string {
			return roleDefinitionID(sub, roleID)
		}).(pulumi.StringOutput),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("assigning role %s: %w", roleID, err)
	}
	return ra, nil
}
