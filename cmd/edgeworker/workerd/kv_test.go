package workerd

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
		{"no key", "GET", "", "", 400, ""},
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

func TestBinaryOverride(t *testing.T) {
	t.Setenv(BinaryEnv, "/opt/workerd")
	if got, err := Binary(); err != nil || got != "/opt/workerd" {
		t.Fatalf("Binary() = %q, %v", got, err)
	}
}
