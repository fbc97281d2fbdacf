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

	"gopkg.in/yaml.v3"

	"github.com/cellfabric/cellfabric/fabric"
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
	KeyObserve        = "observe"
	KeyEdgeSigningKey = "edgeSigningKey" // secret; read by the program, not part of Topology
	// KeyEdgeExtraKey is the secret of one more key the cells accept
	// besides edgeSigningKey, named by Edge.ExtraKeyID: the second key of a
	// rotation. Secret; read by the program, not part of Topology. Optional.
	KeyEdgeExtraKey = "edgeExtraKey"
	// KeyControlKey is the secret the tenant directory's control API
	// verifies (the Worker's CONTROL_KEY binding), never the edge signing
	// key. Secret; read by the roles that build the edge (all, edge), not
	// part of Topology. Optional: generated when unset.
	KeyControlKey = "controlKey"
)

// KnownKeys are every config key in the cellfabric namespace.
var KnownKeys = []string{KeyRole, KeyCell, KeyCellStacks, KeyCells, KeyTenants, KeyNetwork, KeyEdge, KeyTags, KeyObserve, KeyEdgeSigningKey, KeyEdgeExtraKey, KeyControlKey}

// MaxConfigValue bounds one config value; a stack file larger than this is a
// mistake, not a topology.
const MaxConfigValue = 4 << 20

// KeyGCPProject is the full config key of the GCP provider's project, the
// default of Cell.Project. It lives outside the cellfabric namespace.
const KeyGCPProject = "gcp:project"

// FromConfig builds a Topology from config values and validates it: the
// error lists every problem found, decoding and validation together. get
// looks a value up by its key: keys of the cellfabric namespace without the
// namespace ("cells", "tenants", ...), other keys by their full name
// ("gcp:project"). Otherwise it is Decode.
func FromConfig(project, stack string, get func(key string) (string, bool)) (*Topology, error) {
	t, err := Decode(project, stack, func(full string) (string, bool) {
		if k, ok := strings.CutPrefix(full, Namespace+":"); ok {
			return get(k)
		}
		return get(full)
	})
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Decode builds a Topology from config values, looked up by their full key
// ("cellfabric:cells", "gcp:project") as the Pulumi engine and
// StackFile.Config name them. Object values are JSON, as Pulumi hands them to
// programs; strings may be plain. It decodes strictly (an unknown field is a
// problem, so a typo is not silently ignored) and applies defaults, but does
// not validate: callers run Validate, or a check that includes it (the
// program's), next. The error lists every decoding problem; a config that
// sets no cellfabric key at all is one problem, not a list of everything
// missing.
func Decode(project, stack string, get func(fullKey string) (string, bool)) (*Topology, error) {
	t := &Topology{Project: project, Stack: stack}
	c := fabric.Collector{In: ProblemsIn}
	lookup := func(key string) (string, bool) { return get(Namespace + ":" + key) }
	set := false
	for _, k := range KnownKeys {
		if _, ok := lookup(k); ok {
			set = true
		}
	}
	if !set {
		c.Add("config", "no cellfabric configuration: set at least cellfabric:cells (the README's configuration reference lists every key; Pulumi.dev.yaml is a complete stack)")
		return nil, c.Err()
	}
	if v, ok := get(KeyGCPProject); ok {
		t.GCPProject = strings.TrimSpace(v)
	}
	if v, ok := lookup(KeyRole); ok {
		t.Role = Role(strings.TrimSpace(v))
	}
	if v, ok := lookup(KeyCell); ok {
		t.Cell = strings.TrimSpace(v)
	}
	// decode reads one structured value; want names what the key holds,
	// starting with its shape ("a list of cells"), for the message when the
	// value has another shape.
	decode := func(key, want string, into any) {
		v, ok := lookup(key)
		if !ok || strings.TrimSpace(v) == "" {
			return
		}
		if len(v) > MaxConfigValue {
			c.Add(key, "value is %d bytes, more than the %d a stack config may hold", len(v), MaxConfigValue)
			return
		}
		if err := strictJSON(v, into); err != nil {
			if found, ok := otherShape(v, want); ok {
				c.Add(key, "expected %s, found %s", want, found)
				return
			}
			c.Add(key, "%v", err)
		}
	}
	// Lists of objects decode element by element, so a problem names its
	// index: cells[2]: unknown field "cidrr".
	decodeList := func(key, want string, decodeOne func(raw string) error) {
		var raws []json.RawMessage
		decode(key, want, &raws)
		for i, raw := range raws {
			if err := decodeOne(string(raw)); err != nil {
				c.Add(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			}
		}
	}
	decode(KeyCellStacks, "a list of stack names (org/project/stack)", &t.CellStacks)
	decodeList(KeyCells, "a list of cells", func(raw string) error {
		var cell Cell
		err := strictJSON(raw, &cell)
		t.Cells = append(t.Cells, cell)
		return err
	})
	decodeList(KeyTenants, "a list of tenants", func(raw string) error {
		var tn Tenant
		err := strictJSON(raw, &tn)
		t.Tenants = append(t.Tenants, tn)
		return err
	})
	decode(KeyNetwork, "a map of network settings", &t.Network)
	decode(KeyEdge, "a map of edge settings", &t.Edge)
	decode(KeyTags, "a map of tag names to values", &t.Tags)
	decode(KeyObserve, "a map of observability settings", &t.Observe)
	if c.Len() > 0 {
		// The shape is wrong; validating a half-decoded topology would only
		// add noise.
		return nil, c.Err()
	}
	t.SetDefaults()
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
				return fmt.Errorf("expected %s, found a JSON %s", jsonKind(te.Type), te.Value)
			}
			return fmt.Errorf("%s: expected %s, found a JSON %s", te.Field, jsonKind(te.Type), te.Value)
		}
		return fmt.Errorf("cannot decode: %w", err)
	}
	if dec.More() {
		return errors.New("cannot decode: trailing data after the value")
	}
	return nil
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
	config, err := configSection(data)
	if err != nil {
		return nil, err
	}
	sf := &StackFile{Config: map[string]string{}}
	c := fabric.Collector{In: ProblemsIn}
	for _, key := range sortedKeys(config) {
		node := config[key]
		full := key
		if !strings.Contains(key, ":") {
			// Pulumi reads a key without namespace as the project's own.
			full = Namespace + ":" + key
		}
		if ns, k, _ := strings.Cut(full, ":"); ns == Namespace && !slices.Contains(KnownKeys, k) {
			c.Add(k, "unknown config key %q: known keys are %s", full, strings.Join(KnownKeys, ", "))
			continue
		}
		var v any
		if err := node.Decode(&v); err != nil {
			c.Add(key, "cannot decode: %v", err)
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
				c.Add(key, "cannot encode as JSON: %v", err)
				continue
			}
			sf.Config[full] = string(j)
		}
	}
	return sf, c.Err()
}

// configSection finds the config: map of a stack file. A file that is empty
// or has no config: key has none (nil); a document that is not a map, or a
// config: that is not one, is an error that says what the file holds
// instead.
func configSection(data []byte) (map[string]yaml.Node, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("not a valid stack file: %w", err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a stack file: the top level must be a map with a config: key, found %s", yamlShape(doc))
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "config" {
			continue
		}
		section := doc.Content[i+1]
		if section.Kind == yaml.ScalarNode && section.Tag == "!!null" {
			return nil, nil
		}
		if section.Kind != yaml.MappingNode {
			return nil, fabric.Problems{In: ProblemsIn, List: []fabric.Problem{{Path: "config", Msg: "expected a map of config keys such as cellfabric:cells, found " + yamlShape(section)}}}
		}
		var config map[string]yaml.Node
		if err := section.Decode(&config); err != nil {
			return nil, fmt.Errorf("not a valid stack file: config: %w", err)
		}
		return config, nil
	}
	return nil, nil
}

// Topology decodes and validates the cellfabric part of the stack file.
func (sf *StackFile) Topology() (*Topology, error) {
	t, err := sf.Decode()
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Decode decodes the cellfabric part of the stack file and applies the
// defaults, without validating (see Decode). A file without config is one
// problem that says so.
func (sf *StackFile) Decode() (*Topology, error) {
	if len(sf.Config) == 0 {
		return nil, fabric.Problems{In: ProblemsIn, List: []fabric.Problem{{Path: "config", Msg: "missing: the file has no config: section (or an empty one), so it declares no cells; add config: with at least cellfabric:cells (Pulumi.dev.yaml is a complete stack)"}}}
	}
	return Decode(sf.Project, sf.Stack, func(key string) (string, bool) {
		v, ok := sf.Config[key]
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
