package recorder

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Fakes shared by every stack: random (secrets) and Cloudflare's IP ranges.
func init() {
	// RandomPassword/RandomString: a deterministic result of the asked
	// length from the asked character classes, secret as the provider marks
	// it.
	pw := func(res *Resource, fc FakeContext) resource.PropertyMap {
		n := 16
		if v, ok := res.Inputs["length"]; ok && v.IsNumber() {
			n = int(v.NumberValue())
		}
		alphabet := "abcdefghijklmnopqrstuvwxyz"
		if b, ok := res.Inputs["upper"]; !ok || !b.IsBool() || b.BoolValue() {
			alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		}
		if b, ok := res.Inputs["numeric"]; !ok || !b.IsBool() || b.BoolValue() {
			alphabet += "0123456789"
		}
		var sb strings.Builder
		seed := res.URN
		for sb.Len() < n {
			seed = hash8(seed)
			for i := 0; i < len(seed) && sb.Len() < n; i += 2 {
				var v int
				fmt.Sscanf(seed[i:i+2], "%02x", &v)
				sb.WriteByte(alphabet[v%len(alphabet)])
			}
		}
		return resource.PropertyMap{"result": resource.MakeSecret(resource.NewStringProperty(sb.String()))}
	}
	outputFakes["random:index/randomPassword:RandomPassword"] = pw
	outputFakes["random:index/randomString:RandomString"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		m := pw(res, fc)
		m["result"] = m["result"].SecretValue().Element
		return m
	}
	outputFakes["random:index/randomId:RandomId"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"hex": fc.Hash, "b64Url": fc.Hash, "dec": "12345678"})
	}

	// Cloudflare's published egress ranges (a subset, as of 2026; the real
	// stack reads the full list from the provider at deploy time).
	invokeFakes["cloudflare:index/getIpRanges:getIpRanges"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		v4 := []any{"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
			"141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
			"197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
			"104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22"}
		v6 := []any{"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
			"2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"}
		all := append(append([]any{}, v4...), v6...)
		return props(map[string]any{"id": "cloudflare-ip-ranges", "ipv4CidrBlocks": v4, "ipv6CidrBlocks": v6,
			"cidrBlocks": all, "chinaIpv4CidrBlocks": []any{}, "chinaIpv6CidrBlocks": []any{}})
	}
}
