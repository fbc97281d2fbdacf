package edge

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
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

// checkedControlKey passes the control key through, failing the deployment
// when it is too short for router/edgeauth or is the edge key itself: a
// holder of the edge key could then write the tenant directory. The
// placeholder a tool that cannot decrypt the stack's secrets passes
// (stacks.SecretPlaceholder, e.g. in synth) says nothing and is let through.
func checkedControlKey(control, edgeKey pulumi.StringInput) pulumi.StringOutput {
	return pulumi.All(control, edgeKey).ApplyT(func(v []any) (string, error) {
		c, _ := v[0].(string)
		e, _ := v[1].(string)
		switch {
		case c == stacks.SecretPlaceholder:
		case len(c) < MinControlKeyBytes:
			return "", fmt.Errorf("the control key is %d bytes; use at least %d (a generated one is 64): `pulumi config set --secret cellfabric:controlKey $(openssl rand -hex 32)`", len(c), MinControlKeyBytes)
		case c == e:
			return "", errors.New("the control key is the edge key: give the tenant directory's control API a key of its own, `pulumi config set --secret cellfabric:controlKey $(openssl rand -hex 32)`")
		}
		return c, nil
	}).(pulumi.StringOutput)
}

// buildWorker registers the KV namespaces (the registry's, with the
// registry in it, and the tenant directory's, which Pulumi leaves empty),
// then the Worker script bound to them, and its cron trigger.
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
	// The directory's entries are runtime data, written by the control
	// API: Pulumi manages the namespace, never its keys.
	dir, err := cloudflare.NewWorkersKvNamespace(b.ctx, b.name+"-directory", &cloudflare.WorkersKvNamespaceArgs{
		AccountId: pulumi.String(a.AccountID),
		Title:     pulumi.String(directoryTitle(a.Name)),
	}, b.opts()...)
	if err != nil {
		return fmt.Errorf("directory kv namespace: %w", err)
	}
	b.edge.DirectoryNamespaceID = dir.ID().ToStringOutput()
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

	// The keys are secret whatever the caller passed, and stay secret in
	// the script's state.
	key := pulumi.ToSecret(a.EdgeKey).(pulumi.StringOutput)
	control := pulumi.ToSecret(checkedControlKey(a.ControlKey, a.EdgeKey)).(pulumi.StringOutput)
	var analytics cloudflare.WorkerScriptAnalyticsEngineBindingArray
	if a.Analytics {
		analytics = cloudflare.WorkerScriptAnalyticsEngineBindingArray{
			cloudflare.WorkerScriptAnalyticsEngineBindingArgs{Name: pulumi.String(BindingAnalytics), Dataset: pulumi.String(DatasetName(a.Name))},
		}
	}
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
			cloudflare.WorkerScriptKvNamespaceBindingArgs{Name: pulumi.String(BindingDirectory), NamespaceId: dir.ID()},
		},
		SecretTextBindings: cloudflare.WorkerScriptSecretTextBindingArray{
			cloudflare.WorkerScriptSecretTextBindingArgs{Name: pulumi.String(BindingEdgeKey), Text: key},
			cloudflare.WorkerScriptSecretTextBindingArgs{Name: pulumi.String(BindingControlKey), Text: control},
		},
		PlainTextBindings: cloudflare.WorkerScriptPlainTextBindingArray{
			cloudflare.WorkerScriptPlainTextBindingArgs{Name: pulumi.String(BindingEdgeKeyID), Text: pulumi.String(a.EdgeKeyID)},
			cloudflare.WorkerScriptPlainTextBindingArgs{Name: pulumi.String(BindingControlKeyID), Text: pulumi.String(a.ControlKeyID)},
			cloudflare.WorkerScriptPlainTextBindingArgs{Name: pulumi.String(BindingConfig), Text: checkedConfig(a.WorkerConfig)},
		},
		AnalyticsEngineBindings: analytics,
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
// the tenant hosts and the shared host reach the Worker: one wildcard route
// and record for every tenant host, whatever the number of tenants (the
// Worker finds the tenant in the host and looks it up in the directory),
// and the shared host's. A route runs only on a proxied host, and a host
// with no record does not resolve, so each route has its record (the shared
// host's is the load balancer when there is one).
func (b *builder) buildHosts() error {
	a := b.args
	suffix, _ := wildcardSuffix(a.TenantHost) // Validate made sure of it
	if err := b.hostRoute("tenants", "*."+suffix, true); err != nil {
		return err
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
