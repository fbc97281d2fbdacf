package celltest

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// Setup says how to record one cloud's cell.
type Setup[C cell.Cell] struct {
	// New builds the cell: the cloud's NewCell or its cell.Constructor.
	// Required.
	New func(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (C, error)
	// Type is the component's type token, by which Run.Comp is found.
	// Required.
	Type string
	// Name is the cell's logical name. Required.
	Name string
	// Provider makes the explicit provider the cell is given. Zero: none,
	// for cells that must fail before they need one.
	Provider func(ctx *pulumi.Context) (pulumi.ProviderResource, error)
	// Providers passes the provider in a pulumi.Providers list, as the
	// infra program does. Zero: pulumi.Provider.
	Providers bool
	// Stack is the stack's name. Default "test" (the recorder's).
	Stack string
	// WithDNS gives the cell a DNS function that records its calls
	// (Run.DNS). Zero: args.DNS as the test set it.
	WithDNS bool
}

// Run is one recorded run of a cell.
type Run[C cell.Cell] struct {
	// Rec holds what the run registered.
	Rec *recorder.Recorder
	// Cell is what New returned.
	Cell C
	// Provider is the provider the test passed; nil without one.
	Provider *recorder.Resource
	// Comp is the cell's component; nil when New failed before
	// registering it.
	Comp *recorder.Resource
	// DNS holds the DNS function's calls; nil without Setup.WithDNS.
	DNS *DNS
	// Err is New's error, or the run's.
	Err error
}

// Record runs New with args and returns what it registered; a failure is
// in Run.Err, with what was registered before it.
func (s Setup[C]) Record(args cell.Args) *Run[C] {
	r := &Run[C]{Rec: recorder.New()}
	if s.WithDNS {
		r.DNS = &DNS{}
		args.DNS = r.DNS.Func
	}
	var provider pulumi.ProviderResource
	r.Err = r.Rec.Run(recorder.Options{Stack: s.Stack}, func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if s.Provider != nil {
			p, err := s.Provider(ctx)
			if err != nil {
				return fmt.Errorf("making the test's provider: %w", err)
			}
			provider = p
			if s.Providers {
				opts = append(opts, pulumi.Providers(p))
			} else {
				opts = append(opts, pulumi.Provider(p))
			}
		}
		c, err := s.New(ctx, s.Name, args, opts...)
		r.Cell = c
		return err
	})
	if provider != nil {
		if aw, err := recorder.Await(provider.URN()); err == nil {
			r.Provider = r.Rec.ByURN(fmt.Sprint(aw.Value))
		}
	}
	r.Comp = r.Rec.Get(s.Type, s.Name)
	return r
}

// Deploy is Record for a run that must succeed: it fails t otherwise.
func (s Setup[C]) Deploy(t testing.TB, args cell.Args) *Run[C] {
	t.Helper()
	r := s.Record(args)
	if r.Err != nil {
		t.Fatalf("deploying the cell: %v", r.Err)
	}
	return r
}

// One returns the only resource of typ the run registered, failing t
// otherwise.
func (r *Run[C]) One(t testing.TB, typ string) *recorder.Resource {
	t.Helper()
	return One(t, r.Rec, typ)
}

// Named returns the resource of typ with the logical name, failing t when
// there is none.
func (r *Run[C]) Named(t testing.TB, typ, name string) *recorder.Resource {
	t.Helper()
	return Named(t, r.Rec, typ, name)
}

// One returns the only resource of typ rec holds, failing t otherwise.
func One(t testing.TB, rec *recorder.Recorder, typ string) *recorder.Resource {
	t.Helper()
	rs := rec.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

// Named returns the resource of typ with the logical name, failing t when
// rec holds none.
func Named(t testing.TB, rec *recorder.Recorder, typ, name string) *recorder.Resource {
	t.Helper()
	res := rec.Get(typ, name)
	if res == nil {
		t.Fatalf("no %s named %s", typ, name)
	}
	return res
}
