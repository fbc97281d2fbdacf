package aws

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

func TestContainerDefinition(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	task := d.One(t, "aws:ecs/taskDefinition:TaskDefinition")
	var defs []containerDef
	decode(t, task, "containerDefinitions", &defs)
	if len(defs) != 1 {
		t.Fatalf("%d containers, want 1", len(defs))
	}
	c := defs[0]
	if c.Image != testImage {
		t.Errorf("image = %q, want cell.Args.Image %q", c.Image, testImage)
	}
	if !reflect.DeepEqual(c.PortMappings, []portMap{{ContainerPort: 8080, Protocol: "tcp"}}) {
		t.Errorf("port mappings = %+v", c.PortMappings)
	}
	env := map[string]string{}
	for _, e := range c.Environment {
		env[e.Name] = e.Value
	}
	want := map[string]string{
		cell.EnvCellID:    "aws-use1",
		cell.EnvCloud:     "aws",
		cell.EnvRegion:    "us-east-1",
		contract.EnvStore: "cellfabric-test-aws-use1",
		contract.EnvKind:  "dynamodb",
		cell.EnvEdgeKeyID: "k1",
		cell.EnvPort:      "8080",
		"LOG_LEVEL":       "debug",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment = %v, want %v", env, want)
	}
	secretARN := out(d.One(t, "aws:secretsmanager/secret:Secret"), "arn").(string)
	if !reflect.DeepEqual(c.Secrets, []nameSecret{{Name: cell.EnvEdgeKey, ValueFrom: secretARN}}) {
		t.Errorf("secrets = %+v, want %s from %s", c.Secrets, cell.EnvEdgeKey, secretARN)
	}
	if c.LogConfiguration.LogDriver != "awslogs" ||
		c.LogConfiguration.Options["awslogs-group"] != str(d.One(t, "aws:cloudwatch/logGroup:LogGroup"), "name") ||
		c.LogConfiguration.Options["awslogs-region"] != "us-east-1" ||
		c.LogConfiguration.Options["mode"] != "non-blocking" {
		t.Errorf("log configuration = %+v", c.LogConfiguration)
	}

	for key, w := range map[string]any{
		"cpu": "256", "memory": "512", "networkMode": "awsvpc",
		"requiresCompatibilities": []any{"FARGATE"},
		"taskRoleArn":             out(d.Named(t, "aws:iam/role:Role", "cell-aws-use1-task"), "arn"),
		"executionRoleArn":        out(d.Named(t, "aws:iam/role:Role", "cell-aws-use1-exec"), "arn"),
	} {
		if got := in(task, key); !reflect.DeepEqual(got, w) {
			t.Errorf("task definition %s = %#v, want %#v", key, got, w)
		}
	}
}

func TestServiceAndScaling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		min, max int
		floor    int
	}{
		{"min zero keeps one task", 0, 4, 1},
		{"min kept", 2, 5, 2},
		{"fixed size", 3, 3, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.MinInstances, args.MaxInstances = tc.min, tc.max
			d := deploy(t, args, false)
			svc := d.One(t, "aws:ecs/service:Service")
			if got := in(svc, "desiredCount"); got != float64(tc.floor) {
				t.Errorf("desired count = %v, want %d", got, tc.floor)
			}
			if !slices.Contains(svc.IgnoreChanges, "desiredCount") {
				t.Errorf("service does not leave desiredCount to the autoscaler: %v", svc.IgnoreChanges)
			}
			if got := in(svc, "deploymentCircuitBreaker"); !reflect.DeepEqual(got, map[string]any{"enable": true, "rollback": true}) {
				t.Errorf("circuit breaker = %#v", got)
			}
			nc, _ := in(svc, "networkConfiguration").(map[string]any)
			if nc["assignPublicIp"] != false {
				t.Errorf("tasks get public IPs: %#v", nc)
			}
			var private []any
			for z := range args.Zones + 2 {
				if s := d.Rec.Get("aws:ec2/subnet:Subnet", "cell-aws-use1-private-"+strconv.Itoa(z)); s != nil {
					private = append(private, s.ID)
				}
			}
			if !reflect.DeepEqual(nc["subnets"], private) || len(private) != 2 {
				t.Errorf("service subnets = %v, want the private ones %v", nc["subnets"], private)
			}
			taskSG := d.Named(t, "aws:ec2/securityGroup:SecurityGroup", "cell-aws-use1-task")
			if !reflect.DeepEqual(nc["securityGroups"], []any{taskSG.ID}) {
				t.Errorf("service security groups = %v", nc["securityGroups"])
			}
			tg := d.One(t, "aws:lb/targetGroup:TargetGroup")
			lbs, _ := in(svc, "loadBalancers").([]any)
			if want := []any{map[string]any{"targetGroupArn": out(tg, "arn"), "containerName": containerName, "containerPort": float64(8080)}}; !reflect.DeepEqual(lbs, want) {
				t.Errorf("service load balancers = %#v, want %#v", lbs, want)
			}
			listener := d.One(t, "aws:lb/listener:Listener")
			if !slices.Contains(svc.DependsOn, listener.URN) {
				t.Error("service does not wait for the listener")
			}
			keyVersion := d.Named(t, "aws:secretsmanager/secretVersion:SecretVersion", "cell-aws-use1-edge-key")
			if !slices.Contains(svc.DependsOn, keyVersion.URN) {
				t.Error("service does not wait for the edge key's value: its first tasks could start before the secret has one")
			}

			target := d.One(t, "aws:appautoscaling/target:Target")
			if in(target, "minCapacity") != float64(tc.floor) || in(target, "maxCapacity") != float64(tc.max) {
				t.Errorf("scaling %v..%v, want %d..%d", in(target, "minCapacity"), in(target, "maxCapacity"), tc.floor, tc.max)
			}
			if got := str(target, "resourceId"); got != "service/cellfabric-test-aws-use1/cellfabric-test-aws-use1" {
				t.Errorf("scaling resource = %q", got)
			}
			pol := d.One(t, "aws:appautoscaling/policy:Policy")
			cfg, _ := in(pol, "targetTrackingScalingPolicyConfiguration").(map[string]any)
			if str(pol, "policyType") != "TargetTrackingScaling" || cfg["targetValue"] != float64(targetCPUPercent) ||
				str(pol, "resourceId") != str(target, "resourceId") {
				t.Errorf("scaling policy = %v %#v", str(pol, "policyType"), cfg)
			}
		})
	}
	d := deploy(t, baseArgs(), false)
	cluster := d.One(t, "aws:ecs/cluster:Cluster")
	if got := in(cluster, "settings"); !reflect.DeepEqual(got, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}) {
		t.Errorf("cluster settings = %#v", got)
	}
}

func TestWorkloadEnv(t *testing.T) {
	t.Parallel()
	fixedEnv := map[string]string{cell.EnvCellID: "c1", cell.EnvPort: "8080"}
	cases := []struct {
		name  string
		extra map[string]string
		want  map[string]string
		error string
	}{
		{"no extra", nil, fixedEnv, ""},
		{"extra added", map[string]string{"A": "1"}, map[string]string{cell.EnvCellID: "c1", cell.EnvPort: "8080", "A": "1"}, ""},
		{"cell id shadowed", map[string]string{cell.EnvCellID: "x"}, nil, cell.EnvCellID},
		{"cloud shadowed", map[string]string{cell.EnvCloud: "x"}, nil, cell.EnvCloud},
		{"region shadowed", map[string]string{cell.EnvRegion: "x"}, nil, cell.EnvRegion},
		{"store shadowed", map[string]string{contract.EnvStore: "x"}, nil, contract.EnvStore},
		{"key id shadowed", map[string]string{cell.EnvEdgeKeyID: "x"}, nil, cell.EnvEdgeKeyID},
		{"port shadowed", map[string]string{cell.EnvPort: "1"}, nil, cell.EnvPort},
		{"key as plain env", map[string]string{cell.EnvEdgeKey: "x"}, nil, cell.EnvEdgeKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := workloadEnv(fixedEnv, tc.extra)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("err = %v, want one naming %s", err, tc.error)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
