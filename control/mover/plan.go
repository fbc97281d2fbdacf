package mover

import (
	"context"
	"fmt"
)

// Plan is what a move would do (a dry run): nothing is changed.
type Plan struct {
	Tenant string `json:"tenant"`
	Source string `json:"source"`
	Target string `json:"target"`
	// Epoch is the tenant's placement epoch now.
	Epoch int64 `json:"epoch"`
	// Keys and Position are the tenant's live keys and position on the
	// source.
	Keys     int    `json:"keys"`
	Position uint64 `json:"position"`
	// TargetHealth is "ok" or why the target is not healthy ("not
	// checked" without Config.Health).
	TargetHealth string `json:"targetHealth"`
	// Steps say what each step will do.
	Steps []PlannedStep `json:"steps"`
	// Problems are why the check step would refuse the move now; empty
	// when it would go ahead.
	Problems []string `json:"problems"`
}

// PlannedStep is one step of a plan.
type PlannedStep struct {
	Step Step   `json:"step"`
	Does string `json:"does"`
}

// Plan returns what moving o.Tenant to o.Target would do, and what would
// stop it, without changing anything.
func (m *Mover) Plan(ctx context.Context, o Options) (Plan, error) {
	if err := o.Validate(); err != nil {
		return Plan{}, fmt.Errorf("move options: %w", err)
	}
	o = o.withDefaults()
	entry, err := m.cfg.Directory.Get(ctx, o.Tenant)
	if err != nil {
		return Plan{}, fmt.Errorf("reading tenant %s from the directory: %w", o.Tenant, err)
	}
	p := Plan{Tenant: o.Tenant, Source: entry.Cell, Target: o.Target, Epoch: entry.Epoch, TargetHealth: "not checked"}
	src, err := m.cfg.Cells(entry.Cell)
	if err != nil {
		return Plan{}, fmt.Errorf("source cell %s: %w", entry.Cell, err)
	}
	tgt, err := m.cfg.Cells(o.Target)
	if err != nil {
		return Plan{}, fmt.Errorf("target cell %s: %w", o.Target, err)
	}
	smeta, err := src.Meta(ctx, o.Tenant)
	if err != nil {
		return Plan{}, fmt.Errorf("reading tenant %s's meta on cell %s: %w", o.Tenant, entry.Cell, err)
	}
	p.Position = smeta.Position
	if p.Keys, err = countKeys(ctx, src, o.Tenant); err != nil {
		return Plan{}, fmt.Errorf("counting tenant %s's keys on cell %s: %w", o.Tenant, entry.Cell, err)
	}
	if m.cfg.Health != nil {
		p.TargetHealth = "ok"
		if err := m.cfg.Health(ctx, o.Target); err != nil {
			p.TargetHealth = err.Error()
		}
	}
	tmeta, err := tgt.Meta(ctx, o.Tenant)
	if err != nil {
		p.Problems = append(p.Problems, fmt.Sprintf("target cell %s's state API: %v", o.Target, err))
	} else {
		for _, e := range m.problems(ctx, o, entry, smeta, tmeta, tgt, o.MoveID) {
			p.Problems = append(p.Problems, e.Error())
		}
	}
	if l := smeta.Lock; l != nil {
		p.Problems = append(p.Problems, fmt.Sprintf("tenant %s is locked on cell %s by move %s (to %s, %s, expires %s): resume or abort it", o.Tenant, entry.Cell, l.ID, l.Target, l.Step, l.Expires.UTC().Format("15:04:05Z")))
	}
	e := entry.Epoch
	p.Steps = []PlannedStep{
		{StepCheck, fmt.Sprintf("check %s is active, healthy and in the tenant's residency; lock the tenant on %s and %s; fence it on %s until the switch", o.Target, entry.Cell, o.Target, o.Target)},
		{StepCopy, fmt.Sprintf("export %d keys (position %d) from %s into %s, %d records per import, %d imports at once", p.Keys, p.Position, entry.Cell, o.Target, o.ImportBatch, o.ImportParallel)},
		{StepFollow, followPlan(entry.Cell, o)},
		{StepFence, fmt.Sprintf("directory: state migrating, epoch %d (writes answered 503, reads served); %s refuses every write", e+1, entry.Cell)},
		{StepDrain, "apply the rest of the feed; compare count and sha256 of both cells' exports"},
		{StepSwitch, fmt.Sprintf("%s takes writes at epoch %d; directory: cell %s, active, epoch %d; %s refuses the tenant as moved", o.Target, e+2, o.Target, e+2, entry.Cell)},
		{StepVerify, "the source refuses the tenant; a read through the router is answered by " + o.Target},
		{StepDone, "release both locks"},
	}
	return p, nil
}

func followPlan(src string, o Options) string {
	then := "abort the move if it is still behind then"
	if o.FenceAtDeadline {
		then = "fence anyway if it is still behind then"
	}
	return fmt.Sprintf("apply %s's change feed to %s until a read of it brings at most %d records, for at most %s; %s", src, o.Target, o.LagThreshold, o.FollowDeadline, then)
}
