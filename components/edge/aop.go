package edge

import (
	"fmt"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AOPCertificateType is the form of Authenticated Origin Pulls the zone's
// own certificate is uploaded for.
const AOPCertificateType = "per-zone"

// buildOriginPulls turns on Authenticated Origin Pulls for the zone: with the
// zone's own certificate when one is given (uploaded first, then enabled
// with its id), otherwise with Cloudflare's shared origin-pull certificate.
// It applies only with SSL mode Full or Full (strict), and protects only
// origins that require the client certificate.
func (b *builder) buildOriginPulls() error {
	a := b.args
	args := &cloudflare.AuthenticatedOriginPullsArgs{
		ZoneId:  pulumi.String(a.ZoneID),
		Enabled: pulumi.Bool(true),
	}
	if a.OriginPullCertificate != nil {
		cert, err := cloudflare.NewAuthenticatedOriginPullsCertificate(b.ctx, b.name+"-aop-cert", &cloudflare.AuthenticatedOriginPullsCertificateArgs{
			ZoneId:      pulumi.String(a.ZoneID),
			Type:        pulumi.String(AOPCertificateType),
			Certificate: a.OriginPullCertificate,
			PrivateKey:  pulumi.ToSecret(a.OriginPullPrivateKey).(pulumi.StringOutput),
		}, b.opts()...)
		if err != nil {
			return fmt.Errorf("origin-pull certificate: %w", err)
		}
		args.AuthenticatedOriginPullsCertificate = cert.ID().ToStringOutput()
	}
	if _, err := cloudflare.NewAuthenticatedOriginPulls(b.ctx, b.name+"-aop", args, b.opts()...); err != nil {
		return fmt.Errorf("authenticated origin pulls: %w", err)
	}
	return nil
}
