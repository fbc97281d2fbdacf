package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// secret stores the edge signing key in Secret Manager.
//
// Replication is user-managed with one replica, in the cell's region: with
// automatic replication Google may store the payload in any region, and an
// EU cell's key must stay in the EU. The key reaches the store as the secret
// Output CellArgs.EdgeKey (the provider marks secretData secret too) and the
// workload only as a Secret Manager reference (see compute).
func (b *builder) secret() error {
	s, err := secretmanager.NewSecret(b.ctx, b.name+"-edge-key", &secretmanager.SecretArgs{
		SecretId: pulumi.String(b.names.Secret),
		Labels:   b.lbl(),
		Replication: &secretmanager.SecretReplicationArgs{
			UserManaged: &secretmanager.SecretReplicationUserManagedArgs{
				Replicas: secretmanager.SecretReplicationUserManagedReplicaArray{
					&secretmanager.SecretReplicationUserManagedReplicaArgs{Location: pulumi.String(b.args.Region)},
				},
			},
		},
	}, b.child()...)
	if err != nil {
		return err
	}
	b.secretRes = s
	b.secretVersion, err = secretmanager.NewSecretVersion(b.ctx, b.name+"-edge-key-version", &secretmanager.SecretVersionArgs{
		Secret:     s.ID(),
		SecretData: pulumi.ToSecret(b.args.EdgeKey).(pulumi.StringOutput),
	}, b.child()...)
	return err
}
