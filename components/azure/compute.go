package azure

import (
	"fmt"
	"strconv"

	app "github.com/pulumi/pulumi-azure-native-sdk/app/v2/v20240301"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// Container Apps settings. The Consumption workload profile bills per use
// and scales to zero; the container's size is one of its allowed pairs.
const (
	workloadProfile   = "Consumption"
	containerName     = "cell"
	containerCPU      = 0.5
	containerMemory   = "1Gi"
	concurrencyTarget = 50 // concurrent HTTP requests per replica before scaling out
	probePeriod       = 10
	probeTimeout      = 2
	probeFailures     = 3
)

// computeInputs are what newCompute needs from the rest of the cell.
type computeInputs struct {
	args       cell.Args
	names      names
	rg         pulumi.StringInput
	location   string
	appsSubnet pulumi.StringInput
	after      []pulumi.Resource // the environment waits for these (VNet changes)
	logs       *cellLogs
	identity   *managedidentity.UserAssignedIdentity
	secretURI  pulumi.StringInput
	// extraSecretURI is the extra edge key's secret; unset (zero) without
	// one, and then nothing of it is configured.
	extraSecretURI pulumi.StringOutput
	stateEndpoint  pulumi.StringOutput
	edgeV4         pulumi.StringArrayOutput
	grants         []pulumi.Resource // the app waits for these (Key Vault reference)
	tags           pulumi.StringMap
}

// newCompute creates the VNet-integrated Container Apps environment and the
// Container App that runs the cell's image.
func newCompute(ctx *pulumi.Context, name string, in computeInputs, opts ...pulumi.ResourceOption) (*app.ContainerApp, error) {
	a := in.args
	env, err := app.NewManagedEnvironment(ctx, name+"-env", &app.ManagedEnvironmentArgs{
		EnvironmentName:   pulumi.String(in.names.Environment),
		ResourceGroupName: in.rg,
		Location:          pulumi.String(in.location),
		AppLogsConfiguration: &app.AppLogsConfigurationArgs{
			Destination: pulumi.String("log-analytics"),
			LogAnalyticsConfiguration: &app.LogAnalyticsConfigurationArgs{
				CustomerId: in.logs.workspace.CustomerId,
				SharedKey:  in.logs.sharedKey,
			},
		},
		VnetConfiguration: &app.VnetConfigurationArgs{
			InfrastructureSubnetId: in.appsSubnet,
			// External: the app has a public endpoint, which the edge
			// reaches and the app's IP restrictions guard.
			Internal: pulumi.Bool(false),
		},
		WorkloadProfiles: app.WorkloadProfileArray{app.WorkloadProfileArgs{
			Name:                pulumi.String(workloadProfile),
			WorkloadProfileType: pulumi.String(workloadProfile),
		}},
		ZoneRedundant: pulumi.Bool(HasZones(in.location)),
		Tags:          in.tags,
	}, append(opts, pulumi.DependsOn(in.after))...)
	if err != nil {
		return nil, fmt.Errorf("creating container apps environment: %w", err)
	}

	extra := a.Env
	if extra == nil {
		extra = pulumi.StringMap{}
	}
	envVars := pulumi.All(extra.ToStringMapOutput(), in.identity.ClientId, in.stateEndpoint).ApplyT(func(v []any) ([]app.EnvironmentVar, error) {
		return containerEnv(workloadEnv{
			CellID: a.ID, Region: a.Region, Table: in.names.Table, KeyID: a.EdgeKeyID, Port: a.Port,
			ExtraKey: a.HasExtraEdgeKey(),
			Extra:    v[0].(map[string]string), ClientID: v[1].(string), StateEndpoint: v[2].(string),
		})
	}).(app.EnvironmentVarArrayOutput)
	restrictions := in.edgeV4.ApplyT(ipRestrictions).(app.IpSecurityRestrictionRuleArrayOutput)

	probe := func(kind string) app.ContainerAppProbeArgs {
		return app.ContainerAppProbeArgs{
			Type: pulumi.String(kind),
			HttpGet: &app.ContainerAppProbeHttpGetArgs{
				Path:   pulumi.String(a.HealthPath),
				Port:   pulumi.Int(a.Port),
				Scheme: pulumi.String("HTTP"),
			},
			PeriodSeconds:    pulumi.Int(probePeriod),
			TimeoutSeconds:   pulumi.Int(probeTimeout),
			FailureThreshold: pulumi.Int(probeFailures),
		}
	}
	ca, err := app.NewContainerApp(ctx, name+"-app", &app.ContainerAppArgs{
		ContainerAppName:    pulumi.String(in.names.App),
		ResourceGroupName:   in.rg,
		Location:            pulumi.String(in.location),
		EnvironmentId:       env.ID(),
		WorkloadProfileName: pulumi.String(workloadProfile),
		Identity: &app.ManagedServiceIdentityArgs{
			Type:                   pulumi.String("UserAssigned"),
			UserAssignedIdentities: pulumi.StringArray{in.identity.ID()},
		},
		Configuration: &app.ConfigurationArgs{
			ActiveRevisionsMode: pulumi.String("Single"),
			Ingress: &app.IngressArgs{
				External:               pulumi.Bool(true),
				TargetPort:             pulumi.Int(a.Port),
				Transport:              pulumi.String("http"),
				AllowInsecure:          pulumi.Bool(false),
				IpSecurityRestrictions: restrictions,
			},
			// The edge key is a Key Vault reference, fetched by the
			// platform with the cell's identity; the app holds no value.
			Secrets: appSecrets(in),
		},
		Template: &app.TemplateArgs{
			Containers: app.ContainerArray{app.ContainerArgs{
				Name:      pulumi.String(containerName),
				Image:     a.Image,
				Env:       envVars,
				Resources: &app.ContainerResourcesArgs{Cpu: pulumi.Float64(containerCPU), Memory: pulumi.String(containerMemory)},
				Probes:    app.ContainerAppProbeArray{probe("Liveness"), probe("Readiness")},
			}},
			Scale: &app.ScaleArgs{
				MinReplicas: pulumi.Int(a.MinInstances),
				MaxReplicas: pulumi.Int(a.MaxInstances),
				Rules: app.ScaleRuleArray{app.ScaleRuleArgs{
					Name: pulumi.String("http-concurrency"),
					Http: &app.HttpScaleRuleArgs{Metadata: pulumi.StringMap{
						"concurrentRequests": pulumi.String(strconv.Itoa(concurrencyTarget)),
					}},
				}},
			},
		},
		Tags: in.tags,
		// Without its role assignments the identity can't read the Key
		// Vault secret and the first revision fails to start.
	}, append(opts, pulumi.DependsOn(in.grants))...)
	if err != nil {
		return nil, fmt.Errorf("creating container app: %w", err)
	}
	return ca, nil
}

// ipRestrictions allows the edge's IPv4 ranges, one rule each. Container
// Apps admits everyone when the list is empty, which parseIngress rules out
// by failing when no IPv4 range is left.
func ipRestrictions(edgeV4 []string) []app.IpSecurityRestrictionRule {
	out := make([]app.IpSecurityRestrictionRule, 0, len(edgeV4))
	for i, c := range edgeV4 {
		out = append(out, app.IpSecurityRestrictionRule{
			Name:           fmt.Sprintf("edge-%d", i),
			Description:    ptr("edge egress range"),
			IpAddressRange: c,
			Action:         "Allow",
		})
	}
	return out
}

// appSecrets are the Container App's secrets: Key Vault references to the
// edge key and, when the cell has one, to the extra edge key, both read
// with the cell's identity.
func appSecrets(in computeInputs) app.SecretArray {
	secrets := app.SecretArray{app.SecretArgs{
		Name:        pulumi.String(edgeKeySecretName),
		KeyVaultUrl: in.secretURI,
		Identity:    in.identity.ID(),
	}}
	if in.args.HasExtraEdgeKey() {
		secrets = append(secrets, app.SecretArgs{
			Name:        pulumi.String(extraEdgeKeySecretName),
			KeyVaultUrl: in.extraSecretURI,
			Identity:    in.identity.ID(),
		})
	}
	return secrets
}
