package workerd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
)

// TestBindingProtocol runs the real workerd binding against KV: list pages
// with prefix, cursor and limit, and put with an expiration TTL, as a
// Worker calls them (the control Worker's directory binding).
func TestBindingProtocol(t *testing.T) {
	t.Parallel()
	reg, dir := newTestKV(t), newTestKV(t)
	// A Worker that answers everything itself: the edge's wasm is not
	// needed to exercise the binding.
	b := bundle.Bundle{
		Script: `addEventListener("fetch", (e) => e.respondWith(new Response("idle\n")));`,
		Wasm:   []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt, err := Start(ctx, Options{Bundle: b, KV: reg, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	for i := range 5 {
		dir.Set(fmt.Sprintf("t/tenant-%d", i), []byte("{}"))
	}
	dir.Set("j/0000000001/x", []byte("{}"))

	call := func(method, path string, q url.Values, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, rt.control+path+"?"+q.Encode(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp.StatusCode, m
	}
	var names []string
	cursor := ""
	for page := 0; ; page++ {
		q := url.Values{"prefix": {"t/"}, "limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, m := call("GET", "/directory/list", q, "")
		if status != 200 {
			t.Fatalf("list: %d %v", status, m)
		}
		for _, k := range m["keys"].([]any) {
			names = append(names, k.(map[string]any)["name"].(string))
		}
		if m["list_complete"] == true {
			if page != 2 {
				t.Fatalf("complete after %d pages, want 3", page+1)
			}
			break
		}
		cursor, _ = m["cursor"].(string)
		if cursor == "" {
			t.Fatalf("incomplete page without a cursor: %v", m)
		}
	}
	if strings.Join(names, ",") != "t/tenant-0,t/tenant-1,t/tenant-2,t/tenant-3,t/tenant-4" {
		t.Fatalf("listed %v", names)
	}
	if status, m := call("GET", "/directory/list", url.Values{"limit": {"1001"}}, ""); status != 500 || !strings.Contains(fmt.Sprint(m["error"]), "400") {
		t.Errorf("a limit over 1000: %d %v, want the binding to throw on KV's 400", status, m)
	}

	if status, m := call("PUT", "/directory/put", url.Values{"key": {"j/0000000002/y"}, "ttl": {"86400"}}, `{"id":"y"}`); status != 200 {
		t.Fatalf("put: %d %v", status, m)
	}
	if v, ok := dir.Get("j/0000000002/y"); !ok || string(v) != `{"id":"y"}` {
		t.Fatalf("put stored %q %v", v, ok)
	}
	if exp := dir.Expiration("j/0000000002/y"); time.Until(exp) < 23*time.Hour {
		t.Fatalf("put with a day's TTL expires at %v", exp)
	}
	if status, _ := call("PUT", "/directory/put", url.Values{"key": {"k"}, "ttl": {"10"}}, "v"); status != 500 {
		t.Errorf("a TTL under 60 s: %d, want the binding to throw", status)
	}
	status, m := call("GET", "/directory/list", url.Values{"prefix": {"j/"}}, "")
	keys, _ := m["keys"].([]any)
	if status != 200 || len(keys) != 2 || keys[1].(map[string]any)["expiration"] == nil {
		t.Fatalf("list of j/: %d %v, want two keys, the second with its expiration", status, m)
	}
}
