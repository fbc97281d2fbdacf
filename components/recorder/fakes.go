package recorder

import (
	"fmt"
	"hash/fnv"
	"maps"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FakeContext is what a fake knows about the resource or invoke it answers.
type FakeContext struct {
	// Region is the region or location of the resource's provider, or of
	// the resource's own region/location input; "" when neither is set.
	Region string
	// Project is the GCP project of the provider or resource; "" if unset.
	Project string
	// Hash is 8 hex characters derived from the resource's URN: stable,
	// distinct per resource.
	Hash string
	// Stack is the stack name of the run.
	Stack string
}

// OutputFake returns the computed outputs of one resource type. They are
// merged over the resource's inputs (which the engine echoes back as outputs).
type OutputFake func(res *Resource, fc FakeContext) resource.PropertyMap

// InvokeFake answers one data source.
type InvokeFake func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap

// IDFake returns the physical id of a resource of one type.
type IDFake func(res *Resource, fc FakeContext) string

// The fake tables, filled by the fakes_<provider>.go files at init.
var (
	outputFakes = map[string]OutputFake{}
	invokeFakes = map[string]InvokeFake{}
	idFakes     = map[string]IDFake{}
	// providerIDFakes give the id format for every type of one provider
	// package ("aws", "azure-native", "gcp", ...), when idFakes has no entry.
	providerIDFakes = map[string]IDFake{}
	// providerOutputFakes add outputs to every type of one provider package,
	// before the type's own fake.
	providerOutputFakes = map[string]OutputFake{}
)

// pkgOf returns the provider package of a type token ("aws" of
// "aws:ec2/vpc:Vpc").
func pkgOf(typ string) string {
	pkg, _, _ := strings.Cut(typ, ":")
	return pkg
}

// hash8 derives 8 stable hex characters from s.
func hash8(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())[:8]
}

// fakeContext builds the context of a resource. Callers hold r.mu.
func (r *Recorder) fakeContext(res *Resource) FakeContext {
	fc := FakeContext{Hash: hash8(res.URN), Stack: r.stack}
	fc.Region = r.providerRegion(res.Provider)
	fc.Project = r.providerProject(res.Provider)
	if fc.Region == "" {
		fc.Region = str(res.Inputs, "region", "location")
	}
	if fc.Project == "" {
		fc.Project = str(res.Inputs, "project")
	}
	return fc
}

// providerRegion returns the region/location input of a provider. Callers hold
// r.mu.
func (r *Recorder) providerRegion(ref string) string {
	if p := r.byURN[providerURN(ref)]; p != nil {
		return str(p.Inputs, "region", "location")
	}
	return ""
}

// providerProject returns the project input of a provider. Callers hold r.mu.
func (r *Recorder) providerProject(ref string) string {
	if p := r.byURN[providerURN(ref)]; p != nil {
		return str(p.Inputs, "project")
	}
	return ""
}

func fakeID(res *Resource, fc FakeContext) string {
	if !res.Custom && !res.IsProvider() {
		return ""
	}
	if f, ok := idFakes[res.Type]; ok {
		return f(res, fc)
	}
	if f, ok := providerIDFakes[pkgOf(res.Type)]; ok && !res.IsProvider() {
		return f(res, fc)
	}
	return res.Name + "-" + fc.Hash
}

func fakeOutputs(res *Resource, fc FakeContext) resource.PropertyMap {
	out := maps.Clone(res.Inputs)
	if out == nil {
		out = resource.PropertyMap{}
	}
	if res.IsProvider() {
		return out
	}
	if f, ok := providerOutputFakes[pkgOf(res.Type)]; ok {
		maps.Copy(out, f(res, fc))
	}
	if f, ok := outputFakes[res.Type]; ok {
		maps.Copy(out, f(res, fc))
	}
	return out
}

// str returns the first of keys that holds a string in m.
func str(m resource.PropertyMap, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[resource.PropertyKey(k)]; ok {
			if v.IsSecret() {
				v = v.SecretValue().Element
			}
			if v.IsString() {
				return v.StringValue()
			}
		}
	}
	return ""
}

// autoName is the physical name Pulumi would give a resource without one:
// the logical name plus a suffix.
func autoName(res *Resource, fc FakeContext) string {
	if n := str(res.Inputs, "name"); n != "" {
		return n
	}
	return res.Name + "-" + fc.Hash[:7]
}

// fakeIPv4 returns a stable public-looking address for a resource, inside
// the documentation ranges, so a recorded plan never names a real host.
func fakeIPv4(seed string) string {
	h := fnv.New32a()
	h.Write([]byte(seed))
	v := h.Sum32()
	blocks := []string{"192.0.2", "198.51.100", "203.0.113"}
	return fmt.Sprintf("%s.%d", blocks[v%3], 1+(v>>8)%253)
}

// fakeUUID returns a stable UUID-shaped string.
func fakeUUID(seed string) string {
	a, b, c, d := hash8(seed+"a"), hash8(seed+"b"), hash8(seed+"c"), hash8(seed+"d")
	return fmt.Sprintf("%s-%s-%s-%s-%s%s", a, b[:4], b[4:], c[:4], c[4:], d)
}

// props builds a PropertyMap from plain Go values.
func props(m map[string]any) resource.PropertyMap {
	return resource.NewPropertyMapFromMap(m)
}
