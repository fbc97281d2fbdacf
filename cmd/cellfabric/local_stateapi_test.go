package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// controlKeyOf reads the control key local wrote, from the file its banner
// names.
func (lr *localRun) controlKeyOf(t *testing.T) edgeauth.Key {
	t.Helper()
	m := regexp.MustCompile(`control key (\S+) `).FindStringSubmatch(lr.stdout.String())
	if m == nil {
		t.Fatalf("the banner names no control key file:\n%s", lr.stdout.String())
	}
	key, err := readControlKeyFile(m[1], "")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestLocalCellsServeTheStateAPI: every local cell serves the state admin
// API, signed with the control key local writes to its key file (the one
// its control API verifies); /local/cells names each cell's API. A tenant's
// writes through the router are read back through its cell's API; a call
// signed with the edge key (the router forwards it signed so) or another
// key is refused with 401.
func TestLocalCellsServeTheStateAPI(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lr := startLocal(t, "--stack", "dev")
	key := lr.controlKeyOf(t)
	if !regexp.MustCompile(`state API <cell endpoint>` + regexp.QuoteMeta(stateapi.BasePath)).MatchString(lr.stdout.String()) {
		t.Errorf("the banner does not say where the state API is:\n%s", lr.stdout.String())
	}
	cells := lr.cellStates(t)
	for id, c := range cells {
		if c.StateAPI != c.Endpoint+stateapi.BasePath || c.Store != "embedded" {
			t.Errorf("cell %s: stateAPI %q store %q, want %s and embedded", id, c.StateAPI, c.Store, c.Endpoint+stateapi.BasePath)
		}
	}
	for _, kv := range [][2]string{{"plan", "gold"}, {"seats", "12"}} {
		if code, _, body := lr.kv(t, "PUT", "acme", kv[0], kv[1]); code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", kv[0], code, body)
		}
	}

	client, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: cells["aws-use1"].Endpoint, Key: key, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := client.Meta(ctx, "acme")
	if err != nil || m.Position < 2 || m.Fence != 0 || m.Lock != nil {
		t.Fatalf("meta of acme on aws-use1: %+v, %v", m, err)
	}
	got := map[string]string{}
	pos, err := client.Export(ctx, "acme", func(r state.Record) error { got[r.Key] = string(r.Value); return nil })
	if err != nil || pos != m.Position || len(got) != 2 || got["plan"] != "gold" || got["seats"] != "12" {
		t.Fatalf("export of acme: %v at %d, %v; want plan=gold seats=12 at %d", got, pos, err, m.Position)
	}
	// acme's data is on its cell only.
	other, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: cells["gcp-usc1"].Endpoint, Key: key, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := other.Export(ctx, "acme", func(state.Record) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("acme on gcp-usc1: %d records, %v; want none", n, err)
	}

	// Signed with another key: 401.
	wrong, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: cells["aws-use1"].Endpoint, Key: edgeauth.Key{ID: key.ID, Secret: []byte("not-the-control-key-of-this-run")}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ae *stateapi.Error
	if _, err := wrong.Meta(ctx, "acme"); !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Errorf("meta signed with another key: %v, want 401", err)
	}
	// Through the router, signed with the edge key: 401, and no fence set.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, lr.proxy+stateapi.BasePath+"/acme/fence", strings.NewReader(`{"fence":9}`))
	req.Header.Set("X-Tenant-ID", "acme")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Cell-ID") != "aws-use1" {
		t.Errorf("edge-signed fence through the router: %d from %q %s, want 401 from aws-use1", resp.StatusCode, resp.Header.Get("X-Cell-ID"), body)
	}
	if m, err := client.Meta(ctx, "acme"); err != nil || m.Fence != 0 {
		t.Errorf("after the refused fence: %+v, %v", m, err)
	}
}

// TestLocalWithoutControlHasNoStateAPI: with --control "" there is no
// control key, and the cells' state APIs are off (404), not open.
func TestLocalWithoutControlHasNoStateAPI(t *testing.T) {
	t.Parallel()
	lr := startLocal(t, "--control", "")
	c := lr.cellStates(t)["aws-use1"]
	if c.StateAPI != "" {
		t.Errorf("stateAPI %q without a control API", c.StateAPI)
	}
	resp, err := http.Get(c.Endpoint + stateapi.BasePath + "/acme/meta")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("state API without a control key: %d, want 404", resp.StatusCode)
	}
}
