package aws

import (
	"reflect"
	"strings"
	"testing"
)

func TestStateStore(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	table := d.One(t, "aws:dynamodb/table:Table")
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"point-in-time recovery", in(table, "pointInTimeRecovery"), map[string]any{"enabled": true}},
		{"encryption at rest", in(table, "serverSideEncryption"), map[string]any{"enabled": true}},
		{"billing", in(table, "billingMode"), "PAY_PER_REQUEST"},
		{"hash key", in(table, "hashKey"), "tenant"},
		{"range key", in(table, "rangeKey"), "key"},
		{"attributes", in(table, "attributes"), []any{
			map[string]any{"name": "tenant", "type": "S"},
			map[string]any{"name": "key", "type": "S"},
			map[string]any{"name": "seq", "type": "N"},
		}},
		// The state port's change feed reads a tenant's items in sequence
		// order from this index (workload/state/dynamo checks it at Open).
		{"sequence index", in(table, "localSecondaryIndexes"), []any{
			map[string]any{"name": "seq", "rangeKey": "seq", "projectionType": "ALL"},
		}},
		{"deletion protection", in(table, "deletionProtectionEnabled"), true},
		{"table name", in(table, "name"), "cellfabric-test-aws-use1"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("table %s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	secret := d.One(t, "aws:secretsmanager/secret:Secret")
	if got := str(secret, "name"); got != "cellfabric/test/aws-use1/edge-key" {
		t.Errorf("secret name = %q", got)
	}
	if got := in(secret, "recoveryWindowInDays"); got != float64(secretRecoveryDays) {
		t.Errorf("secret recovery window = %v, want %d", got, secretRecoveryDays)
	}
	version := d.One(t, "aws:secretsmanager/secretVersion:SecretVersion")
	if got := str(version, "secretId"); got != secret.ID {
		t.Errorf("secret version is for %q, want the cell's secret %q", got, secret.ID)
	}

	logs := d.One(t, "aws:cloudwatch/logGroup:LogGroup")
	if got := in(logs, "retentionInDays"); got != float64(logRetentionDays) || logRetentionDays <= 0 {
		t.Errorf("log retention = %v, want %d", got, logRetentionDays)
	}
	if got := str(logs, "name"); !strings.HasPrefix(got, "/cellfabric/test/") {
		t.Errorf("log group name = %q", got)
	}
}
