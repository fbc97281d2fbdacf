package router_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// The server logs through *slog.Logger.
var _ router.Logger = (*slog.Logger)(nil)

// TestStoreLogsThroughLogger: a refused update is logged through the
// Logger given to NewStore, a *slog.Logger here as in the server.
func TestStoreLogsThroughLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := router.NewStore(slog.New(slog.NewTextHandler(&buf, nil)))
	if err := s.Update([]byte(`{"epoch":`), "test"); err == nil {
		t.Fatal("a truncated registry was accepted")
	}
	if got := buf.String(); !strings.Contains(got, "registry update refused") || !strings.Contains(got, "source=test") {
		t.Errorf("log: %q", got)
	}
	router.NewStore(nil).Update([]byte(`{`), "nil logger") // must not panic
}
