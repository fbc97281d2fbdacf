package aws

import (
	"regexp"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	t.Parallel()
	longID := "a2345678901234567890" // the longest valid cell id
	longStack := strings.Repeat("production-eu-", 8)
	elbRe := regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	rules := []struct {
		field string
		get   func(names) string
		max   int
		re    *regexp.Regexp
	}{
		{"LoadBalancer", func(n names) string { return n.LoadBalancer }, maxLoadBalancerName, elbRe},
		{"TargetGroup", func(n names) string { return n.TargetGroup }, maxTargetGroupName, elbRe},
		{"Cluster", func(n names) string { return n.Cluster }, maxECSName, regexp.MustCompile(`^[A-Za-z0-9_-]+$`)},
		{"Service", func(n names) string { return n.Service }, maxECSName, regexp.MustCompile(`^[A-Za-z0-9_-]+$`)},
		{"Family", func(n names) string { return n.Family }, maxECSName, regexp.MustCompile(`^[A-Za-z0-9_-]+$`)},
		{"TaskRole", func(n names) string { return n.TaskRole }, maxRoleName, regexp.MustCompile(`^[\w+=,.@-]+$`)},
		{"ExecutionRole", func(n names) string { return n.ExecutionRole }, maxRoleName, regexp.MustCompile(`^[\w+=,.@-]+$`)},
		{"Table", func(n names) string { return n.Table }, maxTableName, regexp.MustCompile(`^[A-Za-z0-9_.-]{3,}$`)},
		{"Secret", func(n names) string { return n.Secret }, maxSecretName, regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)},
		{"LogGroup", func(n names) string { return n.LogGroup }, maxLogGroupName, regexp.MustCompile(`^[A-Za-z0-9._/#-]+$`)},
	}
	cases := []struct {
		name, stack, id string
		port            int
	}{
		{"short", "dev", "aws-use1", 8080},
		{"longest id", "dev", longID, 8080},
		{"long stack and id", longStack, longID, 65535},
		{"stack with dots and underscores", "team_a.prod", longID, 80},
		{"stack of symbols", "___...", "abc", 8080},
		{"internal id", "dev", "internal-api", 8080},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNames(tc.stack, tc.id, tc.port)
			for _, r := range rules {
				v := r.get(n)
				if len(v) > r.max || !r.re.MatchString(v) {
					t.Errorf("%s = %q (%d chars): want at most %d matching %s", r.field, v, len(v), r.max, r.re)
				}
				if !strings.Contains(v, tc.id) {
					t.Errorf("%s = %q does not name the cell", r.field, v)
				}
			}
			if strings.HasPrefix(n.LoadBalancer, "internal-") {
				t.Errorf("load balancer name %q starts with internal-", n.LoadBalancer)
			}
			if regexp.MustCompile(`-[A-Za-z0-9]{6}$`).MatchString(n.Secret) {
				t.Errorf("secret name %q ends like a Secrets Manager suffix", n.Secret)
			}
		})
	}

	// Distinct stacks, cells and ports give distinct names where they must.
	a, b := newNames("dev", longID, 8080), newNames("prod", longID, 8080)
	if a.LoadBalancer == b.LoadBalancer || a.TargetGroup == b.TargetGroup || a.TaskRole == b.TaskRole || a.Secret == b.Secret {
		t.Errorf("stacks dev and prod share names: %+v / %+v", a, b)
	}
	long1, long2 := newNames(longStack+"a", "c1x", 1), newNames(longStack+"b", "c1x", 1)
	if long1.TaskRole == long2.TaskRole {
		t.Errorf("long stacks differing at the end share the role name %q", long1.TaskRole)
	}
	if p := newNames("dev", "c1x", 9090); p.TargetGroup == newNames("dev", "c1x", 8080).TargetGroup || p.LoadBalancer != newNames("dev", "c1x", 8080).LoadBalancer {
		t.Error("the target group name must change with the port, the load balancer's must not")
	}
	if got := newNames("dev", "aws-use1", 8080); got.Table != "cellfabric-dev-aws-use1" || got.Secret != "cellfabric/dev/aws-use1/edge-key" {
		t.Errorf("readable names for a short stack: %+v", got)
	}
}
