package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register("version", command{
		summary: "print the version, the commit it was built from and the Go version",
		flags:   func() *flag.FlagSet { return newVersionFlags() },
		run:     runVersion,
	})
}

func newVersionFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric version   (or cellfabric --version)\n\nPrints the module version, the commit it was built from (with \"modified\" when\nthe checkout had uncommitted changes) and the Go version.")
		fs.PrintDefaults()
	}
	return fs
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newVersionFlags()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, nil); !ok {
		return code
	}
	info, _ := debug.ReadBuildInfo() // nil without build information
	writeVersion(stdout, info)
	return 0
}

// writeVersion prints what info says about this build. info is nil when
// the binary carries no build information.
//
// `go build` in a git checkout stamps the version (a pseudo-version from the
// commit, +dirty with local changes) and the commit; `go run`, `go test` and
// -buildvcs=false stamp neither, and the version reads "(devel)".
func writeVersion(w io.Writer, info *debug.BuildInfo) {
	version, module, goVersion := "(devel)", "", runtime.Version()
	var revision, modified, at string
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		module = info.Main.Path
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			case "vcs.time":
				at = s.Value
			}
		}
	}
	fmt.Fprintf(w, "cellfabric %s\n", version)
	if module != "" {
		fmt.Fprintf(w, "  module  %s\n", module)
	}
	switch {
	case revision == "":
		fmt.Fprintln(w, "  commit  unknown (not stamped: built by go run or go test, with -buildvcs=false, or outside a git checkout)")
	case modified == "true":
		fmt.Fprintf(w, "  commit  %s (modified: built with uncommitted changes)\n", revision)
	default:
		fmt.Fprintf(w, "  commit  %s\n", revision)
	}
	if at != "" {
		fmt.Fprintf(w, "  time    %s\n", at)
	}
	fmt.Fprintf(w, "  go      %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}
