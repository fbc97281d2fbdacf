package evacuate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Directory is the tenant directory as an evacuation uses it.
// *dirhttp.Client satisfies it.
type Directory interface {
	mover.Directory
	// List returns a page of the directory's entries (GET /tenants).
	List(ctx context.Context, cursor string, limit int) (directory.Page, error)
	// Cells returns the cells' placement flags and tenant counts.
	Cells(ctx context.Context) ([]directory.CellPlacement, error)
	// CloseCell closes a cell to new tenants (cells drain).
	CloseCell(ctx context.Context, cell, reason string) (directory.CellPlacement, error)
}

// Mover moves one tenant. *mover.Mover satisfies it.
type Mover interface {
	Move(ctx context.Context, o mover.Options) (mover.Result, error)
}

var _ Mover = (*mover.Mover)(nil)

// Config is what an Evacuator works with.
type Config struct {
	// Directory is the tenant directory. Required.
	Directory Directory
	// Mover runs each tenant's move. Required.
	Mover Mover
	// Registry is the registry the routers serve: the cells a tenant may
	// move to. Required.
	Registry *router.Registry
	// Health checks that a cell answers (its /healthz); a cell it fails is
	// no target. Nil: only the registry's cell state is checked.
	Health func(ctx context.Context, cell string) error
	// Guard, when set, is taken for the whole evacuation (one evacuation
	// at a time); a guard another owner holds refuses the evacuation
	// before anything changes. Nil: no guard.
	Guard Guard
	// Owner names this evacuation in the guard: keep it the same across
	// reruns of one evacuation (host and cell), so a rerun after a crash
	// takes its own guard at once. Zero: "cellfabric evacuate".
	Owner string
	// Logger receives a line per move. Zero: discard.
	Logger *slog.Logger
	// Now is the clock for the elapsed times. Zero: time.Now.
	Now func() time.Time
}

// DefaultParallel is how many moves an evacuation runs at once by
// default: about what 1,000 tenants in a minute take with the ~0.5 s moves
// measured on loopback (docs/design/moving-tenants.md).
const DefaultParallel = 8

// MaxParallel bounds Options.Parallel: each move holds a few connections
// to three services, and a cell behind the edge has its own limits.
const MaxParallel = 256

// Options are one evacuation's.
type Options struct {
	// Source is the cell to evacuate. Required.
	Source string
	// To restricts the targets to these cells. Empty: every cell of the
	// registry that may take a tenant.
	To []string
	// Parallel is how many moves run at once. Zero: DefaultParallel; at
	// most MaxParallel.
	Parallel int
	// Checkpoint is the file the evacuation records its progress in, and
	// resumes from when it exists. Empty: no checkpoint (a rerun lists the
	// cell again; moves in flight when it stopped resume only once their
	// locks expire).
	Checkpoint string
	// Reason is kept with the cell's closed placement flag. Empty: "evacuated".
	Reason string
	// Move is the template of each tenant's move options (lag threshold,
	// deadlines, batch sizes, read through the router); Tenant, Target and
	// MoveID are set per tenant.
	Move mover.Options
	// StopWhenTargetsDegrade checks each move's target just before the
	// move starts; the first that fails its health check stops the
	// evacuation from starting any further move (moves in flight finish,
	// or abort cleanly at their own check). Zero: a move into a cell that
	// turned unhealthy fails at its check step, and the others go on.
	StopWhenTargetsDegrade bool
	// OnProgress is called after each tenant's outcome (and once at the
	// start). Nil: not called.
	OnProgress func(Progress)
}

// Validate reports every problem with o at once, with what to fix.
func (o Options) Validate() error {
	var errs []error
	if o.Source == "" {
		errs = append(errs, errors.New("source: required (the cell to evacuate)"))
	} else if !fabric.ValidCellID(o.Source) {
		errs = append(errs, fmt.Errorf("source: %q is not a cell id: use %s", o.Source, fabric.CellIDRule))
	}
	if o.Parallel < 0 || o.Parallel > MaxParallel {
		errs = append(errs, fmt.Errorf("parallel: %d is out of range: give 1..%d moves at once (0 for %d)", o.Parallel, MaxParallel, DefaultParallel))
	}
	for i, c := range o.To {
		switch {
		case !fabric.ValidCellID(c):
			errs = append(errs, fmt.Errorf("to[%d]: %q is not a cell id: use %s", i, c, fabric.CellIDRule))
		case c == o.Source:
			errs = append(errs, fmt.Errorf("to[%d]: %s is the cell being evacuated: name other cells", i, c))
		}
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}
	if o.Reason == "" {
		o.Reason = "evacuated"
	}
	return o
}

// Evacuator evacuates cells.
type Evacuator struct {
	cfg Config
}

// New validates cfg and returns an Evacuator.
func New(cfg Config) (*Evacuator, error) {
	var errs []error
	if cfg.Directory == nil {
		errs = append(errs, errors.New("directory: required"))
	}
	if cfg.Mover == nil {
		errs = append(errs, errors.New("mover: required"))
	}
	if cfg.Registry == nil {
		errs = append(errs, errors.New("registry: required (the cells tenants may move to)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("evacuate: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = "cellfabric evacuate"
	}
	return &Evacuator{cfg: cfg}, nil
}
