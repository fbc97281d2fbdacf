package router

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSchemaMatchesGoTypes fails when a field is added to, removed from or
// renamed in the Go types without the same change in registry.schema.json,
// and the other way round.
func TestSchemaMatchesGoTypes(t *testing.T) {
	t.Parallel()
	root := loadSchema(t)
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(t, root, node)
		for typ.Kind() == reflect.Slice || typ.Kind() == reflect.Pointer {
			if typ.Kind() == reflect.Slice {
				items, ok := node["items"].(map[string]any)
				if !ok {
					t.Errorf("%s: Go has a list, the schema has no items", path)
					return
				}
				node = resolve(t, root, items)
				path += "[]"
			}
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		props, _ := node["properties"].(map[string]any)
		if node["additionalProperties"] != false {
			t.Errorf("%s: schema object must set additionalProperties: false (the parser refuses unknown fields)", path)
		}
		var goNames []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				t.Errorf("%s.%s: field without a json name", path, f.Name)
				continue
			}
			goNames = append(goNames, name)
			sub, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: field is in the Go type but not in the schema", path, name)
				continue
			}
			walk(path+"."+name, f.Type, sub)
		}
		for name := range props {
			if !slices.Contains(goNames, name) {
				t.Errorf("%s.%s: property is in the schema but not in the Go type", path, name)
			}
		}
		req, _ := node["required"].([]any)
		for _, r := range req {
			if !slices.Contains(goNames, r.(string)) {
				t.Errorf("%s: required %q is not a Go field", path, r)
			}
		}
	}
	walk("registry", reflect.TypeOf(Registry{}), root)
}

// TestSchemaAgreesWithValidator: the dev registry passes both the schema and
// the Go validator; documents that break a rule the schema can express fail
// both.
func TestSchemaAgreesWithValidator(t *testing.T) {
	t.Parallel()
	root := loadSchema(t)
	dev, err := os.ReadFile("testdata/registry-dev.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mutate  func(doc map[string]any)
		invalid bool
	}{
		{name: "dev registry", mutate: func(map[string]any) {}},
		{name: "weight and state left out", mutate: func(d map[string]any) {
			c := cellAt(d, 0)
			delete(c, "weight")
			delete(c, "state")
		}},
		{name: "version 2", mutate: func(d map[string]any) { d["version"] = 2 }, invalid: true},
		{name: "no epoch", mutate: func(d map[string]any) { delete(d, "epoch") }, invalid: true},
		{name: "unknown top-level field", mutate: func(d map[string]any) { d["extra"] = true }, invalid: true},
		{name: "unknown cell field", mutate: func(d map[string]any) { cellAt(d, 0)["zone"] = "a" }, invalid: true},
		{name: "bad cell id", mutate: func(d map[string]any) { cellAt(d, 0)["id"] = "AWS" }, invalid: true},
		{name: "endpoint with path", mutate: func(d map[string]any) { cellAt(d, 1)["endpoint"] = "https://x.example.com/api" }, invalid: true},
		{name: "negative weight", mutate: func(d map[string]any) { cellAt(d, 1)["weight"] = -3 }, invalid: true},
		{name: "bad cell state", mutate: func(d map[string]any) { cellAt(d, 1)["state"] = "gone" }, invalid: true},
		{name: "bad tenant id", mutate: func(d map[string]any) { tenantAt(d, 0)["id"] = "Acme" }, invalid: true},
		{name: "tenant without cell", mutate: func(d map[string]any) { delete(tenantAt(d, 0), "cell") }, invalid: true},
		{name: "bad tenant state", mutate: func(d map[string]any) { tenantAt(d, 0)["state"] = "pinned" }, invalid: true},
		{name: "repeated failover", mutate: func(d map[string]any) { tenantAt(d, 5)["failover"] = []any{"aws-use1", "aws-use1"} }, invalid: true},
		{name: "bad prefix", mutate: func(d map[string]any) { d["sharedRoutes"].([]any)[0].(map[string]any)["prefix"] = "catalog" }, invalid: true},
		{name: "bad policy", mutate: func(d map[string]any) { d["unknownTenants"] = "allow" }, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal(dev, &doc); err != nil {
				t.Fatal(err)
			}
			tt.mutate(doc)
			raw, _ := json.Marshal(doc)
			var generic any
			_ = json.Unmarshal(raw, &generic)
			schemaErrs := checkSchema(t, root, root, generic, "$")
			_, goErr := Parse(raw)
			if tt.invalid {
				if len(schemaErrs) == 0 {
					t.Errorf("schema accepted an invalid document")
				}
				if goErr == nil {
					t.Errorf("Go validator accepted an invalid document")
				}
				return
			}
			if len(schemaErrs) > 0 {
				t.Errorf("schema rejected a valid document: %v", schemaErrs)
			}
			if goErr != nil {
				t.Errorf("Go validator rejected a valid document: %v", goErr)
			}
		})
	}
}

func cellAt(d map[string]any, i int) map[string]any {
	return d["cells"].([]any)[i].(map[string]any)
}

func tenantAt(d map[string]any, i int) map[string]any {
	return d["tenants"].([]any)[i].(map[string]any)
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	disk, err := os.ReadFile("registry.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(disk) != string(Schema) {
		t.Fatal("embedded Schema differs from registry.schema.json")
	}
	var root map[string]any
	if err := json.Unmarshal(Schema, &root); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return root
}

func resolve(t *testing.T, root, node map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			t.Fatalf("unsupported $ref %q", ref)
		}
		next, ok := root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok {
			t.Fatalf("dangling $ref %q", ref)
		}
		node = next
	}
}

// checkSchema validates v against the subset of JSON Schema the registry
// schema uses; a keyword outside that subset fails the test, so the schema
// cannot drift into rules this check silently ignores.
func checkSchema(t *testing.T, root, node map[string]any, v any, at string) []string {
	t.Helper()
	node = resolve(t, root, node)
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for key, rule := range node {
		switch key {
		case "$schema", "$id", "$defs", "title", "description", "additionalProperties", "properties", "minimum", "maximum":
			// handled with their siblings below, or annotations
		case "type":
			ok := false
			switch rule {
			case "object":
				_, ok = v.(map[string]any)
			case "array":
				_, ok = v.([]any)
			case "string":
				_, ok = v.(string)
			case "integer":
				f, isNum := v.(float64)
				ok = isNum && f == float64(int64(f))
			}
			if !ok {
				bad("want %v, got %T", rule, v)
				return errs
			}
		case "const":
			if fmt.Sprint(v) != fmt.Sprint(rule) {
				bad("want %v, got %v", rule, v)
			}
		case "enum":
			if !slices.ContainsFunc(rule.([]any), func(e any) bool { return e == v }) {
				bad("%v is not one of %v", v, rule)
			}
		case "pattern":
			if s, ok := v.(string); ok && !regexp.MustCompile(rule.(string)).MatchString(s) {
				bad("%q does not match %s", s, rule)
			}
		case "required":
			obj, _ := v.(map[string]any)
			for _, r := range rule.([]any) {
				if _, ok := obj[r.(string)]; !ok {
					bad("missing required %q", r)
				}
			}
		case "minItems", "maxItems":
			if arr, ok := v.([]any); ok {
				n := int(rule.(float64))
				if key == "minItems" && len(arr) < n || key == "maxItems" && len(arr) > n {
					bad("%d items violates %s %d", len(arr), key, n)
				}
			}
		case "uniqueItems":
			if arr, ok := v.([]any); ok && rule == true {
				for i := range arr {
					for j := 0; j < i; j++ {
						if reflect.DeepEqual(arr[i], arr[j]) {
							bad("items %d and %d are equal", j, i)
						}
					}
				}
			}
		case "items":
			if arr, ok := v.([]any); ok {
				for i, item := range arr {
					errs = append(errs, checkSchema(t, root, rule.(map[string]any), item, fmt.Sprintf("%s[%d]", at, i))...)
				}
			}
		case "$ref":
		default:
			t.Fatalf("schema uses keyword %q that this check does not implement", key)
		}
	}
	if f, ok := v.(float64); ok {
		if m, ok := node["minimum"].(float64); ok && f < m {
			bad("%v < minimum %v", f, m)
		}
		if m, ok := node["maximum"].(float64); ok && f > m {
			bad("%v > maximum %v", f, m)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := node["properties"].(map[string]any)
		for k, val := range obj {
			sub, ok := props[k].(map[string]any)
			if !ok {
				if node["additionalProperties"] == false {
					bad("unknown property %q", k)
				}
				continue
			}
			errs = append(errs, checkSchema(t, root, sub, val, at+"."+k)...)
		}
	}
	return errs
}
