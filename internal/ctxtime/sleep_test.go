package ctxtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cancel bool
		want   error
	}{
		{name: "zero wait returns nil", want: nil},
		{name: "cancelled context returns its error", cancel: true, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d := 0 * time.Second
			if tt.cancel {
				cancel()
				d = time.Hour
			}
			if err := Sleep(ctx, d); !errors.Is(err, tt.want) {
				t.Fatalf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}
