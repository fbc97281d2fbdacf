package aws

import (
	"encoding/json"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// tableActions returns the DynamoDB actions the state port's adapter calls
// on resource (its table, or its sequence index), from
// contract.DynamoPermissions: the grant and the code's calls are one list
// (the adapter's tests fail on a call the list does not hold).
func tableActions(on contract.DynamoResource) []string {
	var out []string
	for _, p := range contract.DynamoPermissions {
		if p.On == on && !slices.Contains(out, p.Action) {
			out = append(out, p.Action)
		}
	}
	return out
}

// policyDoc is an IAM policy document.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func (d policyDoc) json() string {
	d.Version = "2012-10-17"
	out, err := json.Marshal(d)
	if err != nil {
		panic(err) // only plain strings: cannot fail
	}
	return string(out)
}

// assumeRolePolicy lets ECS tasks assume a role. When account is set, only
// tasks of that account may (the confused-deputy guard AWS recommends for
// task roles).
func assumeRolePolicy(account string) string {
	st := statement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "ecs-tasks.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	}
	if account != "" {
		st.Condition = map[string]map[string]string{"StringEquals": {"aws:SourceAccount": account}}
	}
	return policyDoc{Statement: []statement{st}}.json()
}

// taskPolicy grants the workload exactly what the state port's DynamoDB
// adapter calls, on its own table and the table's sequence index, and
// nothing else: no Scan (it crosses tenants), no DeleteItem or UpdateItem
// (the adapter writes whole records on a condition), no table management.
func taskPolicy(tableARN string) string {
	return policyDoc{Statement: []statement{
		{Sid: "StatePortTable", Effect: "Allow", Action: tableActions(contract.DynamoTableResource), Resource: []string{tableARN}},
		{Sid: "StatePortSeqIndex", Effect: "Allow", Action: tableActions(contract.DynamoSeqIndexResource), Resource: []string{contract.DynamoIndexARN(tableARN)}},
	}}.json()
}

// executionPolicy lets ECS start the task: pull the image, write to the
// cell's log group and read the edge key secrets (the key's, and the extra
// key's during a rotation; nothing else). Image pulls name no
// resource: GetAuthorizationToken takes none, and the image may live in any
// repository (or outside ECR, when these go unused).
func executionPolicy(logGroupARN string, secretARNs []string) string {
	return policyDoc{Statement: []statement{
		{
			Sid:    "PullImage",
			Effect: "Allow",
			Action: []string{
				"ecr:GetAuthorizationToken",
				"ecr:BatchCheckLayerAvailability",
				"ecr:GetDownloadUrlForLayer",
				"ecr:BatchGetImage",
			},
			Resource: []string{"*"},
		},
		{
			Sid:      "WriteLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{logGroupARN + ":*"},
		},
		{
			Sid:      "ReadEdgeKey",
			Effect:   "Allow",
			Action:   []string{"secretsmanager:GetSecretValue"},
			Resource: secretARNs,
		},
	}}.json()
}

// identity builds the task role (the workload's identity, allowed only its
// table) and the execution role (what ECS uses to start the task).
func (b *builder) identity() error {
	var err error
	b.taskRole, err = iam.NewRole(b.ctx, b.name+"-task", &iam.RoleArgs{
		Name:             pulumi.String(b.names.TaskRole),
		Description:      pulumi.String("cellfabric workload identity of cell " + b.args.ID),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy(b.accountID)),
		Tags:             b.tagged("task"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.taskPolicy, err = iam.NewRolePolicy(b.ctx, b.name+"-task", &iam.RolePolicyArgs{
		Role:   b.taskRole.ID(),
		Policy: b.table.Arn.ApplyT(taskPolicy).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return err
	}

	b.execRole, err = iam.NewRole(b.ctx, b.name+"-exec", &iam.RoleArgs{
		Name:             pulumi.String(b.names.ExecutionRole),
		Description:      pulumi.String("cellfabric ECS task execution role of cell " + b.args.ID),
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("")),
		Tags:             b.tagged("exec"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.execPolicy, err = iam.NewRolePolicy(b.ctx, b.name+"-exec", &iam.RolePolicyArgs{
		Role: b.execRole.ID(),
		Policy: pulumi.All(b.logGroup.Arn, b.secretARNs()).ApplyT(func(v []any) string {
			return executionPolicy(v[0].(string), v[1].([]string))
		}).(pulumi.StringOutput),
	}, b.opts()...)
	return err
}
