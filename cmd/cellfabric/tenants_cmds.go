package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// entryFlags are the fields add and set take.
type entryFlags struct {
	cell, failover, residency, state string
}

func (e *entryFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&e.cell, "cell", "", "primary `CELL`")
	fs.StringVar(&e.failover, "failover", "", "failover `CELLS`, comma-separated, in order (\"\" for none)")
	fs.StringVar(&e.residency, "residency", "", "`GEO` the tenant's data must stay in (\"eu\", \"us\", ...; \"\" for anywhere)")
	fs.StringVar(&e.state, "state", "", "`STATE`: active, migrating or readonly (default active)")
}

// apply sets the fields whose flags were given on t.
func (e *entryFlags) apply(fs *flag.FlagSet, t *router.Tenant) (changed bool) {
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "cell":
			t.Cell, changed = e.cell, true
		case "failover":
			t.Failover, changed = splitList(e.failover, ","), true
		case "residency":
			t.Residency, changed = e.residency, true
		case "state":
			t.State, changed = fabric.TenantState(e.state), true
		}
	})
	return changed
}

func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// tenantsWrite is add (a new tenant; refused if it exists with another
// entry) and set (a change at the epoch read, refused if it changed since).
func tenantsWrite(ctx context.Context, sub string, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var e entryFlags
	var ifEpoch int64
	usage := "add ID --cell CELL [--failover A,B] [--residency GEO] [--state STATE]"
	if sub == "set" {
		usage = "set ID [--cell CELL] [--failover A,B] [--residency GEO] [--state STATE] [--if-epoch N]"
	}
	fs := subFlags(sub, usage, &o, stderr)
	e.bind(fs)
	if sub == "set" {
		fs.Int64Var(&ifEpoch, "if-epoch", 0, "change only if the tenant is at epoch `N` (default: the epoch read just before)")
	}
	check := func() string {
		if sub == "add" && e.cell == "" {
			return "--cell is required: the tenant's primary cell (or use place to let the directory choose)"
		}
		return ""
	}
	id, code, ok := parseSub(fs, args, "the tenant ID", check)
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, sub, err)
	}
	var stored router.Tenant
	if sub == "add" {
		t := router.Tenant{ID: id}
		e.apply(fs, &t)
		stored, err = c.Put(ctx, t, directory.PutOptions{IfAbsent: true})
	} else {
		var cur router.Tenant
		cur, err = c.Get(ctx, id)
		if dirhttp.Reason(err) == directory.ReasonNotFound {
			return fail(stderr, sub, fmt.Errorf("tenant %q is not in the directory: add it with `cellfabric tenants add %s --cell CELL` or `place %s`", id, id, id))
		}
		if err != nil {
			return fail(stderr, sub, err)
		}
		if !e.apply(fs, &cur) {
			return usageError(fs, "nothing to change: give --cell, --failover, --residency or --state")
		}
		if ifEpoch == 0 {
			ifEpoch = cur.Epoch
		}
		stored, err = c.Put(ctx, cur, directory.PutOptions{IfEpoch: ifEpoch})
	}
	if err != nil {
		return fail(stderr, sub, err)
	}
	if err := printEntries(stdout, o.output, []router.Tenant{stored}, true); err != nil {
		return fail(stderr, sub, err)
	}
	return 0
}

func tenantsPlace(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var residency string
	failovers := -1
	fs := subFlags("place", "place ID [--residency GEO] [--failovers N]", &o, stderr)
	fs.StringVar(&residency, "residency", "", "`GEO` the tenant's data must stay in: only cells there are chosen (default: anywhere)")
	fs.IntVar(&failovers, "failovers", directory.DefaultFailoverCount, "how many failover `N` cells to choose, in the primary's geo")
	id, code, ok := parseSub(fs, args, "the tenant ID", func() string {
		if failovers < 0 || failovers > router.MaxFailover {
			return fmt.Sprintf("--failovers %d: choose 0..%d", failovers, router.MaxFailover)
		}
		return ""
	})
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "place", err)
	}
	t, err := c.Place(ctx, id, directory.PlaceRequest{Residency: residency, FailoverCount: &failovers})
	if err != nil {
		return fail(stderr, "place", err)
	}
	if err := printEntries(stdout, o.output, []router.Tenant{t}, true); err != nil {
		return fail(stderr, "place", err)
	}
	return 0
}

func tenantsRemove(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var ifEpoch int64
	fs := subFlags("remove", "remove ID [--if-epoch N]", &o, stderr)
	fs.Int64Var(&ifEpoch, "if-epoch", 0, "remove only if the tenant is at epoch `N` (default: whatever its epoch)")
	id, code, ok := parseSub(fs, args, "the tenant ID", nil)
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "remove", err)
	}
	tomb, err := c.Remove(ctx, id, ifEpoch)
	if err != nil {
		return fail(stderr, "remove", err)
	}
	if o.output == "json" {
		return encodeJSON(stdout, stderr, "remove", tomb)
	}
	fmt.Fprintf(stdout, "tenant %s removed at epoch %d\n", tomb.ID, tomb.Epoch)
	return 0
}

func tenantsShow(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	fs := subFlags("show", "show ID", &o, stderr)
	id, code, ok := parseSub(fs, args, "the tenant ID", nil)
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "show", err)
	}
	t, err := c.Get(ctx, id)
	if err != nil {
		return fail(stderr, "show", err)
	}
	if err := printEntries(stdout, o.output, []router.Tenant{t}, true); err != nil {
		return fail(stderr, "show", err)
	}
	return 0
}

func tenantsList(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var limit int
	var cursor string
	var all bool
	fs := subFlags("list", "list [--limit N] [--cursor C] [--all]", &o, stderr)
	fs.IntVar(&limit, "limit", 100, "tenants per page, `N` up to 1000")
	fs.StringVar(&cursor, "cursor", "", "continue after the page that printed this `CURSOR`")
	fs.BoolVar(&all, "all", false, "list every tenant, page after page (use export for a file)")
	_, code, ok := parseSub(fs, args, "", func() string {
		if limit < 1 || limit > directory.DefaultListLimit {
			return fmt.Sprintf("--limit %d: choose 1..%d", limit, directory.DefaultListLimit)
		}
		return ""
	})
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "list", err)
	}
	var entries []router.Tenant
	for {
		p, err := c.List(ctx, cursor, limit)
		if err != nil {
			return fail(stderr, "list", err)
		}
		entries = append(entries, p.Entries...)
		cursor = p.Cursor
		if !all || cursor == "" {
			break
		}
	}
	if err := printEntries(stdout, o.output, entries, false); err != nil {
		return fail(stderr, "list", err)
	}
	if cursor != "" {
		fmt.Fprintf(stderr, "more tenants: cellfabric tenants list --cursor %s (or --all)\n", cursor)
	}
	return 0
}

// tenantsExport writes every entry as NDJSON (router.Tenant per line, in
// id order): the input import takes.
func tenantsExport(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var out string
	fs := subFlags("export", "export [--out FILE]", &o, stderr)
	fs.StringVar(&out, "out", "", "write to `FILE` (replaced only once the export is whole) instead of stdout")
	_, code, ok := parseSub(fs, args, "", nil)
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "export", err)
	}
	w := stdout
	var tmp *os.File
	if out != "" {
		if tmp, err = os.CreateTemp(filepath.Dir(out), ".cellfabric-export-*"); err != nil {
			return fail(stderr, "export", err)
		}
		defer os.Remove(tmp.Name())
		w = tmp
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	n := 0
	_, err = c.Load(ctx, func(ts []router.Tenant) error {
		for i := range ts {
			if err := enc.Encode(&ts[i]); err != nil {
				return err
			}
		}
		n += len(ts)
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if tmp != nil {
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), out)
		}
	}
	if err != nil {
		where := "the output above is incomplete"
		if out != "" {
			where = out + " was left as it was"
		}
		return fail(stderr, "export", fmt.Errorf("%w (after %d tenants; %s): run the export again", err, n, where))
	}
	fmt.Fprintf(stderr, "exported %d tenants\n", n)
	return 0
}

// encodeJSON writes v as tenants subcommand sub's -o json output.
func encodeJSON(stdout, stderr io.Writer, sub string, v any) int {
	if err := writeJSON(stdout, v); err != nil {
		return fail(stderr, sub, err)
	}
	return 0
}
