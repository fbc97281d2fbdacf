package workerd

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKV(t *testing.T) {
	t.Parallel()
	kv, err := NewKV()
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	do := func(method, key, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+kv.Addr()+"/"+key+"?urlencoded=true", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	steps := []struct {
		name, method, key, body string
		status                  int
		want                    string
	}{
		{"missing", "GET", "registry", "", 404, ""},
		{"put", "PUT", "registry", `{"v":1}`, 200, ""},
		{"get", "GET", "registry", "", 200, `{"v":1}`},
		{"escaped key", "PUT", "a%2Fb%20c", "x", 200, ""},
		{"escaped key read", "GET", "a%2Fb%20c", "", 200, "x"},
		{"delete", "DELETE", "registry", "", 200, ""},
		{"deleted", "GET", "registry", "", 404, ""},
		{"no key, not a list", "PUT", "", "", 400, ""},
		{"method", "PATCH", "registry", "", 405, ""},
	}
	for _, s := range steps {
		status, body := do(s.method, s.key, s.body)
		if status != s.status || (s.want != "" && body != s.want) {
			t.Errorf("%s: %d %q, want %d %q", s.name, status, body, s.status, s.want)
		}
	}
	if v, ok := kv.Get("a/b c"); !ok || string(v) != "x" {
		t.Errorf("Get(decoded key) = %q, %v", v, ok)
	}
	if kv.Reads("registry") != 3 || kv.Writes("registry") != 1 || kv.LastRead("registry").IsZero() {
		t.Errorf("reads %d writes %d", kv.Reads("registry"), kv.Writes("registry"))
	}
	kv.Set("registry", []byte("y"))
	kv.Fail("registry", 503)
	if status, _ := do("GET", "registry", ""); status != 503 {
		t.Errorf("failing key answered %d", status)
	}
	kv.Fail("registry", 0)
	if status, body := do("GET", "registry", ""); status != 200 || body != "y" {
		t.Errorf("after the outage: %d %q", status, body)
	}
}

// kvDo sends one request of the binding's protocol to kv.
func kvDo(t *testing.T, kv *KV, method, target, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+kv.Addr()+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func newTestKV(t *testing.T) *KV {
	t.Helper()
	kv, err := NewKV()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kv.Close() })
	return kv
}

// listAll lists every key with prefix, page by page of limit.
func listAll(t *testing.T, kv *KV, prefix string, limit int) (names []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		q := url.Values{"prefix": {prefix}, "key_count_limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, body := kvDo(t, kv, "GET", "/?"+q.Encode(), "")
		if status != 200 {
			t.Fatalf("list: %d %s", status, body)
		}
		var ans listAnswer
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range ans.Keys {
			names = append(names, k.Name)
		}
		if ans.ListComplete {
			if ans.Cursor != "" {
				t.Fatalf("complete list with a cursor: %s", body)
			}
			return names, pages
		}
		if ans.Cursor == "" || len(ans.Keys) != limit {
			t.Fatalf("incomplete page without a cursor or short: %s", body)
		}
		cursor = ans.Cursor
	}
}

func TestKVList(t *testing.T) {
	t.Parallel()
	kv := newTestKV(t)
	for _, k := range []string{"t/b", "t/a", "j/1", "t/c", "u/x", "t/d"} {
		kv.Set(k, []byte("v"))
	}
	names, pages := listAll(t, kv, "t/", 2)
	if strings.Join(names, ",") != "t/a,t/b,t/c,t/d" || pages != 2 {
		t.Fatalf("list t/ by 2: %v in %d pages", names, pages)
	}
	// Written and deleted between pages: the list goes on in key order.
	kv.Set("t/bb", []byte("v"))
	kv.Delete("t/c")
	names, _ = listAll(t, kv, "t/", 1)
	if strings.Join(names, ",") != "t/a,t/b,t/bb,t/d" {
		t.Fatalf("after changes: %v", names)
	}
	if names, _ := listAll(t, kv, "", 1000); len(names) != 6 {
		t.Fatalf("everything: %v", names)
	}
	if names, _ := listAll(t, kv, "zz/", 10); len(names) != 0 {
		t.Fatalf("no match: %v", names)
	}
	status, body := kvDo(t, kv, "GET", "/", "")
	if status != 200 || !strings.Contains(body, `"list_complete":true`) || !strings.Contains(body, `"name":"j/1"`) {
		t.Fatalf("list without parameters: %d %s", status, body)
	}
	for _, bad := range []string{"/?key_count_limit=1001", "/?key_count_limit=0", "/?key_count_limit=x", "/?cursor=!!!", "/?prefix=t/&cursor=" + base64.RawURLEncoding.EncodeToString([]byte("u/x"))} {
		if status, _ := kvDo(t, kv, "GET", bad, ""); status != 400 {
			t.Errorf("GET %s: %d, want 400", bad, status)
		}
	}
}

func TestKVExpiration(t *testing.T) {
	t.Parallel()
	kv := newTestKV(t)
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	kv.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	if status, body := kvDo(t, kv, "PUT", "/j%2F1?urlencoded=true&expiration_ttl=86400", "rec"); status != 200 {
		t.Fatalf("put with ttl: %d %s", status, body)
	}
	if status, _ := kvDo(t, kv, "PUT", "/j%2F2?urlencoded=true&expiration=1800000100", "rec"); status != 200 {
		t.Fatalf("put with expiration: %d", status)
	}
	if got := kv.Expiration("j/1"); !got.Equal(now.Add(24 * time.Hour)) {
		t.Fatalf("expiration %v", got)
	}
	_, body := kvDo(t, kv, "GET", "/?prefix=j/", "")
	if !strings.Contains(body, `{"name":"j/1","expiration":1800086400}`) {
		t.Fatalf("list does not show the expiration: %s", body)
	}
	for _, bad := range []string{"expiration_ttl=59", "expiration_ttl=x", "expiration=1800000059"} {
		if status, body := kvDo(t, kv, "PUT", "/k?urlencoded=true&"+bad, "v"); status != 400 || !strings.Contains(body, "Invalid expiration") {
			t.Errorf("put with %s: %d %s, want 400", bad, status, body)
		}
	}
	advance(100 * time.Second)
	if status, _ := kvDo(t, kv, "GET", "/j%2F2", ""); status != 404 {
		t.Fatalf("expired key read: %d", status)
	}
	if names, _ := listAll(t, kv, "j/", 10); strings.Join(names, ",") != "j/1" {
		t.Fatalf("list after j/2 expired: %v", names)
	}
	advance(24 * time.Hour)
	if _, ok := kv.Get("j/1"); ok {
		t.Fatal("j/1 did not expire")
	}
}

func TestKVFailAllAndHold(t *testing.T) {
	t.Parallel()
	kv := newTestKV(t)
	kv.Set("t/a", []byte("1"))
	kv.FailAll(503)
	for _, target := range []string{"/t%2Fa", "/?prefix=t/"} {
		if status, _ := kvDo(t, kv, "GET", target, ""); status != 503 {
			t.Errorf("GET %s during the outage: %d", target, status)
		}
	}
	kv.FailAll(0)
	release := kv.Hold("t/a")
	done := make(chan string, 2)
	for range 2 {
		go func() { _, body := kvDo(t, kv, "GET", "/t%2Fa", ""); done <- body }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for kv.Held("t/a") != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d reads held, want 2", kv.Held("t/a"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("a held read answered")
	default:
	}
	release()
	for range 2 {
		if body := <-done; body != "1" {
			t.Fatalf("released read: %q", body)
		}
	}
	if kv.Held("t/a") != 0 || kv.Reads("t/a") != 3 { // one during the outage
		t.Fatalf("held %d reads %d", kv.Held("t/a"), kv.Reads("t/a"))
	}
}

// TestKVMillionKeys: a million tenant entries go in at once and list in
// pages of a thousand, in order, quickly enough for the runtime tests.
func TestKVMillionKeys(t *testing.T) {
	t.Parallel()
	kv := newTestKV(t)
	const n = 1_000_000
	kv.SetMany(func(yield func(string, []byte) bool) {
		for i := range n {
			if !yield(fmt.Sprintf("t/tenant-%07d", i), []byte(`{}`)) {
				return
			}
		}
	})
	if kv.Len() != n {
		t.Fatalf("%d keys", kv.Len())
	}
	// The first list sorts; the next ones page through.
	first := kv.list("t/", "", MaxListLimit)
	if len(first.Keys) != MaxListLimit || first.Keys[0].Name != "t/tenant-0000000" || first.ListComplete {
		t.Fatalf("first page: %d keys from %q, complete %v", len(first.Keys), first.Keys[0].Name, first.ListComplete)
	}
	last := kv.list("t/", "t/tenant-0998999", MaxListLimit)
	if len(last.Keys) != MaxListLimit || last.Keys[999].Name != "t/tenant-0999999" || !last.ListComplete {
		t.Fatalf("last page: %d keys, complete %v", len(last.Keys), last.ListComplete)
	}
	if v, ok := kv.Get("t/tenant-0500000"); !ok || string(v) != "{}" {
		t.Fatal("a key of the million is missing")
	}
}

func TestBinaryOverride(t *testing.T) {
	t.Setenv(BinaryEnv, "/opt/workerd")
	if got, err := Binary(); err != nil || got != "/opt/workerd" {
		t.Fatalf("Binary() = %q, %v", got, err)
	}
}

// A put's metadata (CF-KV-Metadata) is kept and listed with its key, as
// Workers KV does, up to MaxMetadataBytes; the put of a value with
// metadata that is too large or not JSON is refused and stores nothing.
func TestKVMetadata(t *testing.T) {
	t.Parallel()
	kv, err := NewKV()
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	put := func(key, meta string) int {
		t.Helper()
		req, err := http.NewRequest("PUT", "http://"+kv.Addr()+"/"+url.PathEscape(key)+"?urlencoded=true", strings.NewReader("value"))
		if err != nil {
			t.Fatal(err)
		}
		if meta != "" {
			req.Header.Set(metadataHeader, meta)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, key, meta string
		status          int
		listed          string // the key's metadata in a list; "" none
	}{
		{name: "with metadata", key: "m/a", meta: `{"v":"x"}`, status: 200, listed: `{"v":"x"}`},
		{name: "without", key: "m/b", status: 200},
		{name: "largest", key: "m/c", meta: `"` + strings.Repeat("y", MaxMetadataBytes-2) + `"`, status: 200, listed: `"` + strings.Repeat("y", MaxMetadataBytes-2) + `"`},
		{name: "too large", key: "m/d", meta: `"` + strings.Repeat("y", MaxMetadataBytes-1) + `"`, status: 400},
		{name: "not JSON", key: "m/e", meta: `{v:`, status: 400},
	}
	for _, tt := range tests {
		if got := put(tt.key, tt.meta); got != tt.status {
			t.Fatalf("%s: put answered %d, want %d", tt.name, got, tt.status)
		}
	}
	ans := kv.list("m/", "", MaxListLimit)
	got := map[string]string{}
	for _, k := range ans.Keys {
		got[k.Name] = string(k.Metadata)
	}
	for _, tt := range tests {
		listed, ok := got[tt.key]
		if ok != (tt.status == 200) || listed != tt.listed {
			t.Errorf("%s: listed %v with metadata %q, want listed %v with %q", tt.name, ok, listed, tt.status == 200, tt.listed)
		}
	}
}
