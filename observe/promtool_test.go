package observe

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// promtoolPath finds promtool: $PROMTOOL, or promtool on PATH. These tests
// check the rules with Prometheus's own tool, so a machine without it fails
// them, with what to do.
func promtoolPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not on PATH: run `make promtool` (installs Debian's prometheus package, which ships it), or set PROMTOOL to a promtool binary (Prometheus 2.x): %v", err)
	}
	return p
}

// runPromtool runs promtool with args in dir and fails the test, with its
// output, when it exits non-zero.
func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtoolPath(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// writeYAML writes v as YAML to dir/name.
func writeYAML(t *testing.T, dir, name string, v any) {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeRules writes a rule file to dir/rules.yml.
func writeRules(t *testing.T, dir string, f RuleFile) {
	t.Helper()
	b, err := f.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The file format of `promtool test rules`.
type (
	unitTestFile struct {
		RuleFiles          []string   `yaml:"rule_files"`
		EvaluationInterval string     `yaml:"evaluation_interval"`
		Tests              []unitTest `yaml:"tests"`
	}
	unitTest struct {
		Interval    string        `yaml:"interval"`
		InputSeries []inputSeries `yaml:"input_series"`
		AlertTests  []alertTest   `yaml:"alert_rule_test,omitempty"`
		ExprTests   []exprTest    `yaml:"promql_expr_test,omitempty"`
	}
	inputSeries struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	}
	alertTest struct {
		EvalTime  string        `yaml:"eval_time"`
		AlertName string        `yaml:"alertname"`
		ExpAlerts []expectAlert `yaml:"exp_alerts"`
	}
	expectAlert struct {
		Labels      map[string]string `yaml:"exp_labels"`
		Annotations map[string]string `yaml:"exp_annotations"`
	}
	exprTest struct {
		Expr       string         `yaml:"expr"`
		EvalTime   string         `yaml:"eval_time"`
		ExpSamples []expectSample `yaml:"exp_samples"`
	}
	expectSample struct {
		Labels string  `yaml:"labels"`
		Value  float64 `yaml:"value"`
	}
)

// runUnitTests writes rules and tests to a temporary directory and runs
// `promtool test rules` on them.
func runUnitTests(t *testing.T, rules RuleFile, tests ...unitTest) string {
	t.Helper()
	dir := t.TempDir()
	writeRules(t, dir, rules)
	writeYAML(t, dir, "tests.yml", unitTestFile{RuleFiles: []string{"rules.yml"}, EvaluationInterval: "1m", Tests: tests})
	return runPromtool(t, dir, "test", "rules", "tests.yml")
}
