package stacks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Messages about a value of the wrong shape name shapes the way a stack
// file's author sees them (a list, a map, a string) and never Go types.

// otherShape describes a config value whose shape is not the one want
// starts with ("a list …" or "a map …"), e.g. `a string ("aws-use1")`. It
// reports false when the shape is right (the problem is inside the value).
// Pulumi hands structured values to programs as JSON and plain strings as
// they are, so text that is not JSON is a string.
func otherShape(v, want string) (string, bool) {
	var x any
	if json.Unmarshal([]byte(v), &x) != nil {
		return "a string (" + quoteShort(v) + ")", true
	}
	var found string
	switch y := x.(type) {
	case []any:
		found = "a list"
	case map[string]any:
		found = "a map"
	case string:
		found = "a string (" + quoteShort(y) + ")"
	case float64:
		found = "a number (" + strings.TrimSpace(v) + ")"
	case bool:
		found = fmt.Sprint(y)
	default:
		found = "null"
	}
	return found, !strings.HasPrefix(want, found)
}

// yamlShape describes a YAML node: "a list", "a map", `a string ("x")`.
func yamlShape(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		case "!!bool":
			return n.Value
		case "!!null":
			return "nothing"
		}
		return "a string (" + quoteShort(n.Value) + ")"
	}
	return "an alias or another YAML construct"
}

// jsonKind names what a Go type decodes from, in the same terms.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a map"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// quoteShort quotes s, cut to a length that fits in one message line.
func quoteShort(s string) string {
	const max = 40
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}
