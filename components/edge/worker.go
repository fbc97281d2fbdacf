package edge

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// wasmMagic opens every wasm module.
var wasmMagic = []byte{0x00, 'a', 's', 'm'}

// checkedWasm passes the base64 wasm through, failing the deployment when it
// is not base64 of a wasm module: raw bytes or a path passed by mistake
// would otherwise reach Cloudflare as a broken Worker.
func checkedWasm(in pulumi.StringInput) pulumi.StringOutput {
	return in.ToStringOutput().ApplyT(func(s string) (string, error) {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", fmt.Errorf("edge worker wasm: not base64 (%v): pass base64.StdEncoding of the .wasm file", err)
		}
		if !bytes.HasPrefix(raw, wasmMagic) {
			return "", fmt.Errorf("edge worker wasm: %d bytes that are not a wasm module: build the router with GOOS=js GOARCH=wasm and pass that file", len(raw))
		}
		return s, nil
	}).(pulumi.StringOutput)
}

// fitsKV passes the registry through, failing the deployment when it is
// larger than a KV value may be.
func fitsKV(in pulumi.StringOutput) pulumi.StringOutput {
	return in.ApplyT(func(s string) (string, error) {
		if len(s) > MaxKVValueBytes {
			return "", fmt.Errorf("the registry is %d bytes, over the %d bytes a Workers KV value holds: split tenants over several edges", len(s), MaxKVValueBytes)
		}
		return s, nil
	}).(pulumi.StringOutput)
}

// checkedConfig passes the Worker's config through, failing the deployment
// when the Worker would refuse it.
func checkedConfig(in pulumi.StringInput) pulumi.StringOutput {
	return in.ToStringOutput().ApplyT(func(s string) (string, error) {
		if _, err := edgeconf.Parse([]byte(s)); err != nil {
			return "", fmt.Errorf("checking the CONFIG binding: %w", err)
		}
		return s, nil
	}).(pulumi.StringOutput)
}

// buildWorker registers the KV namespace and the registry in it, then the
// Worker script bound to them, and its cron trigger.
func (b *builder) buildWorker() error {
	a := b.args
	ns, err := cloudflare.NewWorkersKvNamespace(b.ctx, b.name+"-kv", &cloudflare.WorkersKvNamespaceArgs{
		AccountId: pulumi.String(a.AccountID),
		Title:     pulumi.String(kvTitle(a.Name)),
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("kv namespace: %w", err)
	}
	b.edge.KVNamespaceID = ns.ID().ToStringOutput()
	// The registry value is an Output: rewritten on the `pulumi up` after
	// which it differs, left alone otherwise (its epoch only moves with its
	// content).
	kv, err := cloudflare.NewWorkersKv(b.ctx, b.name+"-registry", &cloudflare.WorkersKvArgs{
		AccountId:   pulumi.String(a.AccountID),
		NamespaceId: ns.ID(),
		Key:         pulumi.String(KeyRegistry),
		Value:       fitsKV(b.edge.Registry),
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("registry value: %w", err)
	}

	// The key is secret whatever the caller passed, and stays secret in the
	// script's state.
	key := pulumi.ToSecret(a.EdgeKey).(pulumi.StringOutput)
	script, err := cloudflare.NewWorkerScript(b.ctx, b.name+"-worker", &cloudflare.WorkerScriptArgs{
		AccountId:         pulumi.String(a.AccountID),
		Name:              pulumi.String(scriptName(a.Name)),
		Content:           a.WorkerScript,
		Module:            pulumi.Bool(false),
		CompatibilityDate: pulumi.String(a.CompatibilityDate),
		WebassemblyBindings: cloudflare.WorkerScriptWebassemblyBindingArray{
			cloudflare.WorkerScriptWebassemblyBindingArgs{Name: pulumi.String(BindingWasm), Module: checkedWasm(a.WorkerWasm)},
		},
		KvNamespaceBindings: cloudflare.WorkerScriptKvNamespaceBindingArray{
			cloudflare.WorkerScriptKvNamespaceBindingArgs{Name: pulumi.String(BindingRegistry), NamespaceId: ns.ID()},
		},
		SecretTextBindings: cloudflare.WorkerScriptSecretTextBindingArray{
			cloudflare.WorkerScriptSecretTextBindingArgs{Name: pulumi.String(BindingEdgeKey), Text: key},
		},
		PlainTextBindings: cloudflare.WorkerScriptPlainTextBindingArray{
			cloudflare.WorkerScriptPlainTextBindingArgs{Name: pulumi.String(BindingEdgeKeyID), Text: pulumi.String(a.EdgeKeyID)},
			cloudflare.WorkerScriptPlainTextBindingArgs{Name: pulumi.String(BindingConfig), Text: checkedConfig(a.WorkerConfig)},
		},
	}, b.opts(
		// A new Worker starts only once its registry is in KV.
		pulumi.DependsOn([]pulumi.Resource{kv}),
		pulumi.AdditionalSecretOutputs([]string{"secretTextBindings"}),
	)...)
	if err != nil {
		return fmt.Errorf("worker script: %w", err)
	}
	b.script = script
	b.edge.WorkerName = script.Name

	_, err = cloudflare.NewWorkerCronTrigger(b.ctx, b.name+"-health-cron", &cloudflare.WorkerCronTriggerArgs{
		AccountId:  pulumi.String(a.AccountID),
		ScriptName: script.Name,
		Schedules:  pulumi.StringArray{pulumi.String(a.HealthCron)},
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("health cron trigger: %w", err)
	}
	return nil
}

// buildHosts registers the Worker routes and the proxied records that make
// the tenant hosts and the shared host reach the Worker. A route runs only on
// a proxied host, and a host with no record does not resolve, so each route
// has its record (the shared host's is the load balancer when there is one).
func (b *builder) buildHosts() error {
	a := b.args
	if a.WildcardTenants {
		suffix, _ := wildcardSuffix(a.TenantHost)
		if err := b.hostRoute("tenants", "*."+suffix, true); err != nil {
			return err
		}
	} else {
		for _, t := range a.tenantIDs() {
			if err := b.hostRoute("tenant-"+t, TenantHostFor(a.TenantHost, t), true); err != nil {
				return err
			}
		}
	}
	// Without shared routes there is no load balancer to stand for the
	// shared host in DNS: a placeholder record does.
	return b.hostRoute("shared", a.SharedHost, len(a.Routing.SharedRoutes) == 0)
}

// hostRoute registers the Worker route of host and, when record is set, its
// proxied placeholder record.
func (b *builder) hostRoute(suffix, host string, record bool) error {
	a := b.args
	_, err := cloudflare.NewWorkerRoute(b.ctx, b.name+"-route-"+suffix, &cloudflare.WorkerRouteArgs{
		ZoneId:     pulumi.String(a.ZoneID),
		Pattern:    pulumi.String(routePattern(host)),
		ScriptName: b.script.Name,
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("worker route %s: %w", host, err)
	}
	b.edge.hosts = append(b.edge.hosts, host)
	if !record {
		return nil
	}
	_, err = cloudflare.NewRecord(b.ctx, b.name+"-dns-"+suffix, &cloudflare.RecordArgs{
		ZoneId:  pulumi.String(a.ZoneID),
		Name:    pulumi.String(host),
		Type:    pulumi.String("AAAA"),
		Content: pulumi.String(PlaceholderAAAA),
		Proxied: pulumi.Bool(true),
		Ttl:     pulumi.Int(1), // automatic: the only TTL a proxied record takes
		Comment: pulumi.String("cellfabric edge: served by the Worker " + scriptName(a.Name)),
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("dns record %s: %w", host, err)
	}
	return nil
}
