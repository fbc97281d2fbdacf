package edge

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/stacks"
)

// binding returns the binding named name in one of the script's binding
// lists, or nil.
func binding(r *recorder.Resource, list, name string) resource.PropertyMap {
	for _, b := range objects(r, list) {
		if plain(b["name"]).StringValue() == name {
			return b
		}
	}
	return nil
}

// TestWorkerScriptBindings: the script is uploaded in the service-worker
// format with the wasm, KV, secret and plain-text bindings the Worker reads.
func TestWorkerScriptBindings(t *testing.T) {
	t.Parallel()
	rec := dev(t)
	ns := get(t, rec, tNamespace, testName+"-kv")
	s := get(t, rec, tScript, testName+"-worker")
	if got := strIn(s, "name"); got != "cellfabric-dev-router" {
		t.Errorf("script name = %q", got)
	}
	if strIn(s, "content") != testScript {
		t.Errorf("content = %q", strIn(s, "content"))
	}
	if m := plain(s.Inputs["module"]); !m.IsBool() || m.BoolValue() {
		t.Errorf("module = %v, want false (service-worker format)", m)
	}
	if got := strIn(s, "compatibilityDate"); got != DefaultCompatibilityDate {
		t.Errorf("compatibilityDate = %q", got)
	}
	dir := get(t, rec, tNamespace, testName+"-directory")
	tests := []struct {
		list, name, field, want string
	}{
		{"webassemblyBindings", BindingWasm, "module", testWasm},
		{"kvNamespaceBindings", BindingRegistry, "namespaceId", ns.ID},
		{"kvNamespaceBindings", BindingDirectory, "namespaceId", dir.ID},
		{"secretTextBindings", BindingEdgeKey, "text", testKey},
		{"secretTextBindings", BindingControlKey, "text", testControlKey},
		{"plainTextBindings", BindingEdgeKeyID, "text", "k1"},
		{"plainTextBindings", BindingControlKeyID, "text", DefaultControlKeyID},
		{"plainTextBindings", BindingConfig, "text", testCfgJSON},
	}
	// Exactly these bindings: in particular never the test-only
	// edgeconf.MemStatsBinding.
	for list, n := range map[string]int{"webassemblyBindings": 1, "kvNamespaceBindings": 2, "secretTextBindings": 2, "plainTextBindings": 3} {
		if got := len(objects(s, list)); got != n {
			t.Errorf("%d %s, want %d", got, list, n)
		}
	}
	for _, tt := range tests {
		t.Run(tt.list+"/"+tt.name, func(t *testing.T) {
			b := binding(s, tt.list, tt.name)
			if b == nil {
				t.Fatalf("no %s binding %s (have %v)", tt.list, tt.name, s.Inputs[resource.PropertyKey(tt.list)])
			}
			if got := plain(b[resource.PropertyKey(tt.field)]).StringValue(); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
	for _, name := range []string{BindingEdgeKey, BindingControlKey} {
		if b := binding(s, "secretTextBindings", name); b == nil || !b["text"].ContainsSecrets() {
			t.Errorf("the %s binding's text is not secret", name)
		}
	}
	if !slices.Contains(s.AdditionalSecretOutputs, "secretTextBindings") {
		t.Errorf("secretTextBindings is not an additional secret output: %v", s.AdditionalSecretOutputs)
	}
	// The Worker is uploaded after its registry is in KV.
	kv := get(t, rec, tKV, testName+"-registry")
	if !slices.Contains(s.DependsOn, kv.URN) {
		t.Errorf("the script does not depend on the registry value: %v", s.DependsOn)
	}
	if got := strIn(kv, "namespaceId"); got != ns.ID {
		t.Errorf("registry value namespace %q, want %q", got, ns.ID)
	}
	if got := strIn(ns, "title"); got != "cellfabric-dev-registry" || strIn(ns, "accountId") != testAccount {
		t.Errorf("namespace title %q account %q", got, strIn(ns, "accountId"))
	}
	if got := strIn(dir, "title"); got != "cellfabric-dev-directory" || strIn(dir, "accountId") != testAccount {
		t.Errorf("directory namespace title %q account %q", got, strIn(dir, "accountId"))
	}
	// Pulumi writes no directory entry: they are the control API's.
	for _, kv := range rec.OfType(tKV) {
		if strIn(kv, "namespaceId") == dir.ID {
			t.Errorf("Pulumi writes key %q into the directory", strIn(kv, "key"))
		}
	}
}

// TestCronTrigger: the Worker's health probe runs on HealthCron.
func TestCronTrigger(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, cron string }{{"default", ""}, {"every five minutes", "*/5 * * * *"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := mustRun(t, func(a *Args) { a.HealthCron = tt.cron })
			c := get(t, rec, tCron, testName+"-health-cron")
			want := tt.cron
			if want == "" {
				want = DefaultHealthCron
			}
			if got := strs(c.Inputs["schedules"]); !slices.Equal(got, []string{want}) {
				t.Errorf("schedules = %v, want [%s]", got, want)
			}
			if strIn(c, "scriptName") != "cellfabric-dev-router" || strIn(c, "accountId") != testAccount {
				t.Errorf("cron on %q in %q", strIn(c, "scriptName"), strIn(c, "accountId"))
			}
		})
	}
}

// TestEdgeKeyIsSecretEverywhere: the key, passed in plain text, appears in
// no recorded input or output except under a secret marker, and in none of
// the component's outputs; it reaches the Worker's secret binding.
func TestEdgeKeyIsSecretEverywhere(t *testing.T) {
	t.Parallel()
	rec, e := mustRun(t, func(a *Args) {
		a.AuthenticatedOriginPulls = true
		a.OriginPullCertificate = pulumi.String("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
		a.OriginPullPrivateKey = pulumi.String("-----BEGIN PRIVATE KEY-----\nsecretkeymaterial\n-----END PRIVATE KEY-----")
	})
	secrets := []string{testKey, testControlKey, "secretkeymaterial"}
	carriers := 0
	for _, r := range rec.Resources() {
		for where, m := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
			recorder.Strings(resource.NewObjectProperty(m), "", func(_, s string, secret bool) {
				for _, sec := range secrets {
					if !strings.Contains(s, sec) {
						continue
					}
					if !secret {
						t.Errorf("%s %s: %s carries a secret in plain text", r.Type, r.Name, where)
					} else if where == "input" {
						carriers++
					}
				}
			})
		}
	}
	if carriers < 3 {
		t.Errorf("the secrets reached %d secret inputs, want the keys' bindings and the certificate's key", carriers)
	}
	for name, o := range map[string]pulumi.Output{
		"kvNamespaceId": e.KVNamespaceID, "directoryNamespaceId": e.DirectoryNamespaceID, "workerName": e.WorkerName, "loadBalancerHost": e.LoadBalancerHost,
		"registry": e.Registry, "registryEpoch": e.RegistryEpoch, "hosts": e.Hosts,
	} {
		got, err := recorder.Await(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, sec := range secrets {
			if strings.Contains(strings.Join(strings.Fields(toString(got.Value)), ""), sec) {
				t.Errorf("component output %s carries a secret", name)
			}
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, " ")
	}
	return ""
}

// TestDeployTimeChecks: a bundle the Worker could not run fails the
// deployment with a message that says what to pass.
func TestDeployTimeChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Args)
		want string
	}{
		{"wasm not base64", func(a *Args) { a.WorkerWasm = pulumi.String("not base64!") }, "not base64"},
		{"wasm not a module", func(a *Args) {
			a.WorkerWasm = pulumi.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/sh")))
		}, "not a wasm module"},
		{"config the Worker refuses", func(a *Args) { a.WorkerConfig = pulumi.String(`{"tenantModes":["jwt"]}`) }, "CONFIG binding"},
		{"control key is the edge key", func(a *Args) { a.ControlKey = pulumi.String(testKey) }, "the control key is the edge key"},
		{"control key too short", func(a *Args) { a.ControlKey = pulumi.String("short") }, "control key is 5 bytes"},
		{"cell endpoint without host", func(a *Args) { editOutputs(a, "aws-use1", func(c *router.CellOutputs) { c.Endpoint = "https://" }) }, "cells.aws-use1.endpoint"},
		{"cell health URL not http", func(a *Args) {
			editOutputs(a, "azure-weu", func(c *router.CellOutputs) { c.HealthURL = "ftp://x/healthz" })
		}, "cells.azure-weu.healthUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := run(tt.edit)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestControlKeyPlaceholderPasses: synth passes a placeholder for secrets it
// cannot decrypt, the same for both keys; the deploy-time check lets it be.
func TestControlKeyPlaceholderPasses(t *testing.T) {
	t.Parallel()
	if _, _, err := run(func(a *Args) {
		a.EdgeKey, a.ControlKey = pulumi.String(stacks.SecretPlaceholder), pulumi.String(stacks.SecretPlaceholder)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryTooLargeForKV: a registry over the KV value limit fails the
// deployment instead of failing at Cloudflare.
func TestRegistryTooLargeForKV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
		ok   bool
	}{{"at the limit", MaxKVValueBytes, true}, {"one byte over", MaxKVValueBytes + 1, false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out pulumi.StringOutput
			_ = recorder.New().Run(recorder.Options{}, func(ctx *pulumi.Context) error {
				out = fitsKV(pulumi.String(strings.Repeat("x", tt.size)).ToStringOutput())
				return nil
			})
			_, err := recorder.Await(out)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestWorkerAnalyticsBinding: with Args.Analytics the Worker gets its
// Analytics Engine dataset, named after the edge; without, no binding.
func TestWorkerAnalyticsBinding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		edit    func(*Args)
		dataset string // "" when there must be no binding
	}{
		{"on", func(a *Args) { a.Analytics = true }, "cellfabric_dev_edge"},
		{"on with a name of its own", func(a *Args) { a.Analytics, a.Name = true, "acme-prod-2" }, "acme_prod_2_edge"},
		{"off", func(a *Args) { a.Analytics = false }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := mustRun(t, tc.edit)
			var s *recorder.Resource
			for _, r := range rec.OfType(tScript) {
				s = r
			}
			if s == nil {
				t.Fatal("no worker script")
			}
			list := objects(s, "analyticsEngineBindings")
			if tc.dataset == "" {
				if len(list) != 0 {
					t.Fatalf("analytics bindings %v, want none", list)
				}
				return
			}
			b := binding(s, "analyticsEngineBindings", BindingAnalytics)
			if len(list) != 1 || b == nil {
				t.Fatalf("analytics bindings %v, want one named %s", list, BindingAnalytics)
			}
			if got := plain(b["dataset"]).StringValue(); got != tc.dataset {
				t.Errorf("dataset = %q, want %q", got, tc.dataset)
			}
		})
	}
}

// TestDatasetName: every valid edge name gives a dataset name of
// lowercase letters, digits and "_" that starts with a letter.
func TestDatasetName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"cellfabric-dev", "a", "x1-y2-z3", strings.Repeat("a", maxNameLen)} {
		if !validName(name) {
			t.Fatalf("test name %q is not a valid edge name", name)
		}
		got := DatasetName(name)
		if len(got) > maxNameLen+5 || got[0] < 'a' || got[0] > 'z' || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("DatasetName(%q) = %q", name, got)
		}
	}
}
