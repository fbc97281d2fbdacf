package celltest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// fakeT records what a check reports instead of failing the test.
type fakeT struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.mu.Lock()
	f.fatal = true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeT) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// report runs check against a fakeT (Fatal ends check's goroutine, as it
// ends a test's) and returns what it reported.
func report(check func(t testing.TB)) (reported string, fatal bool) {
	f := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(f)
	}()
	<-done
	return strings.Join(f.errors, "\n"), f.fatal
}

type (
	testComp     struct{ pulumi.ResourceState }
	testProvider struct{ pulumi.ProviderResourceState }
	testThing    struct{ pulumi.CustomResourceState }
)

// fixture records a component "cell" with a child on provider "p", then
// what extra adds.
func fixture(t *testing.T, extra func(ctx *pulumi.Context, comp *testComp, p, other *testProvider) error) (rec *recorder.Recorder, comp, provider *recorder.Resource) {
	t.Helper()
	rec = recorder.New()
	err := rec.Run(recorder.Options{}, func(ctx *pulumi.Context) error {
		p, other := &testProvider{}, &testProvider{}
		if err := ctx.RegisterResource("pulumi:providers:test", "p", nil, p); err != nil {
			return err
		}
		if err := ctx.RegisterResource("pulumi:providers:test", "other", nil, other); err != nil {
			return err
		}
		c := &testComp{}
		if err := ctx.RegisterComponentResource("cellfabric:test:Cell", "cell", c, pulumi.Provider(p)); err != nil {
			return err
		}
		if err := ctx.RegisterResource("test:index:Thing", "cell-good", pulumi.Map{"tags": pulumi.StringMap{"k": pulumi.String("v")}}, &testThing{}, pulumi.Parent(c)); err != nil {
			return err
		}
		if extra == nil {
			return nil
		}
		return extra(ctx, c, p, other)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec, rec.Get("cellfabric:test:Cell", "cell"), rec.Get("pulumi:providers:test", "p")
}

// TestChecksReportWhatIsWrong: each check passes a good recording and
// reports what is wrong with a bad one, so the tests that use it can fail.
func TestChecksReportWhatIsWrong(t *testing.T) {
	t.Parallel()
	thing := func(name string, opts ...pulumi.ResourceOption) func(*pulumi.Context, *testComp, *testProvider, *testProvider) error {
		return func(ctx *pulumi.Context, c *testComp, p, other *testProvider) error {
			return ctx.RegisterResource("test:index:Thing", name, pulumi.Map{"key": pulumi.String("plain-secret-value")}, &testThing{}, opts...)
		}
	}
	cases := []struct {
		name      string
		extra     func(*pulumi.Context, *testComp, *testProvider, *testProvider) error
		check     func(t testing.TB, rec *recorder.Recorder, comp, provider *recorder.Resource)
		want      string // "" for a clean report
		wantFatal bool
	}{
		{name: "tree: all under the cell", check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
			if n := len(CheckTree(t, rec, comp, p, "test:")); n != 1 {
				t.Errorf("checked %d resources, want 1", n)
			}
		}},
		{name: "tree: a resource outside the cell", extra: thing("stray"),
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckTree(t, rec, comp, p, "test:")
			},
			want: "test:index:Thing stray is not under the cell"},
		{name: "tree: another provider", extra: func(ctx *pulumi.Context, c *testComp, p, other *testProvider) error {
			return thing("cell-other", pulumi.Parent(c), pulumi.Provider(other))(ctx, c, p, other)
		},
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckTree(t, rec, comp, p, "test:")
			},
			want: "test:index:Thing cell-other uses provider"},
		{name: "tree: a type outside the prefix is not checked", extra: func(ctx *pulumi.Context, c *testComp, p, other *testProvider) error {
			return thing("cell-other", pulumi.Parent(c), pulumi.Provider(other))(ctx, c, p, other)
		},
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckTree(t, rec, comp, p, "aws:")
			}},
		{name: "tree: no component",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) { CheckTree(t, rec, nil, p, "") },
			want:  "component false, provider true: not recorded", wantFatal: true},
		{name: "invokes: none",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				InvokesThrough(t, rec, p, "no invokes: the cell reads its region")
			},
			want: "no invokes: the cell reads its region", wantFatal: true},
		{name: "nothing registered",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) { NothingRegistered(t, rec) },
			want:  "cellfabric:test:Cell cell registered before the error"},
		{name: "plain leak", extra: thing("cell-leaky"),
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				if n := NoPlainLeak(t, rec, "secret-value"); n != 0 {
					t.Errorf("%d secret hits, want 0", n)
				}
			},
			want: "the secret shows in plain text at test:index:Thing cell-leaky input.key"},
		{name: "secret kept secret", extra: func(ctx *pulumi.Context, c *testComp, p, other *testProvider) error {
			return ctx.RegisterResource("test:index:Thing", "cell-safe", pulumi.Map{"key": pulumi.ToSecret(pulumi.String("secret-value"))}, &testThing{})
		},
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				// The input, and the output the recorder echoes.
				if n := NoPlainLeak(t, rec, "secret-value"); n != 2 {
					t.Errorf("%d secret hits, want 2", n)
				}
			}},
		{name: "outputs: as wanted",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckOutputs(t, map[string]Want{"a": {Out: pulumi.String("x").ToStringOutput(), Value: "x"}})
			}},
		{name: "outputs: another value",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckOutputs(t, map[string]Want{"a": {Out: pulumi.String("y").ToStringOutput(), Value: "x"}})
			},
			want: `a = "y" (known true), want "x"`},
		{name: "outputs: a secret",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				CheckOutputs(t, map[string]Want{"a": {Out: pulumi.ToSecret(pulumi.String("x")).(pulumi.StringOutput), Value: "x"}})
			},
			want: "a is secret"},
		{name: "tags: a type in neither list",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				TagLists{Field: "Tags", Tagged: map[string]any{}}.Check(t, rec.Resources(), "", func(*recorder.Resource, bool) {})
			},
			want: "test:index:Thing is in neither list of types with and without Tags: classify it"},
		{name: "tags: a listed type never recorded",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				lists := TagLists{Field: "Tags", Tagged: map[string]any{"test:index:Thing": nil, "test:index:Gone": nil}}
				lists.Check(t, rec.Resources(), "", func(r *recorder.Resource, tagged bool) {
					if !tagged || recorder.String(r.Input("tags", "k")) != "v" {
						t.Errorf("%s checked as tagged=%v", r.Name, tagged)
					}
				})
			},
			want: "no test:index:Gone recorded"},
		{name: "tags: lists that disagree with the SDK",
			check: func(t testing.TB, rec *recorder.Recorder, comp, p *recorder.Resource) {
				TagLists{
					Field:    "Tags",
					Tagged:   map[string]any{"a": struct{ Tags int }{}, "b": struct{ Labels int }{}},
					Untagged: map[string]any{"c": struct{}{}},
				}.MatchSDK(t)
			},
			want: "b is listed with tagged=true but its Args have Tags=false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, comp, p := fixture(t, tc.extra)
			got, fatal := report(func(ft testing.TB) { tc.check(ft, rec, comp, p) })
			if tc.want == "" && got != "" {
				t.Fatalf("reported %q on a good recording", got)
			}
			if !strings.Contains(got, tc.want) || fatal != tc.wantFatal {
				t.Fatalf("reported %q (fatal %v), want %q (fatal %v)", got, fatal, tc.want, tc.wantFatal)
			}
		})
	}
}
