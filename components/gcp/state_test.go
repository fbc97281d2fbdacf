package gcp

import "testing"

// TestFirestoreDatabase: Native mode, in the cell's region, point-in-time
// recovery on, protected from deletion, deleted (not abandoned) on a
// deliberate destroy, with a daily backup kept for a week.
func TestFirestoreDatabase(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"europe-west1", "us-central1"} {
		t.Run(region, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.Region = region
			d := deploy(t, args, false)
			db := d.One(t, typeDatabase)
			want := map[string]string{
				"type":                          "FIRESTORE_NATIVE",
				"locationId":                    region,
				"pointInTimeRecoveryEnablement": "POINT_IN_TIME_RECOVERY_ENABLED",
				"deleteProtectionState":         "DELETE_PROTECTION_ENABLED",
				"deletionPolicy":                "DELETE",
				"name":                          newNames("cellfabric", testStack, args.ID, args.Hostname).Database,
			}
			for k, v := range want {
				if got := str(db, k); got != v {
					t.Errorf("database %s = %q, want %q", k, got, v)
				}
			}
			if _, cmek := db.Inputs["cmekConfig"]; cmek {
				t.Error("a CMEK config is set; the cell documents Google-managed keys")
			}
			bs := d.One(t, typeBackupSchedule)
			if str(bs, "database") != want["name"] {
				t.Errorf("backups of %q, want %q", str(bs, "database"), want["name"])
			}
			if str(bs, "retention") != backupRetention || backupRetention != "604800s" {
				t.Errorf("backup retention %q", str(bs, "retention"))
			}
			if _, daily := bs.Inputs["dailyRecurrence"]; !daily {
				t.Error("backups are not daily")
			}
			if _, weekly := bs.Inputs["weeklyRecurrence"]; weekly {
				t.Error("backups are weekly")
			}
		})
	}
}
