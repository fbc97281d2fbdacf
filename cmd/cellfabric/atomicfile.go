package main

import (
	"os"

	"github.com/cellfabric/cellfabric/internal/atomicfile"
)

// writeFileAtomic writes data to path so that a reader (a router polling
// the registry, cellfabric tenants reading the control key, an import
// resuming from its checkpoint) never reads half of it: atomicfile.Write.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
