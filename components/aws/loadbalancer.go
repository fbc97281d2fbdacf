package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// Load balancer settings.
const (
	// sslPolicy allows TLS 1.2 and 1.3 only, with forward-secret ciphers.
	sslPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// deregistrationDelay is how long a draining task keeps its
	// connections (seconds); short, since requests are short.
	deregistrationDelay = 30
	healthInterval      = 15
	healthTimeout       = 5
	healthyThreshold    = 2
	unhealthyThreshold  = 3
)

// loadBalancer builds the internet-facing ALB in the public subnets, the
// target group of Fargate task IPs with the health check, the HTTPS
// listener (there is no HTTP listener: nothing but the edge talks to the
// cell, and it talks HTTPS) and the origin DNS record.
func (b *builder) loadBalancer() error {
	var subnets pulumi.StringArray
	for _, s := range b.public {
		subnets = append(subnets, s.ID())
	}
	var err error
	b.alb, err = lb.NewLoadBalancer(b.ctx, b.name+"-alb", &lb.LoadBalancerArgs{
		Name:             pulumi.String(b.names.LoadBalancer),
		LoadBalancerType: pulumi.String("application"),
		Internal:         pulumi.Bool(false),
		IpAddressType:    pulumi.String("ipv4"),
		Subnets:          subnets,
		SecurityGroups:   pulumi.StringArray{b.albSG.ID()},
		// Malformed headers never reach the workload.
		DropInvalidHeaderFields: pulumi.Bool(true),
		// Stateless and rebuilt from code: a destroy may remove it.
		EnableDeletionProtection: pulumi.Bool(false),
		Tags:                     b.tagged("alb"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.tg, err = lb.NewTargetGroup(b.ctx, b.name+"-tg", &lb.TargetGroupArgs{
		Name:                pulumi.String(b.names.TargetGroup),
		TargetType:          pulumi.String("ip"), // Fargate tasks have awsvpc ENIs, not instances
		Protocol:            pulumi.String("HTTP"),
		Port:                pulumi.Int(b.args.Port),
		VpcId:               b.vpc.ID(),
		DeregistrationDelay: pulumi.Int(deregistrationDelay),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Path:               pulumi.String(b.args.HealthPath),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(healthInterval),
			Timeout:            pulumi.Int(healthTimeout),
			HealthyThreshold:   pulumi.Int(healthyThreshold),
			UnhealthyThreshold: pulumi.Int(unhealthyThreshold),
		},
		Tags: b.tagged("tg"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.listener, err = lb.NewListener(b.ctx, b.name+"-https", &lb.ListenerArgs{
		LoadBalancerArn: b.alb.Arn,
		Port:            pulumi.Int(httpsPort),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(sslPolicy),
		// The validation's ARN, not the certificate's: the listener waits
		// for issuance.
		CertificateArn: b.validation.CertificateArn,
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type:           pulumi.String("forward"),
			TargetGroupArn: b.tg.Arn,
		}},
		Tags: b.tagged("https"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	rec := cell.DNSRecord{
		Name:    pulumi.String(b.args.Hostname),
		Type:    "CNAME",
		Value:   b.alb.DnsName,
		Purpose: purposeOrigin,
	}
	b.dnsRecords = append(b.dnsRecords, rec)
	if b.args.DNS != nil {
		b.origin, err = b.args.DNS(b.ctx, b.name+"-dns-"+purposeOrigin, rec, pulumi.Parent(b.comp))
	}
	return err
}
