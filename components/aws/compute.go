package aws

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Task size and scaling.
const (
	// taskCPU and taskMemory are the Fargate task size: the smallest, which
	// suits the reference cell; capacity grows by task count.
	taskCPU    = 256 // CPU units (a quarter vCPU)
	taskMemory = 512 // MiB
	// targetCPUPercent is the average CPU the autoscaler aims for.
	targetCPUPercent = 60
	scaleOutCooldown = 60  // seconds
	scaleInCooldown  = 300 // seconds
	// healthGracePeriod gives a new task time to start before the load
	// balancer's health check counts against it (seconds).
	healthGracePeriod = 60
)

// compute builds the ECS cluster, the Fargate task definition, the service
// in the private subnets behind the target group, and target-tracking
// autoscaling between max(1, MinInstances) and MaxInstances. Fargate has no
// scale to zero; a cell keeps one task at least.
func (b *builder) compute() error {
	cluster, err := ecs.NewCluster(b.ctx, b.name+"-cluster", &ecs.ClusterArgs{
		Name:     pulumi.String(b.names.Cluster),
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{Name: pulumi.String("containerInsights"), Value: pulumi.String("enabled")}},
		Tags:     b.tagged("cluster"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	fixedEnv := map[string]string{
		cell.EnvCellID:    b.args.ID,
		cell.EnvCloud:     string(fabric.AWS),
		cell.EnvRegion:    b.args.Region,
		cell.EnvEdgeKeyID: b.args.EdgeKeyID,
		cell.EnvPort:      strconv.Itoa(b.args.Port),
		// The state port's DynamoDB adapter; the table is in the cell's
		// region, which the adapter takes from CELLFABRIC_REGION.
		contract.EnvKind: string(contract.DynamoDB),
	}
	extra := pulumi.StringMap{}.ToStringMapOutput()
	if b.args.Env != nil {
		extra = b.args.Env.ToStringMapOutput()
	}
	port, region := b.args.Port, b.region
	extraARN := pulumi.String("").ToStringOutput()
	if b.extraSecret != nil {
		extraARN = b.extraSecret.Arn
	}
	defs := pulumi.All(b.args.Image, extra, b.table.Name, b.secret.Arn, b.logGroup.Name, extraARN).ApplyT(func(v []any) (string, error) {
		c := map[string]string{contract.EnvStore: v[2].(string)}
		for k, val := range fixedEnv {
			c[k] = val
		}
		env, err := workloadEnv(c, v[1].(map[string]string))
		if err != nil {
			return "", fmt.Errorf("cell %q: %w", b.args.ID, err)
		}
		return containerDefinitions(containerSpec{
			Image:          v[0].(string),
			Port:           port,
			Env:            env,
			SecretARN:      v[3].(string),
			ExtraSecretARN: v[5].(string),
			LogGroup:       v[4].(string),
			Region:         region,
		})
	}).(pulumi.StringOutput)

	task, err := ecs.NewTaskDefinition(b.ctx, b.name+"-task", &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(b.names.Family),
		Cpu:                     pulumi.String(strconv.Itoa(taskCPU)),
		Memory:                  pulumi.String(strconv.Itoa(taskMemory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String("X86_64"),
		},
		ExecutionRoleArn:     b.execRole.Arn,
		TaskRoleArn:          b.taskRole.Arn,
		ContainerDefinitions: defs,
		Tags:                 b.tagged("task"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	var subnets pulumi.StringArray
	for _, s := range b.private {
		subnets = append(subnets, s.ID())
	}
	floor := max(1, b.args.MinInstances)
	// The service waits for the listener (a target group must belong to a
	// load balancer before a service registers with it), for the role
	// policies (the first task pulls the image, reads the secret and the
	// table) and for its security group rules; and for the edge keys'
	// values, since a task that starts before a secret has a value fails to
	// read it.
	deps := append([]pulumi.Resource{b.listener, b.taskPolicy, b.execPolicy, b.keyVersion}, b.taskRules...)
	if b.extraVersion != nil {
		deps = append(deps, b.extraVersion)
	}
	svc, err := ecs.NewService(b.ctx, b.name+"-service", &ecs.ServiceArgs{
		Name:           pulumi.String(b.names.Service),
		Cluster:        cluster.Arn,
		TaskDefinition: task.Arn,
		LaunchType:     pulumi.String("FARGATE"),
		DesiredCount:   pulumi.Int(floor),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        subnets,
			SecurityGroups: pulumi.StringArray{b.taskSG.ID()},
			AssignPublicIp: pulumi.Bool(false),
		},
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: b.tg.Arn,
			ContainerName:  pulumi.String(containerName),
			ContainerPort:  pulumi.Int(b.args.Port),
		}},
		HealthCheckGracePeriodSeconds:   pulumi.Int(healthGracePeriod),
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		EnableEcsManagedTags: pulumi.Bool(true),
		PropagateTags:        pulumi.String("SERVICE"),
		Tags:                 b.tagged("service"),
	}, b.opts(
		pulumi.DependsOn(deps),
		// The autoscaler owns the task count after creation.
		pulumi.IgnoreChanges([]string{"desiredCount"}),
	)...)
	if err != nil {
		return err
	}
	b.clusterName, b.serviceName = cluster.Name, svc.Name

	target, err := appautoscaling.NewTarget(b.ctx, b.name+"-scaling", &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster.Name, svc.Name),
		MinCapacity:       pulumi.Int(floor),
		MaxCapacity:       pulumi.Int(b.args.MaxInstances),
		Tags:              b.tagged("scaling"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	_, err = appautoscaling.NewPolicy(b.ctx, b.name+"-cpu", &appautoscaling.PolicyArgs{
		PolicyType:        pulumi.String("TargetTrackingScaling"),
		ServiceNamespace:  target.ServiceNamespace,
		ScalableDimension: target.ScalableDimension,
		ResourceId:        target.ResourceId,
		TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
			PredefinedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs{
				PredefinedMetricType: pulumi.String("ECSServiceAverageCPUUtilization"),
			},
			TargetValue:      pulumi.Float64(targetCPUPercent),
			ScaleOutCooldown: pulumi.Int(scaleOutCooldown),
			ScaleInCooldown:  pulumi.Int(scaleInCooldown),
		},
	}, b.opts()...)
	return err
}
