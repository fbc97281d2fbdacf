package aws

import (
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// ingressRule is one rule that admits traffic into a security group, in
// whichever of the provider's three forms it was written.
type ingressRule struct {
	group    string // the group's id (inline rules) or SecurityGroupId
	protocol string
	from, to float64
	cidrs    []string // IPv4 and IPv6 blocks
	groups   []string // source security groups
}

// ingressRules collects every ingress rule recorded: inline ingress on
// security groups, vpc.SecurityGroupIngressRule and ec2.SecurityGroupRule of
// type "ingress". Egress, in any form, is not ingress and is left out.
func ingressRules(rec *recorder.Recorder) []ingressRule {
	var out []ingressRule
	num := func(v any) float64 { f, _ := v.(float64); return f }
	list := func(vs ...any) []string {
		var s []string
		for _, v := range vs {
			switch v := v.(type) {
			case string:
				if v != "" {
					s = append(s, v)
				}
			case []any:
				for _, e := range v {
					if e, ok := e.(string); ok {
						s = append(s, e)
					}
				}
			}
		}
		return s
	}
	for _, sg := range rec.OfType("aws:ec2/securityGroup:SecurityGroup") {
		rules, _ := in(sg, "ingress").([]any)
		for _, r := range rules {
			m, _ := r.(map[string]any)
			out = append(out, ingressRule{group: sg.ID, protocol: m["protocol"].(string), from: num(m["fromPort"]), to: num(m["toPort"]),
				cidrs: list(m["cidrBlocks"], m["ipv6CidrBlocks"]), groups: list(m["securityGroups"])})
		}
	}
	for _, r := range rec.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		out = append(out, ingressRule{group: str(r, "securityGroupId"), protocol: str(r, "ipProtocol"),
			from: num(in(r, "fromPort")), to: num(in(r, "toPort")),
			cidrs: list(in(r, "cidrIpv4"), in(r, "cidrIpv6")), groups: list(in(r, "referencedSecurityGroupId"))})
	}
	for _, r := range rec.OfType("aws:ec2/securityGroupRule:SecurityGroupRule") {
		if str(r, "type") != "ingress" {
			continue
		}
		out = append(out, ingressRule{group: str(r, "securityGroupId"), protocol: str(r, "protocol"),
			from: num(in(r, "fromPort")), to: num(in(r, "toPort")),
			cidrs: list(in(r, "cidrBlocks"), in(r, "ipv6CidrBlocks")), groups: list(in(r, "sourceSecurityGroupId"))})
	}
	return out
}

// openToInternet returns the ingress rules that admit the whole internet.
func openToInternet(rules []ingressRule) []ingressRule {
	var bad []ingressRule
	for _, r := range rules {
		if slices.Contains(r.cidrs, "0.0.0.0/0") || slices.Contains(r.cidrs, "::/0") {
			bad = append(bad, r)
		}
	}
	return bad
}

// TestIngressScannerSeesOnlyIngress proves the scanner the cell's tests rely
// on: egress to the internet in every form is ignored, ingress from it in
// every form is caught.
func TestIngressScannerSeesOnlyIngress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		make func(ctx *pulumi.Context) error
		open int
	}{
		{"inline egress only", func(ctx *pulumi.Context) error {
			_, err := ec2.NewSecurityGroup(ctx, "sg", &ec2.SecurityGroupArgs{Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
				Protocol: pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
				CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"}), Ipv6CidrBlocks: pulumi.ToStringArray([]string{"::/0"})}}})
			return err
		}, 0},
		{"egress rule resources only", func(ctx *pulumi.Context) error {
			if _, err := vpc.NewSecurityGroupEgressRule(ctx, "e", &vpc.SecurityGroupEgressRuleArgs{SecurityGroupId: pulumi.String("sg-1"),
				IpProtocol: pulumi.String("-1"), CidrIpv4: pulumi.String("0.0.0.0/0")}); err != nil {
				return err
			}
			_, err := ec2.NewSecurityGroupRule(ctx, "r", &ec2.SecurityGroupRuleArgs{Type: pulumi.String("egress"), SecurityGroupId: pulumi.String("sg-1"),
				Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})})
			return err
		}, 0},
		{"inline ingress open", func(ctx *pulumi.Context) error {
			_, err := ec2.NewSecurityGroup(ctx, "sg", &ec2.SecurityGroupArgs{Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
				Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})}}})
			return err
		}, 1},
		{"ingress rule resource open over ipv6", func(ctx *pulumi.Context) error {
			_, err := vpc.NewSecurityGroupIngressRule(ctx, "i", &vpc.SecurityGroupIngressRuleArgs{SecurityGroupId: pulumi.String("sg-1"),
				IpProtocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrIpv6: pulumi.String("::/0")})
			return err
		}, 1},
		{"legacy ingress rule open", func(ctx *pulumi.Context) error {
			_, err := ec2.NewSecurityGroupRule(ctx, "r", &ec2.SecurityGroupRuleArgs{Type: pulumi.String("ingress"), SecurityGroupId: pulumi.String("sg-1"),
				Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: pulumi.ToStringArray([]string{"0.0.0.0/0"})})
			return err
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := recorder.New()
			if err := rec.Run(recorder.Options{}, tc.make); err != nil {
				t.Fatal(err)
			}
			if got := len(openToInternet(ingressRules(rec))); got != tc.open {
				t.Fatalf("%d open ingress rules found, want %d", got, tc.open)
			}
		})
	}
}

func TestIngressOnlyFromTheEdge(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	rules := ingressRules(d.Rec)
	if bad := openToInternet(rules); len(bad) != 0 {
		t.Fatalf("ingress open to the internet: %+v", bad)
	}
	albSG := d.Named(t, "aws:ec2/securityGroup:SecurityGroup", "cell-aws-use1-alb")
	taskSG := d.Named(t, "aws:ec2/securityGroup:SecurityGroup", "cell-aws-use1-task")
	var alb, task []ingressRule
	for _, r := range rules {
		switch r.group {
		case albSG.ID:
			alb = append(alb, r)
		case taskSG.ID:
			task = append(task, r)
		default:
			t.Errorf("ingress on an unknown group %q: %+v", r.group, r)
		}
	}
	want := slices.Clone(testIngress)
	slices.Sort(want)
	if len(alb) != 1 {
		t.Fatalf("load balancer has %d ingress rules, want 1: %+v", len(alb), alb)
	}
	got := slices.Clone(alb[0].cidrs)
	slices.Sort(got)
	if alb[0].protocol != "tcp" || alb[0].from != 443 || alb[0].to != 443 || !slices.Equal(got, want) || len(alb[0].groups) != 0 {
		t.Errorf("load balancer ingress = %+v, want tcp 443 from exactly %v", alb[0], want)
	}
	// IPv4 and IPv6 blocks land in their own fields.
	inline := in(albSG, "ingress").([]any)[0].(map[string]any)
	if !reflect.DeepEqual(inline["cidrBlocks"], []any{"103.21.244.0/22", "173.245.48.0/20"}) ||
		!reflect.DeepEqual(inline["ipv6CidrBlocks"], []any{"2400:cb00::/32", "2606:4700::/32"}) {
		t.Errorf("ranges split as %v / %v", inline["cidrBlocks"], inline["ipv6CidrBlocks"])
	}
	if len(task) != 1 || task[0].from != 8080 || task[0].to != 8080 || len(task[0].cidrs) != 0 ||
		!slices.Equal(task[0].groups, []string{albSG.ID}) {
		t.Errorf("task ingress = %+v, want only tcp 8080 from the load balancer's group", task)
	}
	egress := in(albSG, "egress").([]any)
	if len(egress) != 1 || !reflect.DeepEqual(egress[0].(map[string]any)["securityGroups"], []any{taskSG.ID}) {
		t.Errorf("load balancer egress = %#v, want only to the task group", egress)
	}
	if tg := in(taskSG, "ingress"); tg != nil && len(tg.([]any)) != 0 {
		t.Errorf("task group has inline ingress %v next to rule resources", tg)
	}
}

func TestLoadBalancer(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	alb := d.One(t, "aws:lb/loadBalancer:LoadBalancer")
	var public []any
	for z := range 2 {
		public = append(public, d.Named(t, "aws:ec2/subnet:Subnet", "cell-aws-use1-public-"+strconv.Itoa(z)).ID)
	}
	if in(alb, "internal") != false || str(alb, "loadBalancerType") != "application" ||
		!reflect.DeepEqual(in(alb, "subnets"), public) || in(alb, "dropInvalidHeaderFields") != true {
		t.Errorf("load balancer = internal %v type %v subnets %v", in(alb, "internal"), in(alb, "loadBalancerType"), in(alb, "subnets"))
	}
	tg := d.One(t, "aws:lb/targetGroup:TargetGroup")
	if str(tg, "targetType") != "ip" || in(tg, "port") != float64(8080) || str(tg, "protocol") != "HTTP" {
		t.Errorf("target group type %v port %v protocol %v", in(tg, "targetType"), in(tg, "port"), in(tg, "protocol"))
	}
	hc, _ := in(tg, "healthCheck").(map[string]any)
	if hc["path"] != "/healthz" || hc["port"] != "traffic-port" || hc["enabled"] != true {
		t.Errorf("health check = %#v", hc)
	}
	listeners := d.Rec.OfType("aws:lb/listener:Listener")
	if len(listeners) != 1 {
		t.Fatalf("%d listeners, want only HTTPS", len(listeners))
	}
	l := listeners[0]
	validation := d.One(t, "aws:acm/certificateValidation:CertificateValidation")
	actions, _ := in(l, "defaultActions").([]any)
	if in(l, "port") != float64(443) || str(l, "protocol") != "HTTPS" || str(l, "sslPolicy") != sslPolicy ||
		str(l, "certificateArn") != out(validation, "certificateArn") || len(actions) != 1 ||
		actions[0].(map[string]any)["targetGroupArn"] != out(tg, "arn") {
		t.Errorf("listener = port %v %v policy %v cert %v actions %v", in(l, "port"), in(l, "protocol"), in(l, "sslPolicy"), in(l, "certificateArn"), actions)
	}
	cert := d.One(t, "aws:acm/certificate:Certificate")
	if str(cert, "domainName") != testHostname || str(cert, "validationMethod") != "DNS" {
		t.Errorf("certificate for %v by %v", in(cert, "domainName"), in(cert, "validationMethod"))
	}
}
