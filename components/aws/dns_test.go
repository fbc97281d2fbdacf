package aws

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

func TestDNSRecords(t *testing.T) {
	t.Parallel()
	for _, withDNS := range []bool{true, false} {
		name := "without DNS"
		if withDNS {
			name = "with DNS"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := deploy(t, baseArgs(), withDNS)
			cert := d.One(t, "aws:acm/certificate:Certificate")
			dvo := out(cert, "domainValidationOptions").([]any)[0].(map[string]any)
			albDNS := out(d.One(t, "aws:lb/loadBalancer:LoadBalancer"), "dnsName").(string)
			valName := strings.TrimSuffix(dvo["resourceRecordName"].(string), ".")
			valValue := strings.TrimSuffix(dvo["resourceRecordValue"].(string), ".")
			if valName == "" || strings.HasSuffix(valName, ".") || !strings.HasSuffix(valName, testHostname) {
				t.Fatalf("fake validation record name %q unusable", dvo["resourceRecordName"])
			}
			want := []map[string]string{
				{"name": valName, "type": "CNAME", "value": valValue, "purpose": "acm-validation"},
				{"name": testHostname, "type": "CNAME", "value": albDNS, "purpose": "origin"},
			}

			got := await(t, d.Cell.DNSRecords).Value
			if !reflect.DeepEqual(got, want) {
				t.Errorf("DNSRecords = %#v, want %#v", got, want)
			}

			validation := d.One(t, "aws:acm/certificateValidation:CertificateValidation")
			if str(validation, "certificateArn") != out(cert, "arn") {
				t.Errorf("validation of %v, want the cell's certificate", in(validation, "certificateArn"))
			}
			records := d.Rec.OfType("test:dns:Record")
			if !withDNS {
				if len(records) != 0 || strs(validation, "validationRecordFqdns") != nil {
					t.Errorf("without DNS: %d records, validation fqdns %v", len(records), in(validation, "validationRecordFqdns"))
				}
				return
			}

			if len(d.DNS.Calls()) != 2 {
				t.Fatalf("DNS called %d times, want 2", len(d.DNS.Calls()))
			}
			var calls []map[string]string
			for _, c := range d.DNS.Calls() {
				n, _ := await(t, c.Record.Name.ToStringOutput()).Value.(string)
				v, _ := await(t, c.Record.Value.ToStringOutput()).Value.(string)
				calls = append(calls, map[string]string{"name": n, "type": c.Record.Type, "value": v, "purpose": c.Record.Purpose})
				r := d.Named(t, "test:dns:Record", c.Name)
				if r.Parent != d.Comp.URN {
					t.Errorf("DNS record %s not parented to the cell", c.Name)
				}
			}
			if !reflect.DeepEqual(calls, want) {
				t.Errorf("DNS calls = %v, want %v", calls, want)
			}
			valRec := d.Named(t, "test:dns:Record", d.DNS.Calls()[0].Name)
			if !slices.Contains(validation.DependsOn, valRec.URN) {
				t.Errorf("certificate validation does not wait for the record %s: %v", valRec.URN, validation.DependsOn)
			}
			if got := strs(validation, "validationRecordFqdns"); !slices.Equal(got, []string{valName}) {
				t.Errorf("validation fqdns = %v, want [%s]", got, valName)
			}
			// The endpoint waits for the origin record.
			originURN := fmt.Sprint(await(t, d.DNS.Calls()[1].URN).Value)
			if originURN != d.Named(t, "test:dns:Record", d.DNS.Calls()[1].Name).URN {
				t.Errorf("origin record urn %v", originURN)
			}
		})
	}
}

// TestDNSErrorStopsTheCell checks an error from the DNS function reaches
// the caller.
func TestDNSErrorStopsTheCell(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	args.DNS = func(ctx *pulumi.Context, name string, _ cellDNSRecord, _ ...pulumi.ResourceOption) (pulumi.Resource, error) {
		return nil, errDNS
	}
	_, err := tryDeploy(args, false, "us-east-1")
	if err == nil || !strings.Contains(err.Error(), errDNS.Error()) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want the DNS error while building the certificate", err)
	}
}

type cellDNSRecord = cell.DNSRecord

var errDNS = errors.New("zone is read-only")
