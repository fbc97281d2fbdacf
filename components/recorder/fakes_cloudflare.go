package recorder

import (
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Fakes for the Cloudflare edge (components/edge): ids shaped like the real
// ones for the resources the edge reads ids of (KV namespace, pools,
// monitors, ...), and the time.Static that holds the registry's epoch.
// cloudflare:index/record:Record keeps the generic id: cell stacks' golden
// plans record it.
func init() {
	// Cloudflare's object ids are 32 lowercase hex digits.
	for _, typ := range []string{
		"cloudflare:index/workersKvNamespace:WorkersKvNamespace",
		"cloudflare:index/workerRoute:WorkerRoute",
		"cloudflare:index/workerCronTrigger:WorkerCronTrigger",
		"cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
		"cloudflare:index/loadBalancerPool:LoadBalancerPool",
		"cloudflare:index/loadBalancer:LoadBalancer",
	} {
		idFakes[typ] = func(res *Resource, fc FakeContext) string { return fakeHex32(res.URN) }
	}
	// A Worker script is known by its name; a KV pair by account,
	// namespace and key (the provider's import id).
	idFakes["cloudflare:index/workerScript:WorkerScript"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "name")
	}
	idFakes["cloudflare:index/workersKv:WorkersKv"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "accountId") + "/" + str(res.Inputs, "namespaceId") + "/" + str(res.Inputs, "key")
	}
	idFakes["cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"] = func(res *Resource, fc FakeContext) string {
		return fakeUUID(res.URN)
	}
	idFakes["cloudflare:index/authenticatedOriginPulls:AuthenticatedOriginPulls"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "zoneId")
	}
	created := func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"createdOn": fakeEpoch.Format(time.RFC3339), "modifiedOn": fakeEpoch.Format(time.RFC3339)})
	}
	outputFakes["cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"] = created
	outputFakes["cloudflare:index/loadBalancerPool:LoadBalancerPool"] = created
	outputFakes["cloudflare:index/loadBalancer:LoadBalancer"] = created
	outputFakes["cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{
			"issuer": "cellfabric test CA", "signature": "SHA256WithRSA", "serialNumber": fc.Hash,
			"status": "active", "uploadedOn": fakeEpoch.Format(time.RFC3339),
			"expiresOn": fakeEpoch.AddDate(1, 0, 0).Format(time.RFC3339),
		})
	}

	// time.Static: a timestamp that depends only on the triggers, so one
	// content gives one epoch and another content another, run after run.
	outputFakes["time:index/static:Static"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		t := fakeEpoch.Add(time.Duration(triggerSeed(res.Inputs)%(30*24*3600)) * time.Second)
		return props(map[string]any{
			"rfc3339": t.Format(time.RFC3339), "unix": float64(t.Unix()),
			"year": float64(t.Year()), "month": float64(t.Month()), "day": float64(t.Day()),
			"hour": float64(t.Hour()), "minute": float64(t.Minute()), "second": float64(t.Second()),
		})
	}
	idFakes["time:index/static:Static"] = func(res *Resource, fc FakeContext) string {
		return fakeEpoch.Add(time.Duration(triggerSeed(res.Inputs)%(30*24*3600)) * time.Second).Format(time.RFC3339)
	}
}

// fakeEpoch is the base of every fake timestamp: 2026-01-01T00:00:00Z.
var fakeEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeHex32 returns 32 stable hex digits derived from seed.
func fakeHex32(seed string) string {
	return hash8(seed+"#0") + hash8(seed+"#1") + hash8(seed+"#2") + hash8(seed+"#3")
}

// triggerSeed hashes a resource's "triggers" map in key order.
func triggerSeed(in resource.PropertyMap) uint64 {
	h := fnv.New64a()
	if t, ok := in["triggers"]; ok && t.IsObject() {
		obj := t.ObjectValue()
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%s;", k, str(obj, k))
		}
	}
	return h.Sum64()
}
