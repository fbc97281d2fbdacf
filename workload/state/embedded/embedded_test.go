package embedded

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	shared := New()
	statetest.Run(t, statetest.Harness{
		Open: func(*testing.T) state.Backend { return shared },
	})
}
