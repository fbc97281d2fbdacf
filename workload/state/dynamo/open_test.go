package dynamo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/internal/proc"
	"github.com/cellfabric/cellfabric/workload/state"
)

// TestOpenWithTheDefaultCredentialChain: without Options.Credentials the
// SDK's default chain signs (here from the environment, as on ECS from the
// task role), and nothing else is taken from the environment: an endpoint
// and region set there are ignored for those in Options.
func TestOpenWithTheDefaultCredentialChain(t *testing.T) {
	table := newTable(t, shared.Endpoint(), nil)
	dead, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDFROMENVIRONMENT",
		"AWS_SECRET_ACCESS_KEY":       "secret-from-environment",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_REGION":                  "ap-south-2",
		"AWS_ENDPOINT_URL":            fmt.Sprintf("http://127.0.0.1:%d", dead),
		"AWS_ENDPOINT_URL_DYNAMODB":   fmt.Sprintf("http://127.0.0.1:%d", dead),
	} {
		t.Setenv(k, v)
	}
	o := testOptions(shared.Endpoint(), table)
	o.Credentials = nil
	b := openTest(t, o)
	if err := b.Ping(testContext(t)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if _, err := b.PutMeta(testContext(t), "env", state.Meta{Seq: 1}, state.NoVersion); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// TestOpenFailsFast: a bad option or an endpoint nothing answers on fails
// Open with an error saying so.
func TestOpenFailsFast(t *testing.T) {
	t.Parallel()
	dead, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		o    Options
		want string
		is   error
	}{
		{"invalid options", Options{Region: testRegion, Credentials: testCredentials}, "table: ", nil},
		{"nothing answers", testOptions(fmt.Sprintf("http://127.0.0.1:%d", dead), "cellfabric-state"), "could not be reached", state.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := Open(context.Background(), c.o)
			if err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("error %v, want one saying %q (is %v)", err, c.want, c.is)
			}
		})
	}
}
