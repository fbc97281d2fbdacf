package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

func init() {
	register("tenants", command{
		summary: "add, place, change, remove, list, import and export tenants of the tenant directory",
		flags:   func() *flag.FlagSet { return tenantsUsageFlags() },
		run:     runTenants,
	})
}

// Defaults of `cellfabric tenants`, in one place.
const (
	// EnvControlKey holds the control key, "id=secret", when --key-file is
	// not given.
	EnvControlKey = "CELLFABRIC_CONTROL_KEY"
	// defaultAPI is where `cellfabric local` serves the control API.
	defaultAPI = "http://" + localControlAddr
)

// tenantsSubcommands are the subcommands, in the order help lists them.
var tenantsSubcommands = []string{"add", "place", "set", "remove", "show", "list", "import", "export", "move", "promote"}

// tenantsEnv is what the tenants commands take from the process, so tests
// can give their own.
type tenantsEnv struct {
	getenv func(string) string
	// localKeyFile is where `cellfabric local` writes its control key by
	// default.
	localKeyFile func() string
	// terminal reports whether w is a terminal (progress redraws a line).
	terminal func(w io.Writer) bool
}

func osTenantsEnv() tenantsEnv {
	return tenantsEnv{getenv: os.Getenv, localKeyFile: defaultLocalControlKeyFile, terminal: isTerminal}
}

func runTenants(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return tenantsMain(ctx, args, stdout, stderr, osTenantsEnv())
}

func tenantsMain(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	return subcommand(tenantsUsageFlags(), tenantsSubcommands, args, stdout, stderr, func(sub string, rest []string) int {
		switch sub {
		case "add", "set":
			return tenantsWrite(ctx, sub, rest, stdout, stderr, env)
		case "place":
			return tenantsPlace(ctx, rest, stdout, stderr, env)
		case "remove":
			return tenantsRemove(ctx, rest, stdout, stderr, env)
		case "show":
			return tenantsShow(ctx, rest, stdout, stderr, env)
		case "list":
			return tenantsList(ctx, rest, stdout, stderr, env)
		case "import":
			return tenantsImport(ctx, rest, stdout, stderr, env)
		case "export":
			return tenantsExport(ctx, rest, stdout, stderr, env)
		case "move":
			return tenantsMove(ctx, rest, stdout, stderr, env)
		case "promote":
			return tenantsPromote(ctx, rest, stdout, stderr, env)
		}
		return -1
	})
}

// tenantsUsageFlags is the flag set `cellfabric help tenants` and shell
// completion read: the flags every subcommand shares.
func tenantsUsageFlags() *flag.FlagSet {
	var o apiOptions
	fs := flag.NewFlagSet("tenants", flag.ContinueOnError)
	o.bind(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cellfabric tenants <subcommand> [ID|FILE] [flags]

Writes and reads the tenant directory through its control API (signed with
the control key; cellfabric local serves one on 127.0.0.1:9091 and writes its key).

  add ID --cell C [--failover A,B] [--residency R] [--state S]   add a tenant (fails if it exists)
  place ID [--residency R] [--failovers N]                       let the directory choose its cells
  set ID [--cell C] [--failover A,B] [--residency R] [--state S] change a tenant, at the epoch read
  remove ID [--if-epoch N]                                       remove a tenant
  show ID                                                        print a tenant's entry
  list [--limit N] [--cursor C] [--all]                          list tenants
  import FILE [--format csv|ndjson] [--mode upsert|ifAbsent]     import tenants in batches, resumably
  export [--out FILE]                                            write every entry as NDJSON
  move ID --to CELL [--dry-run] [--abort] [--move-id ID]         move a tenant with its data to another cell
  promote ID --to CELL [--accept-loss]                           make a tenant's warm standby its cell

'cellfabric tenants <subcommand> -h' shows a subcommand's flags. Flags every
subcommand takes:
`)
		fs.PrintDefaults()
	}
	return fs
}

// apiOptions are the flags every subcommand takes.
type apiOptions struct {
	api, keyFile string
	output       outputFormat
}

func (o *apiOptions) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.api, "api", defaultAPI, "control API `URL` (the Worker's host, or cellfabric local's --control)")
	fs.StringVar(&o.keyFile, "key-file", "", "`FILE` holding the control key as id=secret (default: $"+EnvControlKey+", else the key cellfabric local wrote)")
	o.output = "table"
	fs.Var(&o.output, "o", "output `format`: table or json")
}

// client builds the API client from the flags and the environment. The
// key's secret is never printed.
func (o *apiOptions) client(env tenantsEnv) (*dirhttp.Client, error) {
	key, err := o.key(env)
	if err != nil {
		return nil, err
	}
	c, err := dirhttp.NewClient(dirhttp.ClientConfig{BaseURL: o.api, Key: key})
	if err != nil {
		return nil, fmt.Errorf("%w (--api)", err)
	}
	return c, nil
}

// key finds the control key: --key-file, else the environment, else the
// file `cellfabric local` writes.
func (o *apiOptions) key(env tenantsEnv) (edgeauth.Key, error) {
	return controlKeyFrom{
		file: o.keyFile, getenv: env.getenv, localKeyFile: env.localKeyFile,
		unreadable: "pass the file cellfabric local printed with --key-file",
		none:       "no control key: pass --key-file FILE (cellfabric local prints the path of its key) or set " + EnvControlKey + "=id=secret",
	}.load()
}

// outputFormat is the -o flag.
type outputFormat string

var outputFormats = []string{"table", "json"}

var _ choiceValue = (*outputFormat)(nil)

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Set(v string) error {
	if !slices.Contains(outputFormats, v) {
		return fmt.Errorf("want %s", strings.Join(outputFormats, " or "))
	}
	*f = outputFormat(v)
	return nil
}

func (f *outputFormat) choices() []string { return outputFormats }

// splitID takes the subcommand's first argument as its ID or FILE when it
// is not a flag, so both `add acme --cell x` and `add --cell x acme` work.
func splitID(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// parseSub parses a subcommand's flags with its one positional argument
// (name says what it is; "" for none). It returns the argument.
func parseSub(fs *flag.FlagSet, args []string, name string, check func() string) (arg string, code int, ok bool) {
	arg, args = splitID(args)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", 0, false
		}
		return "", 2, false
	}
	rest := fs.Args()
	if arg == "" && len(rest) > 0 && name != "" {
		// The argument between flags: parse the flags after it too.
		arg = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", 0, false
			}
			return "", 2, false
		}
		rest = fs.Args()
	}
	switch {
	case len(rest) > 0:
		return "", usageError(fs, fmt.Sprintf("unexpected argument %q", rest[0])), false
	case name != "" && arg == "":
		return "", usageError(fs, name+" is required"), false
	case name == "" && arg != "":
		return "", usageError(fs, fmt.Sprintf("unexpected argument %q: %s takes flags only", arg, fs.Name())), false
	}
	if check != nil {
		if problem := check(); problem != "" {
			return "", usageError(fs, problem), false
		}
	}
	return arg, 0, true
}

// subFlags is a tenants subcommand's flag set with the shared flags bound.
func subFlags(name, usage string, o *apiOptions, stderr io.Writer) *flag.FlagSet {
	return apiSubFlags("tenants", name, usage, o, stderr)
}

// fail prints err for tenants subcommand sub and returns exit status 1.
func fail(stderr io.Writer, sub string, err error) int {
	return commandFail(stderr, "tenants "+sub, err)
}

// printEntries writes entries as a table or a JSON array (one object
// for single).
func printEntries(w io.Writer, format outputFormat, entries []router.Tenant, single bool) error {
	if format == "json" {
		if single && len(entries) == 1 {
			return writeJSON(w, entries[0])
		}
		if entries == nil {
			entries = []router.Tenant{}
		}
		return writeJSON(w, entries)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tCELL\tFAILOVER\tSTATE\tRESIDENCY\tEPOCH")
	for _, t := range entries {
		fo := strings.Join(t.Failover, ",")
		if fo == "" {
			fo = "-"
		}
		res := t.Residency
		if res == "" {
			res = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", t.ID, t.Cell, fo, t.EffectiveState(), res, t.Epoch)
	}
	return tw.Flush()
}

// defaultLocalControlKeyFile is where `cellfabric local` writes its
// control key when it keeps no data directory: in the user's cache
// directory, private to the user.
func defaultLocalControlKeyFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "cellfabric", "local", localControlKeyName)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
