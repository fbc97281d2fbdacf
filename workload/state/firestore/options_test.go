package firestore

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	good := Options{Project: "p-1", Database: "cell-a"}
	for _, tc := range []struct {
		name    string
		mutate  func(*Options)
		wantErr []string // substrings, one per expected problem
	}{
		{"minimal", func(*Options) {}, nil},
		{"with an emulator and a timeout", func(o *Options) { o.Endpoint = "127.0.0.1:8080"; o.Timeout = time.Second }, nil},
		{"the default database named", func(o *Options) { o.Database = "(default)" }, nil},
		{"no project", func(o *Options) { o.Project = "" }, []string{"project: required"}},
		{"project with a slash", func(o *Options) { o.Project = "a/b" }, []string{"project: \"a/b\""}},
		{"no database", func(o *Options) { o.Database = "" }, []string{"database: required"}},
		{"database too long", func(o *Options) { o.Database = strings.Repeat("d", 64) }, []string{"database: \"ddd"}},
		{"database with a slash", func(o *Options) { o.Database = "x/y" }, []string{"database: \"x/y\""}},
		{"endpoint as a URL", func(o *Options) { o.Endpoint = "http://127.0.0.1:8080" }, []string{"endpoint:"}},
		{"endpoint without a port", func(o *Options) { o.Endpoint = "localhost" }, []string{"endpoint:"}},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, []string{"timeout:"}},
		{"every problem at once", func(o *Options) { *o = Options{Endpoint: "x", Timeout: -1} }, []string{"project:", "database:", "endpoint:", "timeout:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.mutate(&o)
			err := o.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, oerr := Open(context.Background(), o); oerr == nil {
				t.Error("Open accepted options Validate refuses")
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	if got := (Options{}).withDefaults().Timeout; got != DefaultTimeout {
		t.Errorf("zero timeout becomes %v, want %v", got, DefaultTimeout)
	}
	if got := (Options{Timeout: time.Second}).withDefaults().Timeout; got != time.Second {
		t.Errorf("a set timeout becomes %v", got)
	}
}

// TestOpenRefusesEmulatorHostEnv: with FIRESTORE_EMULATOR_HOST set the SDK
// would ignore the options, so Open refuses instead of talking to another
// store than the one configured.
func TestOpenRefusesEmulatorHostEnv(t *testing.T) {
	t.Setenv(emulatorHostEnv, "127.0.0.1:1")
	_, err := Open(context.Background(), Options{Project: "p", Database: "d", Endpoint: "127.0.0.1:2"})
	if err == nil || !strings.Contains(err.Error(), emulatorHostEnv) {
		t.Fatalf("Open with %s set: %v, want a refusal naming it", emulatorHostEnv, err)
	}
}
