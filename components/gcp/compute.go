package gcp

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Cloud Run settings the cell relies on (the tests check them).
const (
	// ingressInternalLB admits requests from the project's VPC networks and
	// from Cloud Load Balancing only; the run.app URL is closed to the
	// internet.
	ingressInternalLB = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
	// egressPrivate sends only RFC 1918 destinations (the mesh's peers)
	// through the VPC; Google APIs and the internet go out directly.
	egressPrivate = "PRIVATE_RANGES_ONLY"
	// roleInvoker and allUsers: see compute's doc comment.
	roleInvoker = "roles/run.invoker"
	allUsers    = "allUsers"
)

// compute builds the Cloud Run (v2) service and lets the load balancer
// invoke it.
//
// The service runs cell.Args.Image as the cell's service account, listens on
// cell.Args.Port (Cloud Run sets PORT from it: the variable is reserved and
// may not be set in the spec), scales between MinInstances and
// MaxInstances, and is checked on HealthPath by a startup and a liveness
// probe. Its egress to private ranges goes through the "workloads"
// subnetwork (Direct VPC egress, no connector). The edge key reaches it as
// a Secret Manager reference; every other variable is plain.
//
// Ingress is "internal and Cloud Load Balancing", so the internet reaches
// the service only through the cell's load balancer, where Cloud Armor
// admits the edge's ranges alone. The load balancer does not authenticate
// to Cloud Run, so allUsers holds roles/run.invoker: with this ingress that
// opens the service to the load balancer and the project's own VPC
// networks, not to the internet. The workload verifies the edge's request
// signatures (CELLFABRIC_EDGE_KEY) on every request; that and Cloud Armor
// are the gates. (An organization policy restricting allUsers grants
// blocks this binding; such projects need an exception for it.)
//
// pulumi-gcp v7 has no deletion protection for Cloud Run services; the
// service holds no state, so replacing or deleting it loses nothing.
func (b *builder) compute() error {
	a := b.args
	extraID := pulumi.String("").ToStringOutput()
	after := []pulumi.Resource{b.secretVersion}
	if b.extraSecret != nil {
		extraID = b.extraSecret.SecretId
		after = append(after, b.extraVersion)
	}
	env := workloadEnv(a, b.names.Database, b.projectID, b.secretRes.SecretId, extraID)
	svc, err := cloudrunv2.NewService(b.ctx, b.name+"-run", &cloudrunv2.ServiceArgs{
		Name:        pulumi.String(b.names.Service),
		Location:    pulumi.String(a.Region),
		Description: pulumi.String("cellfabric cell " + a.ID),
		Ingress:     pulumi.String(ingressInternalLB),
		Labels:      b.lbl(),
		Template: &cloudrunv2.ServiceTemplateArgs{
			Labels:               b.lbl(),
			ServiceAccount:       b.sa.Email,
			ExecutionEnvironment: pulumi.String("EXECUTION_ENVIRONMENT_GEN2"),
			Scaling: &cloudrunv2.ServiceTemplateScalingArgs{
				MinInstanceCount: pulumi.Int(a.MinInstances),
				MaxInstanceCount: pulumi.Int(a.MaxInstances),
			},
			VpcAccess: &cloudrunv2.ServiceTemplateVpcAccessArgs{
				Egress: pulumi.String(egressPrivate),
				NetworkInterfaces: cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArray{
					&cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs{
						Network:    b.net.Name,
						Subnetwork: b.subnet.Name,
					},
				},
			},
			Containers: cloudrunv2.ServiceTemplateContainerArray{
				&cloudrunv2.ServiceTemplateContainerArgs{
					Name:  pulumi.String("cell"),
					Image: a.Image,
					Ports: cloudrunv2.ServiceTemplateContainerPortArray{
						&cloudrunv2.ServiceTemplateContainerPortArgs{ContainerPort: pulumi.Int(a.Port)},
					},
					Envs: env,
					StartupProbe: &cloudrunv2.ServiceTemplateContainerStartupProbeArgs{
						HttpGet: &cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs{
							Path: pulumi.String(a.HealthPath),
							Port: pulumi.Int(a.Port),
						},
						PeriodSeconds:    pulumi.Int(startupPeriod),
						TimeoutSeconds:   pulumi.Int(startupTimeout),
						FailureThreshold: pulumi.Int(startupFailures),
					},
					LivenessProbe: &cloudrunv2.ServiceTemplateContainerLivenessProbeArgs{
						HttpGet: &cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs{
							Path: pulumi.String(a.HealthPath),
							Port: pulumi.Int(a.Port),
						},
						PeriodSeconds:    pulumi.Int(livenessPeriod),
						TimeoutSeconds:   pulumi.Int(livenessTimeout),
						FailureThreshold: pulumi.Int(livenessFailures),
					},
				},
			},
		},
	}, b.child(pulumi.DependsOn(append(after, b.grants...)))...)
	if err != nil {
		return err
	}
	b.service = svc
	_, err = cloudrunv2.NewServiceIamMember(b.ctx, b.name+"-run-invoker", &cloudrunv2.ServiceIamMemberArgs{
		Name:     svc.Name,
		Location: svc.Location,
		Role:     pulumi.String(roleInvoker),
		Member:   pulumi.String(allUsers),
	}, b.child()...)
	return err
}

// workloadEnv is the container's environment: the contract's variables,
// cell.Args.Env, the edge key as a reference to its secret and, when
// extraSecretID resolves to a secret id (not ""), the extra edge key as
// CELLFABRIC_EDGE_KEYS, a reference to that one. It fails, when
// cell.Args.Env resolves, if an extra variable shadows a reserved one.
func workloadEnv(a cell.Args, database string, project, secretID, extraSecretID pulumi.StringOutput) cloudrunv2.ServiceTemplateContainerEnvArrayOutput {
	extra := pulumi.StringMap{}.ToStringMapOutput()
	if a.Env != nil {
		extra = a.Env.ToStringMapOutput()
	}
	fixedEnv := map[string]string{
		cell.EnvCellID:    a.ID,
		cell.EnvCloud:     string(fabric.GCP),
		cell.EnvRegion:    a.Region,
		cell.EnvEdgeKeyID: a.EdgeKeyID,
		// The state port's Firestore adapter, on the cell's own database.
		contract.EnvKind:  string(contract.Firestore),
		contract.EnvStore: database,
	}
	return pulumi.All(extra, secretID, extraSecretID, project).ApplyT(func(xs []any) ([]cloudrunv2.ServiceTemplateContainerEnv, error) {
		more, secret, extraSecret := xs[0].(map[string]string), xs[1].(string), xs[2].(string)
		// The provider's project, the one the service runs in as well: the
		// reference cell also names its log lines' Cloud Logging trace
		// with it (projects/<project>/traces/<id>).
		fixedEnv[contract.EnvProject] = xs[3].(string)
		if err := cell.CheckEnv(slices.Collect(maps.Keys(more)), platformEnv); err != nil {
			return nil, fmt.Errorf("cell %q: Env: %w", a.ID, err)
		}
		vars := map[string]string{}
		maps.Copy(vars, more)
		maps.Copy(vars, fixedEnv)
		out := make([]cloudrunv2.ServiceTemplateContainerEnv, 0, len(vars)+1)
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			out = append(out, cloudrunv2.ServiceTemplateContainerEnv{Name: k, Value: pulumi.StringRef(vars[k])})
		}
		out = append(out, secretEnv(cell.EnvEdgeKey, secret))
		if extraSecret != "" {
			out = append(out, secretEnv(cell.EnvEdgeKeys, extraSecret))
		}
		return out, nil
	}).(cloudrunv2.ServiceTemplateContainerEnvArrayOutput)
}

// secretEnv is a variable whose value Cloud Run reads from the latest
// version of a Secret Manager secret when an instance starts.
func secretEnv(name, secretID string) cloudrunv2.ServiceTemplateContainerEnv {
	return cloudrunv2.ServiceTemplateContainerEnv{
		Name: name,
		ValueSource: &cloudrunv2.ServiceTemplateContainerEnvValueSource{
			SecretKeyRef: &cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRef{
				Secret:  secretID,
				Version: pulumi.StringRef(secretVersion),
			},
		},
	}
}
