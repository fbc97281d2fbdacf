package aws

import (
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// policy is the part of an IAM policy document the tests read.
type policy struct {
	Statement []struct {
		Effect    string
		Principal map[string]string
		Action    []string
		Resource  []string
		Condition map[string]map[string]string
	}
}

func rolePolicy(t *testing.T, d *deployment, name string) (policy, *recorder.Resource) {
	t.Helper()
	role := d.Named(t, "aws:iam/role:Role", name)
	rp := d.Named(t, "aws:iam/rolePolicy:RolePolicy", name)
	if str(rp, "role") != role.ID {
		t.Fatalf("policy %s is on role %q, want %q", name, str(rp, "role"), role.ID)
	}
	var p policy
	decode(t, rp, "policy", &p)
	return p, role
}

func TestTaskRoleNamesOnlyItsTable(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	tableARN := out(d.One(t, "aws:dynamodb/table:Table"), "arn").(string)
	p, role := rolePolicy(t, d, "cell-aws-use1-task")

	// The policy grants exactly what the state port's DynamoDB adapter
	// calls (contract.DynamoPermissions, which the adapter's tests hold to
	// the calls it makes), on exactly this table and its sequence index.
	var granted []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			t.Errorf("unexpected %s statement", st.Effect)
		}
		for _, a := range st.Action {
			for _, r := range st.Resource {
				granted = append(granted, a+" on "+r)
			}
		}
	}
	var want []string
	for _, perm := range contract.DynamoPermissions {
		r := tableARN
		if perm.On == contract.DynamoSeqIndexResource {
			r = contract.DynamoIndexARN(tableARN)
		}
		if w := perm.Action + " on " + r; !slices.Contains(want, w) {
			want = append(want, w)
		}
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(granted, want) {
		t.Errorf("task policy grants\n  %s\nthe adapter calls\n  %s", strings.Join(granted, "\n  "), strings.Join(want, "\n  "))
	}
	// No other policy reaches the task role.
	for _, typ := range []string{"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"} {
		if n := len(d.Rec.OfType(typ)); n != 0 {
			t.Errorf("%d %s resources; the task role takes only its inline policy", n, typ)
		}
	}
	if arns := in(role, "managedPolicyArns"); arns != nil && len(arns.([]any)) != 0 {
		t.Errorf("task role has managed policies %v", arns)
	}

	var trust policy
	decode(t, role, "assumeRolePolicy", &trust)
	if len(trust.Statement) != 1 || trust.Statement[0].Principal["Service"] != "ecs-tasks.amazonaws.com" ||
		trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"] != recorder.FakeAWSAccount {
		t.Errorf("task role trust = %+v, want ECS tasks of account %s", trust, recorder.FakeAWSAccount)
	}
}

func TestExecutionRoleReadsOnlyItsSecret(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	secretARN := out(d.One(t, "aws:secretsmanager/secret:Secret"), "arn").(string)
	logARN := out(d.One(t, "aws:cloudwatch/logGroup:LogGroup"), "arn").(string)
	p, _ := rolePolicy(t, d, "cell-aws-use1-exec")
	found := map[string][]string{}
	for _, st := range p.Statement {
		for _, a := range st.Action {
			found[a] = append(found[a], st.Resource...)
		}
	}
	if got := found["secretsmanager:GetSecretValue"]; !slices.Equal(got, []string{secretARN}) {
		t.Errorf("GetSecretValue on %v, want only %s", got, secretARN)
	}
	if got := found["logs:PutLogEvents"]; !slices.Equal(got, []string{logARN + ":*"}) {
		t.Errorf("PutLogEvents on %v, want only the cell's log group", got)
	}
	for a := range found {
		if strings.HasPrefix(a, "dynamodb:") || strings.HasSuffix(a, ":*") || a == "*" {
			t.Errorf("execution role allows %q", a)
		}
	}
}
