package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"github.com/cellfabric/cellfabric/stacks"
)

// stackFlags are the flags that name a stack's config file, shared by the
// commands that read one (synth, observe, local): --stack NAME in --dir,
// or --config FILE.
type stackFlags struct {
	stack, dir, config string
}

// bind binds the flags to s; defaultStack is --stack's default ("" for
// none).
func (s *stackFlags) bind(fs *flag.FlagSet, defaultStack string) {
	fs.StringVar(&s.stack, "stack", defaultStack, "stack `NAME`: reads Pulumi.NAME.yaml in --dir")
	fs.StringVar(&s.dir, "dir", ".", "project `DIR` holding Pulumi.yaml and the stack files")
	fs.StringVar(&s.config, "config", "", "stack config `FILE` to read instead of --stack")
}

// exactlyOne is a parseFlags check for a command whose --stack has no
// default: one of --stack and --config, not both.
func (s *stackFlags) exactlyOne() string {
	if (s.stack == "") == (s.config == "") {
		return "give exactly one of --stack NAME or --config FILE"
	}
	return ""
}

// path is the stack file the flags name: --config, else Pulumi.<stack>.yaml
// in --dir.
func (s *stackFlags) path() string {
	if s.config != "" {
		return s.config
	}
	return filepath.Join(s.dir, "Pulumi."+s.stack+".yaml")
}

// topology reads and validates the stack file the flags name; it returns
// the file's path with it.
func (s *stackFlags) topology() (*stacks.Topology, string, error) {
	path := s.path()
	topo, err := stacks.LoadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("reading the topology from %s: %w", path, err)
	}
	return topo, path, nil
}
