package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/internal/ctxtime"
	"github.com/cellfabric/cellfabric/router"
)

// Import defaults.
const (
	defaultImportParallel = 4
	// entryRetries is how many more times an entry refused for a reason
	// that may pass (the store failed) is sent.
	entryRetries = 3
	// entryRetryWait is the wait before such an entry is sent again,
	// times the attempt.
	entryRetryWait = 200 * time.Millisecond
	// maxPrintedFailures is how many failing lines an import prints on
	// stderr; all of them go to --errors.
	maxPrintedFailures = 10
	// reasonBadLine is the reason of a line that is not a tenant entry (it
	// was not sent).
	reasonBadLine = "bad_line"
	// importWindow × --parallel is how many batches may be sent and not
	// yet committed (the checkpoint not past them).
	importWindow = 2
)

type importOptions struct {
	apiOptions
	format, mode, checkpoint, errors string
	parallel, batch                  int
}

// tenantsImport imports tenants from a CSV or NDJSON file in batches, with
// several batches in flight, resumably (see importCheckpoint).
func tenantsImport(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o importOptions
	fs := subFlags("import", "import FILE [--format csv|ndjson] [--mode upsert|ifAbsent] [--parallel 4] [--checkpoint FILE] [--errors FILE]", &o.apiOptions, stderr)
	fs.StringVar(&o.format, "format", "", "input `format`: csv (header id,cell,failover,residency,state; failover cells separated by ';') or ndjson (a tenant entry per line); default: by the file's extension")
	fs.StringVar(&o.mode, "mode", string(directory.ModeUpsert), "`mode`: upsert (add or change) or ifAbsent (add only; an existing tenant with another entry fails)")
	fs.IntVar(&o.parallel, "parallel", defaultImportParallel, "batches in flight at once, `N` (at most 2×N are sent and not yet in the checkpoint)")
	fs.IntVar(&o.batch, "batch", directory.MaxBatch, "tenants per batch, `N` up to 1000")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint `FILE` that lets an interrupted import continue (default FILE.checkpoint)")
	fs.StringVar(&o.errors, "errors", "", "write the failing lines (line,id,reason,error as CSV) to `FILE` (default FILE.errors.csv)")
	path, code, ok := parseSub(fs, args, "the input FILE", func() string {
		switch {
		case o.mode != string(directory.ModeUpsert) && o.mode != string(directory.ModeIfAbsent):
			return fmt.Sprintf("--mode %q: use upsert or ifAbsent", o.mode)
		case o.format != "" && o.format != formatCSV && o.format != formatNDJSON:
			return fmt.Sprintf("--format %q: use csv or ndjson", o.format)
		case o.parallel < 1 || o.parallel > 64:
			return fmt.Sprintf("--parallel %d: choose 1..64", o.parallel)
		case o.batch < 1 || o.batch > directory.MaxBatch:
			return fmt.Sprintf("--batch %d: choose 1..%d", o.batch, directory.MaxBatch)
		}
		return ""
	})
	if !ok {
		return code
	}
	if o.checkpoint == "" {
		o.checkpoint = path + ".checkpoint"
	}
	if o.errors == "" {
		o.errors = path + ".errors.csv"
	}
	format, err := inputFormat(path, o.format)
	if err != nil {
		return fail(stderr, "import", err)
	}
	c, err := o.client(env)
	if err != nil {
		return fail(stderr, "import", err)
	}
	imp := &importRun{opts: o, path: path, format: format, client: c, stderr: stderr, env: env}
	return imp.run(ctx, stdout)
}

// importRun is one run of an import.
type importRun struct {
	opts   importOptions
	path   string
	format string
	client *dirhttp.Client
	stderr io.Writer
	env    tenantsEnv

	cp       importCheckpoint // committed so far
	hasher   *prefixHasher
	failures *csv.Writer
	failFile *os.File
	printed  int
	sent     int
	// resumedAfter is the line the checkpoint covered when the run began
	// (0: it began at the start).
	resumedAfter int
}

// importBatch is a run of consecutive lines: the entries to send (with
// their lines) and the lines that failed before sending.
type importBatch struct {
	seq     int
	entries []router.Tenant
	lines   []int
	local   []importFailure
	end     int64 // offset after its last line
	endLine int
}

// importFailure is a line that was not applied.
type importFailure struct {
	line   int
	id     string
	reason string
	msg    string
}

// batchDone is a batch's outcome.
type batchDone struct {
	b        *importBatch
	counts   importCounts
	failures []importFailure
	err      error // the batch could not be sent: the import stops
}

func (r *importRun) run(ctx context.Context, stdout io.Writer) int {
	in, err := os.Open(r.path)
	if err != nil {
		return fail(r.stderr, "import", fmt.Errorf("%w: give the file to import", err))
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fail(r.stderr, "import", err)
	}
	if r.hasher, err = newPrefixHasher(r.path); err != nil {
		return fail(r.stderr, "import", err)
	}
	defer r.hasher.Close()
	resumed, err := r.resume(st.Size())
	if err != nil {
		return fail(r.stderr, "import", err)
	}
	if err := r.openFailures(resumed); err != nil {
		return fail(r.stderr, "import", err)
	}
	defer r.closeFailures()
	reader, err := newInputReader(in, r.format)
	if err != nil {
		return fail(r.stderr, "import", fmt.Errorf("%s: %w", r.path, err))
	}
	if resumed {
		r.resumedAfter = r.cp.Line
		fmt.Fprintf(r.stderr, "import %s: continuing after line %d (checkpoint %s)\n", r.path, r.cp.Line, r.opts.checkpoint)
	}
	prog := newProgress(r.stderr, r.env.terminal(r.stderr), filepath.Base(r.path), st.Size())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *importBatch, r.opts.parallel)
	results := make(chan batchDone, r.opts.parallel)
	readErr := make(chan error, 1)
	from := r.cp.Offset // commit moves r.cp on while read runs
	// A batch takes a slot before it is sent and gives it back once it is
	// committed: at most importWindow × parallel batches are ahead of the
	// checkpoint. So a batch the API answers late (a server that serves one
	// batch at a time, not in order, as the Worker's isolate does) holds
	// the others back until it is done, instead of the checkpoint standing
	// still while the rest of the file is sent.
	slots := make(chan struct{}, importWindow*r.opts.parallel)
	go func() { readErr <- r.read(ctx, reader, from, slots, batches) }()
	var wg sync.WaitGroup
	for range r.opts.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := ctx.Err(); err != nil {
					results <- batchDone{b: b, err: err}
					continue
				}
				res := r.send(ctx, b)
				if res.err != nil {
					// Stop at once: no batch after a failed one starts.
					cancel()
				}
				results <- res
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	// Commit batches in input order: the checkpoint only ever covers a
	// prefix of the file whose every batch was acknowledged.
	pending := map[int]batchDone{}
	next := 0
	var stopErr error
	for res := range results {
		if res.err != nil && stopErr == nil {
			stopErr = res.err
			cancel()
		}
		pending[res.b.seq] = res
		for {
			d, ok := pending[next]
			if !ok || d.err != nil {
				break
			}
			delete(pending, next)
			next++
			if err := r.commit(d); err != nil && stopErr == nil {
				stopErr = err
				cancel()
			}
			<-slots
			prog.update(r.cp.Offset, r.sent, r.cp.importCounts)
		}
	}
	if err := <-readErr; err != nil && stopErr == nil && !errors.Is(err, context.Canceled) {
		stopErr = err
	}
	prog.done()
	if stopErr == nil && ctx.Err() != nil {
		stopErr = ctx.Err()
	}
	return r.finish(stdout, stopErr)
}

// resume loads the checkpoint, if any, and checks it belongs to this input.
func (r *importRun) resume(size int64) (bool, error) {
	cp, ok, err := readCheckpoint(r.opts.checkpoint)
	if err != nil || !ok {
		return false, err
	}
	switch {
	case cp.Format != r.format || cp.Mode != r.opts.mode:
		return false, fmt.Errorf("checkpoint %s was written by an import with --format %s --mode %s: run it with those, or delete the checkpoint to start over", r.opts.checkpoint, cp.Format, cp.Mode)
	case cp.Offset > size:
		return false, fmt.Errorf("checkpoint %s is for a longer file than %s (%d bytes done, the file has %d): delete the checkpoint to import from the start", r.opts.checkpoint, r.path, cp.Offset, size)
	}
	sum, err := r.hasher.advance(cp.Offset)
	if err != nil {
		return false, err
	}
	if sum != cp.PrefixSHA256 {
		return false, fmt.Errorf("%s changed before line %d since the checkpoint %s was written: delete the checkpoint to import it from the start (entries already imported come back unchanged)", r.path, cp.Line, r.opts.checkpoint)
	}
	r.cp = cp
	return true, nil
}

// read splits the input into batches, each taking a slot first, skipping the lines that end at or
// before offset from, which the checkpoint covers (their ids still count
// for duplicates).
func (r *importRun) read(ctx context.Context, reader *inputReader, from int64, slots chan<- struct{}, out chan<- *importBatch) error {
	defer close(out)
	seen := map[string]int{}
	b := &importBatch{}
	seq := 0
	flush := func() error {
		if len(b.entries) == 0 && len(b.local) == 0 {
			return nil
		}
		b.seq = seq
		seq++
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = &importBatch{}
		return nil
	}
	for {
		rec, err := reader.next()
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return fmt.Errorf("reading %s after line %d: %w", r.path, reader.line, err)
		}
		done := rec.end <= from
		var failure *importFailure
		if rec.err != nil {
			failure = &importFailure{line: rec.line, id: rec.t.ID, reason: reasonBadLine, msg: rec.err.Error()}
		} else if first, dup := seen[rec.t.ID]; dup {
			failure = &importFailure{line: rec.line, id: rec.t.ID, reason: directory.ReasonDuplicate,
				msg: fmt.Sprintf("tenant %q is in the file twice (lines %d and %d): keep one line per tenant", rec.t.ID, first, rec.line)}
		} else {
			seen[rec.t.ID] = rec.line
		}
		if done {
			continue
		}
		b.end, b.endLine = rec.end, rec.line
		if failure != nil {
			b.local = append(b.local, *failure)
		} else {
			b.entries = append(b.entries, rec.t)
			b.lines = append(b.lines, rec.line)
		}
		if len(b.entries) == r.opts.batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// send writes one batch, sending again (up to entryRetries times) the
// entries refused for a reason that may pass.
func (r *importRun) send(ctx context.Context, b *importBatch) batchDone {
	d := batchDone{b: b, failures: append([]importFailure(nil), b.local...)}
	d.counts.Failed = len(b.local)
	todo := make([]int, len(b.entries))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		entries := make([]router.Tenant, len(todo))
		for i, j := range todo {
			entries[i] = b.entries[j]
		}
		results, err := r.client.Batch(ctx, entries, directory.Mode(r.opts.mode))
		if err != nil {
			d.err = fmt.Errorf("lines %d to %d: %w", b.lines[todo[0]], b.lines[todo[len(todo)-1]], err)
			return d
		}
		var again []int
		for i, res := range results {
			j := todo[i]
			switch {
			case res.OK():
				switch res.Outcome {
				case directory.OutcomeAdded:
					d.counts.Added++
				case directory.OutcomeUpdated:
					d.counts.Updated++
				default:
					d.counts.Unchanged++
				}
			case directory.Retryable(res.Reason) && attempt < entryRetries:
				again = append(again, j)
			default:
				d.counts.Failed++
				d.failures = append(d.failures, importFailure{line: b.lines[j], id: res.ID, reason: res.Reason, msg: res.Error})
			}
		}
		todo = again
		if len(todo) > 0 {
			if err := ctxtime.Sleep(ctx, time.Duration(attempt+1)*entryRetryWait); err != nil {
				d.err = err
				return d
			}
		}
	}
	return d
}

// commit counts a batch, records its failures and moves the checkpoint
// past it.
func (r *importRun) commit(d batchDone) error {
	for _, f := range d.failures {
		if err := r.failures.Write([]string{strconv.Itoa(f.line), f.id, f.reason, f.msg}); err != nil {
			return fmt.Errorf("writing %s: %w", r.opts.errors, err)
		}
		if r.printed < maxPrintedFailures {
			fmt.Fprintf(r.stderr, "%s:%d: %s\n", r.path, f.line, f.msg)
		}
		r.printed++
	}
	r.failures.Flush()
	if err := r.failures.Error(); err != nil {
		return fmt.Errorf("writing %s: %w", r.opts.errors, err)
	}
	r.sent += len(d.b.entries)
	r.cp.Added += d.counts.Added
	r.cp.Updated += d.counts.Updated
	r.cp.Unchanged += d.counts.Unchanged
	r.cp.Failed += d.counts.Failed
	r.cp.Format, r.cp.Mode = r.format, r.opts.mode
	r.cp.Offset, r.cp.Line = d.b.end, d.b.endLine
	sum, err := r.hasher.advance(d.b.end)
	if err != nil {
		return err
	}
	r.cp.PrefixSHA256 = sum
	return r.cp.write(r.opts.checkpoint)
}

// openFailures opens the --errors file: appended to when resuming (the
// earlier run's failures stay), started afresh otherwise.
func (r *importRun) openFailures(resumed bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if resumed {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(r.opts.errors, flags, 0o644)
	if err != nil {
		return fmt.Errorf("opening --errors %s: %w", r.opts.errors, err)
	}
	r.failFile = f
	r.failures = csv.NewWriter(f)
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if err := r.failures.Write([]string{"line", "id", "reason", "error"}); err != nil {
			return err
		}
	}
	return nil
}

func (r *importRun) closeFailures() {
	r.failures.Flush()
	r.failFile.Close()
	if r.cp.Failed == 0 {
		os.Remove(r.opts.errors)
	}
}

// finish prints the summary and says what to do next.
func (r *importRun) finish(stdout io.Writer, stopErr error) int {
	c := r.cp.importCounts
	resumed := ""
	if r.resumedAfter > 0 {
		resumed = fmt.Sprintf(" (resumed after line %d; the counts include the earlier run's)", r.resumedAfter)
	}
	fmt.Fprintf(stdout, "import %s: %d added, %d updated, %d unchanged, %d failed%s\n", r.path, c.Added, c.Updated, c.Unchanged, c.Failed, resumed)
	if stopErr != nil {
		fmt.Fprintf(r.stderr, "cellfabric tenants import: stopped after line %d: %v\n", r.cp.Line, stopErr)
		fmt.Fprintf(r.stderr, "run the same command again to continue after line %d (checkpoint %s); lines sent after it are sent again, which changes nothing twice\n", r.cp.Line, r.opts.checkpoint)
		return 1
	}
	if err := os.Remove(r.opts.checkpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(r.stderr, "cellfabric tenants import: removing the checkpoint: %v\n", err)
	}
	if c.Failed > 0 {
		more := ""
		if r.printed > maxPrintedFailures {
			more = fmt.Sprintf(" (%d more not shown above)", r.printed-maxPrintedFailures)
		}
		fmt.Fprintf(r.stderr, "cellfabric tenants import: %d lines failed%s; they are listed with their reasons in %s: fix them and import the file again (the lines already imported come back unchanged)\n", c.Failed, more, r.opts.errors)
		return 1
	}
	return 0
}
