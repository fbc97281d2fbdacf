package dynamo

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	good := Options{Table: "cell-1-state", Region: "eu-west-1"}
	cases := []struct {
		name string
		edit func(*Options)
		want string // "" for valid
	}{
		{"minimal", func(*Options) {}, ""},
		{"with an emulator endpoint", func(o *Options) { o.Endpoint = "http://127.0.0.1:8000" }, ""},
		{"with an https endpoint", func(o *Options) { o.Endpoint = "https://dynamodb.eu-west-1.amazonaws.com" }, ""},
		{"with timeout and attempts", func(o *Options) { o.Timeout = time.Second; o.MaxAttempts = 1 }, ""},
		{"no table", func(o *Options) { o.Table = "" }, "table: "},
		{"table name too short", func(o *Options) { o.Table = "ab" }, "3 to 255"},
		{"table name too long", func(o *Options) { o.Table = strings.Repeat("t", 256) }, "3 to 255"},
		{"table name with a slash", func(o *Options) { o.Table = "a/b" }, `character '/'`},
		{"no region", func(o *Options) { o.Region = "" }, "region: empty"},
		{"endpoint without scheme", func(o *Options) { o.Endpoint = "127.0.0.1:8000" }, "endpoint: "},
		{"endpoint with another scheme", func(o *Options) { o.Endpoint = "ftp://127.0.0.1" }, "not an http(s) URL"},
		{"endpoint without host", func(o *Options) { o.Endpoint = "http://" }, "not an http(s) URL"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "timeout: -1s is negative"},
		{"negative attempts", func(o *Options) { o.MaxAttempts = -1 }, "max attempts: -1 is negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := good
			c.edit(&o)
			err := o.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid options refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// TestOptionsValidateReportsEveryProblem: one call names all of them.
func TestOptionsValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	err := Options{Endpoint: "nope", Timeout: -1, MaxAttempts: -1}.Validate()
	for _, field := range []string{"table:", "region:", "endpoint:", "timeout:", "max attempts:"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := Options{}.withDefaults()
	if o.Timeout != DefaultTimeout || o.MaxAttempts != DefaultMaxAttempts {
		t.Errorf("defaults: timeout %v attempts %d", o.Timeout, o.MaxAttempts)
	}
	o = Options{Timeout: time.Second, MaxAttempts: 1}.withDefaults()
	if o.Timeout != time.Second || o.MaxAttempts != 1 {
		t.Errorf("set values were replaced: timeout %v attempts %d", o.Timeout, o.MaxAttempts)
	}
}
