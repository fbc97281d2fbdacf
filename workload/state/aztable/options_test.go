package aztable

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	key := &SharedKey{Account: devAccount, Key: devKey}
	valid := []struct {
		name string
		o    Options
	}{
		{"azure with the default credential", Options{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate"}},
		{"azure with a user-assigned identity", Options{ServiceURL: "https://acct.table.core.windows.net/", Table: "cellstate", ClientID: "0b1c2d3e-0000-4000-8000-000000000000"}},
		{"emulator on 127.0.0.1", Options{ServiceURL: "http://127.0.0.1:10002/devstoreaccount1", Table: "t01", SharedKey: key}},
		{"emulator on localhost", Options{ServiceURL: "http://localhost:10002/devstoreaccount1", Table: "t01", SharedKey: key}},
		{"emulator on ::1", Options{ServiceURL: "http://[::1]:10002/devstoreaccount1", Table: "t01", SharedKey: key}},
		{"shared key over https", Options{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate", SharedKey: key}},
		{"a timeout", Options{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate", Timeout: time.Second}},
	}
	for _, c := range valid {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := c.o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
	base := Options{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate"}
	invalid := []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"no service url", func(o *Options) { o.ServiceURL = "" }, "service_url: required"},
		{"service url not a url", func(o *Options) { o.ServiceURL = "https://a b\x7f" }, "service_url"},
		{"service url without a host", func(o *Options) { o.ServiceURL = "https:///x" }, "has no host"},
		{"plain http to a remote host", func(o *Options) { o.ServiceURL = "http://acct.table.core.windows.net"; o.SharedKey = key }, "only to a local emulator"},
		{"plain http without a shared key", func(o *Options) { o.ServiceURL = "http://127.0.0.1:10002/devstoreaccount1" }, "needs shared_key"},
		{"another scheme", func(o *Options) { o.ServiceURL = "ftp://acct.table.core.windows.net" }, `scheme "ftp"`},
		{"a sas token", func(o *Options) { o.ServiceURL = "https://acct.table.core.windows.net/?sv=x&sig=y" }, "query or fragment"},
		{"no table", func(o *Options) { o.Table = "" }, "table: required"},
		{"table too short", func(o *Options) { o.Table = "ab" }, "table:"},
		{"table starting with a digit", func(o *Options) { o.Table = "1table" }, "table:"},
		{"table with a dash", func(o *Options) { o.Table = "cell-state" }, "table:"},
		{"table too long", func(o *Options) { o.Table = "t" + strings.Repeat("a", 63) }, "table:"},
		{"reserved table name", func(o *Options) { o.Table = "Tables" }, "reserved"},
		{"client id and shared key", func(o *Options) { o.SharedKey = key; o.ClientID = "x" }, "client_id"},
		{"shared key without an account", func(o *Options) { o.SharedKey = &SharedKey{Key: devKey} }, "shared_key.account"},
		{"shared key without a key", func(o *Options) { o.SharedKey = &SharedKey{Account: devAccount} }, "shared_key.key: required"},
		{"shared key not base64", func(o *Options) { o.SharedKey = &SharedKey{Account: devAccount, Key: "not base64!"} }, "not base64"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "timeout"},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := base
			c.edit(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("Validate: %v, want an error about %q", err, c.field)
			}
			if _, err := Open(context.Background(), o); err == nil {
				t.Fatal("Open accepted options Validate refuses")
			}
		})
	}
}

func TestOptionsValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	err := Options{SharedKey: &SharedKey{}, Timeout: -1}.Validate()
	for _, field := range []string{"service_url", "table", "shared_key.account", "shared_key.key", "timeout"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Validate: %v, want a problem with %s", err, field)
		}
	}
}

// TestSharedKeyNeverPrinted: the account key does not show in any format
// of the options or in a log line.
func TestSharedKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	o := emulatorOptions("http://127.0.0.1:10002/devstoreaccount1", "t01")
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("opening", "options", o, "key", o.SharedKey.Key, "shared", o.SharedKey)
	slog.New(slog.NewTextHandler(&log, nil)).Info("opening", "options", o, "key", o.SharedKey.Key, "shared", *o.SharedKey)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", o),
		"%+v": fmt.Sprintf("%+v", o),
		"%#v": fmt.Sprintf("%#v", o),
		"%s":  fmt.Sprintf("%s %v %x", o.SharedKey.Key, o.SharedKey.Key, o.SharedKey.Key),
		"%q":  fmt.Sprintf("%q", o.SharedKey.Key),
		"key": fmt.Sprintf("%+v %#v", *o.SharedKey, *o.SharedKey),
		"log": log.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, devKey) || strings.Contains(out, devKey[:16]) {
			t.Errorf("%s shows the key: %s", how, out)
		}
	}
	if !strings.Contains(outputs["key"], "[redacted]") {
		t.Errorf("the shared key does not say its key is redacted: %s", outputs["key"])
	}
}

// TestOpenBuildsEveryCredential: Open sends no request, whatever the
// credential; a managed identity or the default chain is only used on the
// first call.
func TestOpenBuildsEveryCredential(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate", ClientID: "0b1c2d3e-0000-4000-8000-000000000000"},
		{ServiceURL: "https://acct.table.core.windows.net", Table: "cellstate"},
		emulatorOptions("http://127.0.0.1:1/devstoreaccount1", "t01"),
	} {
		b, err := Open(context.Background(), o)
		if err != nil {
			t.Fatalf("Open(%+v): %v", o, err)
		}
		if b.timeout != DefaultTimeout {
			t.Errorf("timeout %v, want the default %v", b.timeout, DefaultTimeout)
		}
		_ = b.Close()
	}
}

// TestClosedBackendRefuses: after Close every call fails with
// state.ErrClosed, without a request.
func TestClosedBackendRefuses(t *testing.T) {
	t.Parallel()
	b, err := Open(context.Background(), emulatorOptions("http://127.0.0.1:1/devstoreaccount1", "t01"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	for _, o := range everyOp(b, state.New(b), "tenant-a")[:9] { // the backend's own calls
		if err := o.fn(context.Background()); !errors.Is(err, state.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", o.name, err)
		}
	}
}
