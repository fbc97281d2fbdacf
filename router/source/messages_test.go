package source

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestFailureLogsSayWhatIsServed: a failed read or a refused document
// says "keeping the last good registry" only when there is one; before the
// first load it says there is none, and what happens next.
func TestFailureLogsSayWhatIsServed(t *testing.T) {
	t.Parallel()
	const keeping = "keeping the last good registry"
	tests := []struct {
		name string
		// run drives a watcher on the file at path and returns when the
		// failure it is about has been logged.
		run      func(t *testing.T, w *Watcher, path string, logs *syncBuffer)
		want     []string
		wantNone []string
	}{
		{
			name: "first load, source missing",
			run: func(t *testing.T, w *Watcher, path string, _ *syncBuffer) {
				if err := w.Load(context.Background()); err == nil {
					t.Fatal("load of a missing file succeeded")
				}
			},
			want:     []string{"no registry loaded yet"},
			wantNone: []string{keeping},
		},
		{
			name: "first load, source missing, with a last-known-good copy",
			run: func(t *testing.T, _ *Watcher, path string, logs *syncBuffer) {
				lkg := filepath.Join(filepath.Dir(path), "lkg.json")
				w := NewWatcher(router.NewStore(nil), NewFile(path), Options{LastKnownGood: lkg, Logger: slog.New(slog.NewTextHandler(logs, nil))})
				if err := w.Load(context.Background()); err == nil {
					t.Fatal("load without source and copy succeeded")
				}
			},
			want:     []string{"no registry loaded yet", "last-known-good"},
			wantNone: []string{keeping},
		},
		{
			name: "first load, bad document",
			run: func(t *testing.T, w *Watcher, path string, _ *syncBuffer) {
				writeAtomic(t, path, []byte("{"))
				if err := w.Load(context.Background()); err == nil {
					t.Fatal("load of a bad document succeeded")
				}
			},
			want:     []string{"registry update refused", "no registry loaded yet"},
			wantNone: []string{keeping},
		},
		{
			name: "started without a registry",
			run: func(t *testing.T, w *Watcher, _ string, logs *syncBuffer) {
				pollUntilLogged(t, w, logs, "registry source unavailable")
			},
			want:     []string{"no registry loaded yet, retrying", "retry_in=10ms"},
			wantNone: []string{keeping},
		},
		{
			name: "source gone after a good load",
			run: func(t *testing.T, w *Watcher, path string, logs *syncBuffer) {
				writeAtomic(t, path, doc(t, 4, "cell-a"))
				if err := w.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				os.Remove(path)
				pollUntilLogged(t, w, logs, "registry source unavailable")
			},
			want:     []string{keeping, "epoch=4"},
			wantNone: []string{"no registry loaded yet"},
		},
		{
			name: "bad document after a good load",
			run: func(t *testing.T, w *Watcher, path string, logs *syncBuffer) {
				writeAtomic(t, path, doc(t, 4, "cell-a"))
				if err := w.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				writeAtomic(t, path, []byte("{"))
				pollUntilLogged(t, w, logs, "registry update refused")
			},
			want:     []string{"registry update refused; " + keeping},
			wantNone: []string{"no registry loaded yet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "registry.json")
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			w := NewWatcher(router.NewStore(logger), NewFile(path), Options{Interval: 10 * time.Millisecond, Logger: logger})
			tt.run(t, w, path, &logs)
			for _, s := range tt.want {
				if !strings.Contains(logs.String(), s) {
					t.Errorf("logs do not say %q:\n%s", s, logs.String())
				}
			}
			for _, s := range tt.wantNone {
				if strings.Contains(logs.String(), s) {
					t.Errorf("logs say %q:\n%s", s, logs.String())
				}
			}
		})
	}
}

// pollUntilLogged starts w and stops it once logs hold want.
func pollUntilLogged(t *testing.T, w *Watcher, logs *syncBuffer, want string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never logged %q: %s", want, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
