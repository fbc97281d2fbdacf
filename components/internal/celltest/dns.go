package celltest

import (
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// DNSRecordType is the type token of the record DNS.Func registers.
const DNSRecordType = "test:dns:Record"

// DNS is a cell.DNSRecordFunc that records its calls. Each call registers
// a custom resource of DNSRecordType (as the infra program's Cloudflare
// record is one) with the options the cell passed.
type DNS struct {
	mu    sync.Mutex
	calls []DNSCall
}

// DNSCall is one call of DNS.Func.
type DNSCall struct {
	// Name is the logical name the cell asked for.
	Name string
	// Record is the record the cell asked for.
	Record cell.DNSRecord
	// URN is the registered record's URN.
	URN pulumi.URNOutput
}

// dnsRecord stands in for the infra program's DNS record.
type dnsRecord struct{ pulumi.CustomResourceState }

// Func is the cell.DNSRecordFunc to give a cell.
func (d *DNS) Func(ctx *pulumi.Context, name string, rec cell.DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	r := &dnsRecord{}
	props := pulumi.Map{"name": rec.Name, "type": pulumi.String(rec.Type), "content": rec.Value}
	if err := ctx.RegisterResource(DNSRecordType, name, props, r, opts...); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.calls = append(d.calls, DNSCall{Name: name, Record: rec, URN: r.URN()})
	d.mu.Unlock()
	return r, nil
}

// Calls returns the calls so far, in the order they were made.
func (d *DNS) Calls() []DNSCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}
