package stacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Namespace is the Pulumi config namespace of cellfabric's keys.
const Namespace = "cellfabric"

// Config keys (without the namespace).
const (
	KeyRole           = "role"
	KeyCell           = "cell"
	KeyCellStacks     = "cellStacks"
	KeyCells          = "cells"
	KeyTenants        = "tenants"
	KeyNetwork        = "network"
	KeyEdge           = "edge"
	KeyTags           = "tags"
	KeyEdgeSigningKey = "edgeSigningKey" // secret; read by the program, not part of Topology
	// KeyEdgeExtraKey is the secret of one more key the cells accept
	// besides edgeSigningKey, named by Edge.ExtraKeyID: the second key of a
	// rotation. Secret; read by the program, not part of Topology. Optional.
	KeyEdgeExtraKey = "edgeExtraKey"
)

// KnownKeys are every config key in the cellfabric namespace.
var KnownKeys = []string{KeyRole, KeyCell, KeyCellStacks, KeyCells, KeyTenants, KeyNetwork, KeyEdge, KeyTags, KeyEdgeSigningKey, KeyEdgeExtraKey}

// MaxConfigValue bounds one config value; a stack file larger than this is a
// mistake, not a topology.
const MaxConfigValue = 4 << 20

// FromConfig builds a Topology from config values, looked up by their key
// without namespace ("cells", "tenants", ...). Object values are JSON, as
// Pulumi hands them to programs. Strings may be plain. It decodes strictly (an
// unknown field is a problem, so a typo is not silently ignored), applies
// defaults and validates: the error lists every problem found, decoding and
// validation together.
func FromConfig(project, stack string, get func(key string) (string, bool)) (*Topology, error) {
	t := &Topology{Project: project, Stack: stack}
	var c collector
	if v, ok := get(KeyRole); ok {
		t.Role = Role(strings.TrimSpace(v))
	}
	if v, ok := get(KeyCell); ok {
		t.Cell = strings.TrimSpace(v)
	}
	decode := func(key string, into any) {
		v, ok := get(key)
		if !ok || strings.TrimSpace(v) == "" {
			return
		}
		if len(v) > MaxConfigValue {
			c.add(key, "value is %d bytes, more than the %d a stack config may hold", len(v), MaxConfigValue)
			return
		}
		if err := strictJSON(v, into); err != nil {
			c.add(key, "%v", err)
		}
	}
	// Lists of objects decode element by element, so a problem names its
	// index: cells[2]: unknown field "cidrr".
	decodeList := func(key string, decodeOne func(raw string) error) {
		var raws []json.RawMessage
		decode(key, &raws)
		for i, raw := range raws {
			if err := decodeOne(string(raw)); err != nil {
				c.add(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			}
		}
	}
	decode(KeyCellStacks, &t.CellStacks)
	decodeList(KeyCells, func(raw string) error {
		var cell Cell
		err := strictJSON(raw, &cell)
		t.Cells = append(t.Cells, cell)
		return err
	})
	decodeList(KeyTenants, func(raw string) error {
		var tn Tenant
		err := strictJSON(raw, &tn)
		t.Tenants = append(t.Tenants, tn)
		return err
	})
	decode(KeyNetwork, &t.Network)
	decode(KeyEdge, &t.Edge)
	decode(KeyTags, &t.Tags)
	if len(c.ps) > 0 {
		// The shape is wrong; validating a half-decoded topology would only
		// add noise.
		return nil, c.err()
	}
	t.SetDefaults()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing data.
func strictJSON(v string, into any) error {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return fmt.Errorf("expected %s, found a JSON %s", te.Type, te.Value)
			}
			return fmt.Errorf("%s: expected %s, found a JSON %s", te.Field, te.Type, te.Value)
		}
		return fmt.Errorf("cannot decode: %w", err)
	}
	if dec.More() {
		return errors.New("cannot decode: trailing data after the value")
	}
	return nil
}

// FromPulumi loads and validates the Topology of the running stack from its
// Pulumi config.
func FromPulumi(ctx *pulumi.Context) (*Topology, error) {
	return FromConfig(ctx.Project(), ctx.Stack(), func(key string) (string, bool) {
		return ctx.GetConfig(Namespace + ":" + key)
	})
}

// StackFile is a Pulumi.<stack>.yaml read without the Pulumi CLI: what tools
// such as `cellfabric synth` need to run the program offline.
type StackFile struct {
	// Project is the project name from Pulumi.yaml beside the file
	// ("cellfabric" when there is none).
	Project string
	// Stack is the stack name from the file name (Pulumi.<stack>.yaml), or
	// the file's base name without extension.
	Stack string
	// Config holds every config value by its full key ("cellfabric:cells",
	// "aws:region"): strings as they are, other values as JSON, the way the
	// Pulumi engine passes config to a program.
	Config map[string]string
	// Secrets are the keys whose values are encrypted in the file. Their
	// values in Config are placeholders: a tool cannot decrypt them.
	Secrets []string
}

// SecretPlaceholder stands in for an encrypted config value in a StackFile.
const SecretPlaceholder = "[secret]"

// ReadStackFile parses a Pulumi stack file.
func ReadStackFile(path string) (*StackFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading stack file: %w", err)
	}
	sf, err := ParseStackFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	base := filepath.Base(path)
	sf.Stack = strings.TrimSuffix(strings.TrimSuffix(base, filepath.Ext(base)), ".")
	if s, ok := strings.CutPrefix(sf.Stack, "Pulumi."); ok && s != "" {
		sf.Stack = s
	}
	sf.Project = projectName(filepath.Join(filepath.Dir(path), "Pulumi.yaml"))
	return sf, nil
}

// ParseStackFile parses the contents of a Pulumi stack file. Project and Stack
// are left empty.
func ParseStackFile(data []byte) (*StackFile, error) {
	if len(data) > 4*MaxConfigValue {
		return nil, fmt.Errorf("stack file is %d bytes: too large", len(data))
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a valid stack file: %w", err)
	}
	sf := &StackFile{Config: map[string]string{}}
	var c collector
	for _, key := range sortedKeys(doc.Config) {
		node := doc.Config[key]
		full := key
		if !strings.Contains(key, ":") {
			// Pulumi reads a key without namespace as the project's own.
			full = Namespace + ":" + key
		}
		if ns, k, _ := strings.Cut(full, ":"); ns == Namespace && !slices.Contains(KnownKeys, k) {
			c.add(k, "unknown config key %q: known keys are %s", full, strings.Join(KnownKeys, ", "))
			continue
		}
		var v any
		if err := node.Decode(&v); err != nil {
			c.add(key, "cannot decode: %v", err)
			continue
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			if _, secure := m["secure"]; secure {
				sf.Config[full] = SecretPlaceholder
				sf.Secrets = append(sf.Secrets, full)
				continue
			}
		}
		switch x := v.(type) {
		case string:
			sf.Config[full] = x
		case nil:
			sf.Config[full] = ""
		default:
			j, err := json.Marshal(x)
			if err != nil {
				c.add(key, "cannot encode as JSON: %v", err)
				continue
			}
			sf.Config[full] = string(j)
		}
	}
	return sf, c.err()
}

// Topology decodes and validates the cellfabric part of the stack file.
func (sf *StackFile) Topology() (*Topology, error) {
	return FromConfig(sf.Project, sf.Stack, func(key string) (string, bool) {
		v, ok := sf.Config[Namespace+":"+key]
		return v, ok
	})
}

// LoadFile reads a stack file and returns its validated Topology.
func LoadFile(path string) (*Topology, error) {
	sf, err := ReadStackFile(path)
	if err != nil {
		return nil, err
	}
	return sf.Topology()
}

// projectName reads the name from a Pulumi.yaml, or returns "cellfabric".
func projectName(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "cellfabric"
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(data, &p) != nil || p.Name == "" {
		return "cellfabric"
	}
	return p.Name
}
