package cell_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// fakeCell is a cell component with one output field of its own.
type fakeCell struct {
	pulumi.ResourceState
	Extra   pulumi.StringOutput `pulumi:"extra"`
	outputs cell.Outputs
}

func (c *fakeCell) Outputs() cell.Outputs { return c.outputs }

// TestBuild: Build registers the component, runs the steps in order and
// Fill after them; a failing step stops the build, and its error names the
// cloud, the cell and the step and wraps the step's error.
func TestBuild(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	cases := []struct {
		name    string
		failAt  string // "" for none
		wantRan []string
		wantErr string
	}{
		{name: "every step", wantRan: []string{"a", "b", "c", "fill"}},
		{name: "second step fails", failAt: "b", wantRan: []string{"a", "b"}, wantErr: "gcp cell cell-1: building b: boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ran []string
			step := func(name string) cell.Step {
				return cell.Step{What: "building " + name, Run: func() error {
					ran = append(ran, name)
					if name == tc.failAt {
						return boom
					}
					return nil
				}}
			}
			rec := recorder.New()
			var err error // Build's, not the run's (which the SDK wraps)
			_ = rec.Run(recorder.Options{}, func(ctx *pulumi.Context) error {
				c := &fakeCell{}
				err = cell.Build(ctx, cell.Component{
					Cloud: fabric.GCP, Type: "cellfabric:gcp:Cell", Name: "cell-1", Resource: c,
					Steps: []cell.Step{step("a"), step("b"), step("c")},
					Fill: func() {
						ran = append(ran, "fill")
						c.Extra = pulumi.String("x").ToStringOutput()
					},
					Extra: pulumi.Map{"location": pulumi.String("here")},
				})
				return err
			})
			if !slices.Equal(ran, tc.wantRan) {
				t.Errorf("ran %v, want %v", ran, tc.wantRan)
			}
			if rec.Get("cellfabric:gcp:Cell", "cell-1") == nil {
				t.Error("the component was not registered")
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, boom) {
				t.Fatalf("err = %v, want %q wrapping the step's error", err, tc.wantErr)
			}
		})
	}
}
