package router

import (
	"os"
	"strings"
	"testing"
)

// TestValidateEndpointHosts: endpoints and health URLs whose host is an IP
// literal the router must never probe or forward to (link-local, where the
// cloud metadata service lives; unspecified; multicast; broadcast; a
// well-known metadata address) or a numeric host that is not a plain dotted
// quad (clients read those as IPv4 addresses in ways that differ) are
// refused. Loopback, private addresses and DNS names are kept.
func TestValidateEndpointHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		want string // "" when the URL is fine; else a fragment of the message
	}{
		// Kept.
		{name: "dns name", url: "https://cell.example.com"},
		{name: "dns name with trailing dot", url: "https://cell.example.com."},
		{name: "dns name with digits", url: "https://cell1.eu-1.example.com:8443"},
		{name: "loopback (local mode)", url: "http://127.0.0.1:8081"},
		{name: "loopback ipv6", url: "http://[::1]:8081"},
		{name: "localhost", url: "http://localhost:8081"},
		{name: "private 10/8", url: "http://10.1.2.3:8080"},
		{name: "private 172.16/12", url: "http://172.16.0.10"},
		{name: "private 192.168/16", url: "http://192.168.1.1"},
		{name: "unique local ipv6", url: "http://[fd12:3456::1]:8080"},
		{name: "public ipv4", url: "https://203.0.113.7"},
		{name: "public ipv6", url: "https://[2001:db8::7]:443"},
		{name: "dns name that looks like 169.254", url: "https://169-254-169-254.example.com"},
		// Refused: addresses.
		{name: "metadata ipv4", url: "http://169.254.169.254", want: "169.254.169.254 is a link-local address"},
		{name: "link-local ipv4 with port", url: "http://169.254.10.1:8080", want: "link-local"},
		{name: "link-local ipv6", url: "http://[fe80::1]", want: "fe80::1 is a link-local address"},
		{name: "link-local ipv6 with zone", url: "http://[fe80::1%25eth0]:80", want: "zone"},
		{name: "ipv4-mapped metadata", url: "http://[::ffff:169.254.169.254]", want: "169.254.169.254 (written as the IPv4-mapped ::ffff:169.254.169.254) is a link-local address"},
		{name: "ipv4-mapped metadata in hex", url: "http://[::ffff:a9fe:a9fe]/", want: "link-local"},
		{name: "unspecified ipv4", url: "http://0.0.0.0:8080", want: "0.0.0.0 is the unspecified address"},
		{name: "this-network ipv4", url: "http://0.1.2.3", want: "0.0.0.0/8"},
		{name: "unspecified ipv6", url: "http://[::]:8080", want: ":: is the unspecified address"},
		{name: "multicast ipv4", url: "http://239.1.2.3", want: "multicast"},
		{name: "multicast ipv6", url: "http://[ff02::1]", want: "multicast"},
		{name: "broadcast", url: "http://255.255.255.255", want: "broadcast"},
		{name: "aws metadata ipv6", url: "http://[fd00:ec2::254]", want: "cloud metadata"},
		{name: "azure wire server", url: "http://168.63.129.16", want: "cloud metadata"},
		// Refused: numeric hosts that are not a canonical dotted quad.
		{name: "decimal ipv4", url: "http://2852039166/", want: "ambiguous numeric host"},
		{name: "octal ipv4", url: "http://0251.0376.0251.0376", want: "ambiguous numeric host"},
		{name: "hex ipv4", url: "http://0xa9.0xfe.0xa9.0xfe", want: "ambiguous numeric host"},
		{name: "hex ipv4 in one part", url: "http://0xA9FEA9FE", want: "ambiguous numeric host"},
		{name: "two-part ipv4", url: "http://169.16689662", want: "ambiguous numeric host"},
		{name: "leading zero", url: "http://010.0.0.1", want: "ambiguous numeric host"},
		{name: "trailing dot", url: "http://169.254.169.254.", want: "ambiguous numeric host"},
		{name: "trailing dot on loopback", url: "http://127.0.0.1.:8081", want: "ambiguous numeric host"},
		{name: "name ending in a number", url: "http://cell.example.123", want: "ambiguous numeric host"},
		{name: "percent-encoded digits", url: "http://%31%36%39.254.169.254", want: "is not a URL"},
		{name: "non-ascii host", url: "http://１６９.２５４.１６９.２５４", want: "non-ASCII"},
		{name: "percent-encoded non-ascii host", url: "http://%EF%BC%91%EF%BC%96%EF%BC%99.254.169.254", want: "non-ASCII"},
		{name: "internationalised name", url: "https://zürich.example.com", want: "xn--"},
		{name: "punycode name", url: "https://xn--zrich-kva.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, field := range []string{"endpoint", "healthUrl"} {
				r := testRegistry()
				at := "cells[0]." + field + ": "
				if field == "endpoint" {
					r.Cells[0].Endpoint = tt.url
				} else {
					r.Cells[0].HealthURL = strings.TrimSuffix(tt.url, "/") + "/healthz"
				}
				err := r.Validate()
				if tt.want == "" {
					if err != nil {
						t.Errorf("%s %q refused: %v", field, tt.url, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), at) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s %q: err = %v, want %q with %q", field, tt.url, err, at, tt.want)
				}
			}
		})
	}
}

// TestFromStackOutputsRefusesMetadataEndpoint: `cellfabric registry --from`
// refuses a cell endpoint at the metadata address, naming the path in the
// outputs document.
func TestFromStackOutputsRefusesMetadataEndpoint(t *testing.T) {
	t.Parallel()
	dev, err := os.ReadFile("testdata/outputs-dev.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{name: "endpoint", old: `"endpoint": "https://gcp-euw1.cells.cellfabric.example.com"`, new: `"endpoint": "http://169.254.169.254"`, want: `cells.gcp-euw1.endpoint: "http://169.254.169.254": 169.254.169.254 is a link-local address`},
		{name: "health url", old: `"healthUrl": "https://gcp-euw1.cells.cellfabric.example.com/healthz"`, new: `"healthUrl": "http://[::ffff:169.254.169.254]/latest/meta-data"`, want: `cells.gcp-euw1.healthUrl: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(string(dev), tt.old, tt.new, 1)
			if doc == string(dev) {
				t.Fatalf("%q not in the dev outputs", tt.old)
			}
			out, err := ParseStackOutputs([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = FromStackOutputs(out, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
