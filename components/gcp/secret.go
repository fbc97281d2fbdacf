package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// secret stores the edge signing key in Secret Manager, and the extra edge
// key of a rotation in a second secret when the cell has one.
//
// Replication is user-managed with one replica, in the cell's region: with
// automatic replication Google may store the payload in any region, and an
// EU cell's key must stay in the EU. The key reaches the store as the secret
// Output cell.Args.EdgeKey (the provider marks secretData secret too) and the
// workload only as a Secret Manager reference (see compute). The extra key
// is stored as "<id>=<secret>", the form CELLFABRIC_EDGE_KEYS takes.
func (b *builder) secret() error {
	var err error
	b.secretRes, b.secretVersion, err = b.storeSecret("-edge-key", b.names.Secret,
		pulumi.ToSecret(b.args.EdgeKey).(pulumi.StringOutput))
	if err != nil || !b.args.HasExtraEdgeKey() {
		return err
	}
	b.extraSecret, b.extraVersion, err = b.storeSecret("-edge-key-extra", b.names.ExtraSecret, b.args.ExtraEdgeKeyEntry())
	return err
}

// storeSecret creates one secret, kept in the cell's region, and its one
// version holding data. suffix follows the cell's logical name.
func (b *builder) storeSecret(suffix, secretID string, data pulumi.StringOutput) (*secretmanager.Secret, *secretmanager.SecretVersion, error) {
	s, err := secretmanager.NewSecret(b.ctx, b.name+suffix, &secretmanager.SecretArgs{
		SecretId: pulumi.String(secretID),
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
		return nil, nil, err
	}
	v, err := secretmanager.NewSecretVersion(b.ctx, b.name+suffix+"-version", &secretmanager.SecretVersionArgs{
		Secret:     s.ID(),
		SecretData: data,
	}, b.child()...)
	if err != nil {
		return nil, nil, err
	}
	return s, v, nil
}
