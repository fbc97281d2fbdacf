package router

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestParse(t *testing.T) {
	t.Parallel()
	valid := string(mustJSON(t, testRegistry()))
	tests := []struct {
		name    string
		doc     string
		wantErr string
		check   func(t *testing.T, r *Registry)
	}{
		{name: "valid", doc: valid, check: func(t *testing.T, r *Registry) {
			if r.Epoch != 10 || len(r.Cells) != 4 || len(r.Tenants) != 4 || len(r.SharedRoutes) != 2 {
				t.Errorf("decoded %+v", r)
			}
		}},
		{name: "weight defaults when absent", doc: `{"version":1,"epoch":1,"cells":[{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a"}],"tenants":[]}`,
			check: func(t *testing.T, r *Registry) {
				if r.Cells[0].Weight != DefaultCellWeight {
					t.Errorf("weight = %d, want %d", r.Cells[0].Weight, DefaultCellWeight)
				}
				if r.Cells[0].EffectiveState() != fabric.CellActive || r.EffectivePolicy() != fabric.PolicyReject {
					t.Errorf("defaults not applied: %+v", r)
				}
			}},
		{name: "explicit zero weight kept", doc: `{"version":1,"epoch":1,"cells":[{"id":"aaa","cloud":"aws","region":"r","endpoint":"http://a","weight":0}],"tenants":[]}`,
			check: func(t *testing.T, r *Registry) {
				if r.Cells[0].Weight != 0 {
					t.Errorf("weight = %d, want 0", r.Cells[0].Weight)
				}
			}},
		{name: "empty", doc: ``, wantErr: "empty document"},
		{name: "truncated", doc: valid[:len(valid)/2], wantErr: "truncated document"},
		{name: "not json", doc: `version: 1`, wantErr: "invalid character"},
		{name: "trailing data", doc: valid + `{}`, wantErr: "trailing data"},
		{name: "unknown field", doc: strings.Replace(valid, `"epoch"`, `"epoc":1,"epoch"`, 1), wantErr: `unknown field "epoc"`},
		{name: "unknown cell field", doc: strings.Replace(valid, `"cloud"`, `"clod":"x","cloud"`, 1), wantErr: `unknown field "clod"`},
		{name: "wrong type", doc: strings.Replace(valid, `"epoch":10`, `"epoch":"10"`, 1), wantErr: "cannot unmarshal"},
		{name: "invalid", doc: strings.Replace(valid, `"cell":"aws-use1"`, `"cell":"x"`, 1), wantErr: `tenants[0].cell: unknown cell "x"`},
		{name: "null", doc: `null`, wantErr: "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Parse([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, r)
		})
	}
}

func TestParseRefusesHugeDocuments(t *testing.T) {
	t.Parallel()
	// Decode must refuse by size before looking at the content.
	huge := make([]byte, MaxRegistryBytes+1)
	if _, err := Decode(huge); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode(huge) = %v, want ErrTooLarge", err)
	}
	// Read stops at the limit without reading the rest.
	src := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte(" "), 10_000))}
	if _, err := Read(src, 1000); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1000 byte limit") {
		t.Fatalf("Read over limit = %v", err)
	}
	if src.n > 1001+512 {
		t.Errorf("read %d bytes, want to stop near the 1000 byte limit", src.n)
	}
	r, err := Read(strings.NewReader(string(mustJSON(t, testRegistry()))), 0)
	if err != nil || r.Epoch != 10 {
		t.Fatalf("Read valid = %v, %v", r, err)
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(p) > 512 {
		p = p[:512]
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := testRegistry()
	out, err := Parse(mustJSON(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustJSON(t, in), mustJSON(t, out)) {
		t.Errorf("round trip changed the document:\n%s\n%s", mustJSON(t, in), mustJSON(t, out))
	}
}
