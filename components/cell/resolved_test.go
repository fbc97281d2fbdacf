package cell

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/router"
)

// TestOutputsAreTheRoutersCellOutputs: the `pulumi` tags of Outputs (the
// names of the `cells` stack output) are exactly the JSON names of
// router.CellOutputs (what the registry is built from): one contract.
func TestOutputsAreTheRoutersCellOutputs(t *testing.T) {
	t.Parallel()
	var ours, theirs []string
	ot := reflect.TypeOf(Outputs{})
	for i := range ot.NumField() {
		ours = append(ours, ot.Field(i).Tag.Get("pulumi"))
	}
	pt := reflect.TypeOf(router.CellOutputs{})
	for i := range pt.NumField() {
		name, _, _ := strings.Cut(pt.Field(i).Tag.Get("json"), ",")
		theirs = append(theirs, name)
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		t.Fatalf("cell.Outputs exports %v, router.CellOutputs reads %v", ours, theirs)
	}
}

func str(s string) pulumi.StringOutput { return pulumi.String(s).ToStringOutput() }

func sample(id string) Outputs {
	return Outputs{ID: str(id), Cloud: str("aws"), Region: str("us-east-1"), Endpoint: str("https://" + id + ".example.com"),
		HealthURL: str("https://" + id + ".example.com/healthz"), NetworkID: str("vpc-1"), CIDR: str("10.0.0.0/16"),
		StateStoreID: str("arn:table"), WorkloadIdentity: str("arn:role")}
}

// await runs f in a recorded program and waits for its output.
func await(t *testing.T, f func() pulumi.Output) (any, error) {
	t.Helper()
	var out pulumi.Output
	if err := recorder.New().Run(recorder.Options{}, func(*pulumi.Context) error { out = f(); return nil }); err != nil {
		return nil, err
	}
	v, err := recorder.Await(out)
	return v.Value, err
}

func TestResolveCellsAndOutputMap(t *testing.T) {
	t.Parallel()
	o := sample("aws-use1")
	m := o.Map()
	if len(m) != reflect.TypeOf(Outputs{}).NumField() || m["healthUrl"] == nil || m["workloadIdentity"] == nil {
		t.Fatalf("Map() = %v", m)
	}
	got, err := await(t, func() pulumi.Output {
		return ResolveCells(map[string]Outputs{"aws-use1": o, "aws-use2": sample("aws-use2")})
	})
	if err != nil {
		t.Fatal(err)
	}
	cells := got.(map[string]router.CellOutputs)
	want := router.CellOutputs{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "https://aws-use1.example.com",
		HealthURL: "https://aws-use1.example.com/healthz", NetworkID: "vpc-1", CIDR: "10.0.0.0/16", StateStoreID: "arn:table", WorkloadIdentity: "arn:role"}
	if len(cells) != 2 || cells["aws-use1"] != want || cells["aws-use2"].ID != "aws-use2" {
		t.Fatalf("resolved %+v", cells)
	}
}

// TestOutputMapWalksEmbeddedStructs: tagged Inputs of a struct and of the
// structs it embeds, nothing else.
func TestOutputMapWalksEmbeddedStructs(t *testing.T) {
	t.Parallel()
	type Inner struct {
		A pulumi.StringOutput `pulumi:"a"`
	}
	type comp struct {
		Inner
		B      pulumi.StringOutput `pulumi:"b"`
		Plain  string              `pulumi:"plain"`
		Unset  pulumi.StringOutput `pulumi:"unset"`
		NoTag  pulumi.StringOutput
		hidden pulumi.StringOutput `pulumi:"hidden"`
	}
	m := OutputMap(&comp{Inner: Inner{A: str("x")}, B: str("y"), NoTag: str("z"), hidden: str("h")})
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("keys %v, want [a b]", keys)
	}
}

func TestDecodeCells(t *testing.T) {
	t.Parallel()
	plain := func(id string) map[string]any {
		return map[string]any{id: map[string]any{"id": id, "cloud": "aws", "region": "us-east-1", "endpoint": "https://" + id + ".example.com", "healthUrl": "https://" + id + ".example.com/healthz"}}
	}
	tests := []struct {
		name  string
		parts []pulumi.MapInput
		want  string // error substring; "" for success
	}{
		{"two stacks", []pulumi.MapInput{pulumi.ToMap(plain("aws-use1")), pulumi.ToMap(plain("aws-use2"))}, ""},
		{"a cell in two stacks", []pulumi.MapInput{pulumi.ToMap(plain("aws-use1")), pulumi.ToMap(plain("aws-use1"))}, `cell "aws-use1" is exported by cell stacks 0 and 1`},
		{"a field the router cannot read", []pulumi.MapInput{pulumi.ToMap(map[string]any{"aws-use1": map[string]any{"id": 5}})}, "reading the cell stacks' cells outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := await(t, func() pulumi.Output { return DecodeCells(tt.parts...) })
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cells := got.(map[string]router.CellOutputs); len(cells) != 2 || cells["aws-use2"].Endpoint != "https://aws-use2.example.com" {
				t.Fatalf("decoded %+v", cells)
			}
		})
	}
}

// TestEndpointsNameWhatIsMissing: an edge stack pointed at the wrong cell
// stacks says which cell is missing.
func TestEndpointsNameWhatIsMissing(t *testing.T) {
	t.Parallel()
	cells := func() CellsOutput {
		o := sample("aws-use1")
		o.HealthURL = str("")
		return ResolveCells(map[string]Outputs{"aws-use1": o})
	}
	tests := []struct {
		name, id string
		health   bool
		want     string
	}{
		{"present", "aws-use1", false, "https://aws-use1.example.com"},
		{"missing cell", "aws-usw2", false, `cell "aws-usw2" has no outputs (have: aws-use1)`},
		{"missing field", "aws-use1", true, `cell "aws-use1": output "healthUrl" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := await(t, func() pulumi.Output {
				ep, hu := cells().Endpoints(tt.id)
				if tt.health {
					return hu
				}
				return ep
			})
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err = %v, want %q", err, tt.want)
				}
			case got != tt.want:
				t.Errorf("got %v, want %q", got, tt.want)
			}
		})
	}
}
