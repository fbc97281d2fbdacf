package synth

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Formats are the renderings Write accepts.
var Formats = []string{"text", "json", "markdown"}

// Write renders the plan in one of Formats.
func (p *Plan) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return p.WriteText(w)
	case "json":
		return p.WriteJSON(w)
	case "markdown", "md":
		return p.WriteMarkdown(w)
	}
	return fmt.Errorf("unknown format %q: use text, json or markdown", format)
}

// WriteJSON writes the whole plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// maxValue is the longest value the text and Markdown views print whole.
const maxValue = 96

// hiddenInputs are left out of the text and Markdown views (they are on every
// resource and in the JSON view); the count is shown instead.
var hiddenInputs = map[string]bool{"tags": true, "labels": true, "tagsAll": true}

// WriteText writes the plan as an indented tree, one resource a line with its
// inputs below it.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s (project %s, role %s): %s\n", p.Stack, p.Project, p.Role, p.summary())
	for _, r := range p.Resources {
		ind := strings.Repeat("  ", r.Depth)
		line := fmt.Sprintf("%s%s %s", ind, r.Type, r.Name)
		if r.Provider != "" {
			line += "  (provider " + r.Provider + ")"
		}
		b.WriteString(line + "\n")
		for _, kv := range flatten(r.Inputs) {
			fmt.Fprintf(&b, "%s    %s = %s\n", ind, kv[0], kv[1])
		}
		if n := tagCount(r.Inputs); n > 0 {
			fmt.Fprintf(&b, "%s    (%d tags)\n", ind, n)
		}
	}
	b.WriteString("\noutputs:\n")
	for _, kv := range flatten(p.Outputs) {
		fmt.Fprintf(&b, "  %s = %s\n", kv[0], kv[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the plan for a pull-request comment or job summary:
// a count per component and type, then each component's resources in a
// collapsed section.
func (p *Plan) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### cellfabric synth: stack `%s` (role %s)\n\n%s\n\n", p.Stack, p.Role, p.summary())
	b.WriteString("| component | resources | types |\n|---|---:|---|\n")
	groups, order := p.byTopComponent()
	for _, g := range order {
		types := map[string]int{}
		for _, r := range groups[g] {
			types[shortType(r.Type)]++
		}
		var ts []string
		for _, t := range slices.Sorted(maps.Keys(types)) {
			ts = append(ts, fmt.Sprintf("%s×%d", t, types[t]))
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", g, len(groups[g]), strings.Join(ts, ", "))
	}
	for _, g := range order {
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code> (%d)</summary>\n\n", g, len(groups[g]))
		b.WriteString("| type | name | inputs |\n|---|---|---|\n")
		for _, r := range groups[g] {
			var parts []string
			for _, kv := range flatten(r.Inputs) {
				parts = append(parts, "`"+kv[0]+"`="+mdEscape(kv[1]))
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", r.Type, r.Name, strings.Join(parts, "<br>"))
		}
		b.WriteString("\n</details>\n")
	}
	b.WriteString("\n#### outputs\n\n```\n")
	for _, kv := range flatten(p.Outputs) {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	b.WriteString("```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// summary counts resources by kind and secrets.
func (p *Plan) summary() string {
	kinds := map[string]int{}
	secrets := 0
	for _, r := range p.Resources {
		kinds[r.Kind]++
		secrets += len(r.Secrets)
	}
	return fmt.Sprintf("%d resources, %d components, %d providers; %d secret inputs (masked)",
		kinds["resource"], kinds["component"], kinds["provider"], secrets)
}

// byTopComponent groups resources under their outermost component ("stack"
// for those outside every component), in plan order.
func (p *Plan) byTopComponent() (map[string][]Resource, []string) {
	groups := map[string][]Resource{}
	var order []string
	top := "stack"
	for _, r := range p.Resources {
		if r.Depth == 0 {
			top = "stack"
			if r.Kind == "component" {
				top = r.Type + " " + r.Name
			}
		}
		if _, ok := groups[top]; !ok {
			order = append(order, top)
		}
		groups[top] = append(groups[top], r)
	}
	return groups, order
}

// flatten lists the scalar leaves of a value as dotted paths and printable
// values, sorted by path, tags left out.
func flatten(m map[string]any) [][2]string {
	var out [][2]string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out = append(out, [2]string{prefix, "{}"})
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(join(prefix, k), x[k])
			}
		case []any:
			if len(x) == 0 || allScalars(x) {
				// A list of plain values reads best on one line.
				parts := make([]string, len(x))
				for i, e := range x {
					parts[i] = fmt.Sprint(e)
				}
				out = append(out, [2]string{prefix, short("[" + strings.Join(parts, ", ") + "]")})
				return
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		default:
			out = append(out, [2]string{prefix, short(x)})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if hiddenInputs[k] {
			continue
		}
		walk(k, m[k])
	}
	return out
}

func allScalars(xs []any) bool {
	for _, x := range xs {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func tagCount(m map[string]any) int {
	n := 0
	for k := range hiddenInputs {
		if t, ok := m[k].(map[string]any); ok {
			n = max(n, len(t))
		}
	}
	return n
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// short prints a scalar, cutting long strings (policies, scripts) to
// maxValue characters.
func short(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
		if s == "" {
			return `""`
		}
	case nil:
		return "null"
	default:
		s = fmt.Sprint(x)
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxValue {
		return fmt.Sprintf("%s… (%d chars)", string(r[:maxValue]), len(r))
	}
	return s
}

// shortType is the last part of a type token: "Vpc" of "aws:ec2/vpc:Vpc".
func shortType(t string) string {
	if i := strings.LastIndex(t, ":"); i >= 0 {
		return t[i+1:]
	}
	return t
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}
