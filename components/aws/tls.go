package aws

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// DNS record purposes.
const (
	purposeValidation = "acm-validation"
	purposeOrigin     = "origin"
)

// certificate requests an ACM certificate for the cell's hostname, validated
// by DNS, and waits for it to be issued. With args.DNS the cell creates the
// validation record itself and the wait depends on it; without, the record
// is only exported (DNSRecords) and the wait lasts until someone creates it
// (the provider gives up after 75 minutes). The HTTPS listener uses the
// validated certificate, so it is never attached before it is issued.
func (b *builder) certificate() error {
	var err error
	b.cert, err = acm.NewCertificate(b.ctx, b.name+"-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(b.args.Hostname),
		ValidationMethod: pulumi.String("DNS"),
		Tags:             b.tagged("cert"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	// One domain, so one validation record.
	dvo := b.cert.DomainValidationOptions.Index(pulumi.Int(0))
	rec := cell.DNSRecord{
		Name:    trimDot(dvo.ResourceRecordName()),
		Type:    "CNAME",
		Value:   trimDot(dvo.ResourceRecordValue()),
		Purpose: purposeValidation,
	}
	b.dnsRecords = append(b.dnsRecords, rec)

	args := &acm.CertificateValidationArgs{CertificateArn: b.cert.Arn}
	var opts []pulumi.ResourceOption
	if b.args.DNS != nil {
		r, err := b.args.DNS(b.ctx, b.name+"-dns-"+purposeValidation, rec, pulumi.Parent(b.comp))
		if err != nil {
			return err
		}
		args.ValidationRecordFqdns = pulumi.StringArray{rec.Name}
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{r}))
	}
	b.validation, err = acm.NewCertificateValidation(b.ctx, b.name+"-cert", args, b.opts(opts...)...)
	return err
}

// trimDot drops the trailing dot ACM puts on record names and values; DNS
// providers such as Cloudflare take names without it.
func trimDot(s pulumi.StringPtrOutput) pulumi.StringOutput {
	return s.ApplyT(func(v *string) string {
		if v == nil {
			return ""
		}
		return strings.TrimSuffix(*v, ".")
	}).(pulumi.StringOutput)
}
