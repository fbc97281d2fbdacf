package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// Load balancer settings the cell relies on (the tests check them).
const (
	lbScheme   = "EXTERNAL_MANAGED" // the global external Application Load Balancer
	httpsPort  = "443"
	minTLS     = "TLS_1_2"
	tlsProfile = "MODERN"
)

// loadBalancer builds the cell's public entry: a global external
// Application Load Balancer in front of the Cloud Run service.
//
// A serverless network endpoint group points at the service; the backend
// service carries the Cloud Armor policy and logs every request; the URL
// map sends everything to it; the HTTPS proxy terminates TLS with a
// Google-managed certificate for cell.Args.Hostname under an SSL policy that
// refuses anything older than TLS 1.2; a reserved global IPv4 address and
// one forwarding rule on port 443 expose it. There is no port 80: the edge
// connects over HTTPS only.
//
// The origin record (Hostname A → the address) goes through cell.Args.DNS,
// unproxied: a Google-managed certificate is issued once its domain
// resolves to the load balancer, and Pulumi does not wait for that, so
// nothing depends on the record. Until then the proxy answers TLS
// handshakes with errors.
func (b *builder) loadBalancer() error {
	neg, err := compute.NewRegionNetworkEndpointGroup(b.ctx, b.name+"-neg", &compute.RegionNetworkEndpointGroupArgs{
		Name:                pulumi.String(b.names.NEG),
		Region:              pulumi.String(b.args.Region),
		NetworkEndpointType: pulumi.String("SERVERLESS"),
		CloudRun:            &compute.RegionNetworkEndpointGroupCloudRunArgs{Service: b.service.Name},
	}, b.child()...)
	if err != nil {
		return err
	}
	policy, err := b.securityPolicy()
	if err != nil {
		return err
	}
	backend, err := compute.NewBackendService(b.ctx, b.name+"-backend", &compute.BackendServiceArgs{
		Name:                pulumi.String(b.names.Backend),
		Description:         pulumi.String("cellfabric cell " + b.args.ID),
		LoadBalancingScheme: pulumi.String(lbScheme),
		SecurityPolicy:      policy.SelfLink,
		Backends:            compute.BackendServiceBackendArray{&compute.BackendServiceBackendArgs{Group: neg.ID()}},
		LogConfig:           &compute.BackendServiceLogConfigArgs{Enable: pulumi.Bool(true), SampleRate: pulumi.Float64(1)},
	}, b.child()...)
	if err != nil {
		return err
	}
	urlMap, err := compute.NewURLMap(b.ctx, b.name+"-urlmap", &compute.URLMapArgs{
		Name:           pulumi.String(b.names.URLMap),
		DefaultService: backend.ID(),
	}, b.child()...)
	if err != nil {
		return err
	}
	cert, err := compute.NewManagedSslCertificate(b.ctx, b.name+"-cert", &compute.ManagedSslCertificateArgs{
		Name:    pulumi.String(b.names.Certificate),
		Managed: &compute.ManagedSslCertificateManagedArgs{Domains: pulumi.StringArray{pulumi.String(b.args.Hostname)}},
	}, b.child()...)
	if err != nil {
		return err
	}
	tls, err := compute.NewSSLPolicy(b.ctx, b.name+"-tls", &compute.SSLPolicyArgs{
		Name:          pulumi.String(b.names.SSLPolicy),
		MinTlsVersion: pulumi.String(minTLS),
		Profile:       pulumi.String(tlsProfile),
	}, b.child()...)
	if err != nil {
		return err
	}
	proxy, err := compute.NewTargetHttpsProxy(b.ctx, b.name+"-https", &compute.TargetHttpsProxyArgs{
		Name:            pulumi.String(b.names.Proxy),
		UrlMap:          urlMap.ID(),
		SslCertificates: pulumi.StringArray{cert.ID()},
		SslPolicy:       tls.ID(),
	}, b.child()...)
	if err != nil {
		return err
	}
	b.address, err = compute.NewGlobalAddress(b.ctx, b.name+"-ip", &compute.GlobalAddressArgs{
		Name:        pulumi.String(b.names.Address),
		Description: pulumi.String("cellfabric cell " + b.args.ID + ": origin of " + b.args.Hostname),
		AddressType: pulumi.String("EXTERNAL"),
		IpVersion:   pulumi.String("IPV4"),
		Labels:      b.lbl(),
	}, b.child()...)
	if err != nil {
		return err
	}
	_, err = compute.NewGlobalForwardingRule(b.ctx, b.name+"-https", &compute.GlobalForwardingRuleArgs{
		Name:                pulumi.String(b.names.ForwardingRule),
		LoadBalancingScheme: pulumi.String(lbScheme),
		IpProtocol:          pulumi.String("TCP"),
		PortRange:           pulumi.String(httpsPort),
		IpAddress:           b.address.Address,
		Target:              proxy.ID(),
		Labels:              b.lbl(),
	}, b.child()...)
	if err != nil {
		return err
	}
	return b.dns()
}

// dns asks cell.Args.DNS for the origin record and keeps it for the
// DNSRecords output.
func (b *builder) dns() error {
	origin := cell.DNSRecord{
		Name:    pulumi.String(b.args.Hostname),
		Type:    "A",
		Value:   b.address.Address,
		Purpose: "origin",
	}
	b.dnsRecords = append(b.dnsRecords, origin)
	if b.args.DNS == nil {
		return nil
	}
	_, err := b.args.DNS(b.ctx, b.name+"-origin", origin, pulumi.Parent(b.comp))
	return err
}
