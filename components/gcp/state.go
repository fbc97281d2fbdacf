package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/firestore"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Firestore settings the cell relies on (the tests check them).
const (
	firestoreType = "FIRESTORE_NATIVE"
	pitrEnabled   = "POINT_IN_TIME_RECOVERY_ENABLED"
	// deleteProtected blocks deleting the database through the API: a
	// `pulumi destroy` (or a replacement) stops at the database until an
	// operator sets DeleteProtectionState to DISABLED on purpose.
	deleteProtected = "DELETE_PROTECTION_ENABLED"
	// deletionPolicyDelete makes a destroy delete the database instead of
	// the provider's default, ABANDON, which leaves it behind and makes a
	// later create of the same id fail with 409.
	deletionPolicyDelete = "DELETE"
)

// state builds the cell's Firestore database and its daily backups.
//
// A named database (not "(default)") in Native mode, in the cell's region
// (a location cannot change later), with point-in-time recovery (7 days of
// versions), delete protection, and DeletionPolicy DELETE so that a
// deliberate teardown really removes it. Data is encrypted at rest with
// Google-managed keys; CmekConfig can name a Cloud KMS key in the same
// location instead, at the cost of running that key. App Engine integration
// is off: nothing else in the project may reach the database through it.
func (b *builder) state() error {
	db, err := firestore.NewDatabase(b.ctx, b.name+"-state", &firestore.DatabaseArgs{
		Name:                          pulumi.String(b.names.Database),
		LocationId:                    pulumi.String(b.args.Region),
		Type:                          pulumi.String(firestoreType),
		PointInTimeRecoveryEnablement: pulumi.String(pitrEnabled),
		DeleteProtectionState:         pulumi.String(deleteProtected),
		DeletionPolicy:                pulumi.String(deletionPolicyDelete),
		AppEngineIntegrationMode:      pulumi.String("DISABLED"),
	}, b.child()...)
	if err != nil {
		return err
	}
	b.db = db
	// Single-field indexes as the state port's adapter queries them
	// (contract.FirestoreFieldIndexes): an ascending index on an item's
	// sequence number for the change feed, none on values, which are up to
	// 256 KiB and never queried.
	for _, fi := range contract.FirestoreFieldIndexes {
		cfg := &firestore.FieldIndexConfigArgs{}
		if fi.Ascending {
			cfg.Indexes = firestore.FieldIndexConfigIndexArray{firestore.FieldIndexConfigIndexArgs{
				Order: pulumi.String("ASCENDING"), QueryScope: pulumi.String("COLLECTION"),
			}}
		}
		if _, err := firestore.NewField(b.ctx, b.name+"-state-index-"+fi.Collection+"-"+fi.Field, &firestore.FieldArgs{
			Database:    db.Name,
			Collection:  pulumi.String(fi.Collection),
			Field:       pulumi.String(fi.Field),
			IndexConfig: cfg,
		}, b.child()...); err != nil {
			return err
		}
	}
	_, err = firestore.NewBackupSchedule(b.ctx, b.name+"-state-backups", &firestore.BackupScheduleArgs{
		Database:        db.Name,
		Retention:       pulumi.String(backupRetention),
		DailyRecurrence: &firestore.BackupScheduleDailyRecurrenceArgs{},
	}, b.child()...)
	return err
}
