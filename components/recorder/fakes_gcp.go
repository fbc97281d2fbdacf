package recorder

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FakeGCPProjectNumber is the project number fake GCP outputs carry.
const FakeGCPProjectNumber = "123456789012"

func init() {
	providerIDFakes["gcp"] = func(res *Resource, fc FakeContext) string {
		if strings.HasPrefix(res.Type, "gcp:compute/") {
			return gcpComputePath(res, fc)
		}
		return fmt.Sprintf("projects/%s/%s/%s", gcpProject(fc), gcpCollection(res.Type), autoName(res, fc))
	}
	providerOutputFakes["gcp"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		out := resource.PropertyMap{}
		name := autoName(res, fc)
		if _, ok := res.Inputs["name"]; !ok {
			out["name"] = resource.NewStringProperty(name)
		}
		if _, ok := res.Inputs["project"]; !ok {
			out["project"] = resource.NewStringProperty(gcpProject(fc))
		}
		link := fmt.Sprintf("projects/%s/%s/%s", gcpProject(fc), gcpCollection(res.Type), name)
		if strings.HasPrefix(res.Type, "gcp:compute/") {
			link = gcpComputePath(res, fc)
		}
		out["selfLink"] = resource.NewStringProperty("https://www.googleapis.com/compute/v1/" + link)
		return out
	}
	// Reserved addresses: a stable documentation-range IPv4 address.
	ipFake := func(res *Resource, fc FakeContext) resource.PropertyMap {
		if a := str(res.Inputs, "address"); a != "" {
			return resource.PropertyMap{}
		}
		return props(map[string]any{"address": fakeIPv4(res.URN)})
	}
	outputFakes["gcp:compute/globalAddress:GlobalAddress"] = ipFake
	outputFakes["gcp:compute/address:Address"] = ipFake
	// Log sinks write as a service identity the API creates.
	outputFakes["gcp:logging/projectSink:ProjectSink"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"writerIdentity": fmt.Sprintf("serviceAccount:service-%s@gcp-sa-logging.iam.gserviceaccount.com", FakeGCPProjectNumber)})
	}
	outputFakes["gcp:serviceaccount/account:Account"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", str(res.Inputs, "accountId"), gcpProject(fc))
		return props(map[string]any{"email": email, "member": "serviceAccount:" + email, "uniqueId": "1" + fc.Hash})
	}
	outputFakes["gcp:cloudrunv2/service:Service"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"uri": fmt.Sprintf("https://%s-%s-%s.a.run.app", autoName(res, fc), fc.Hash, regionCode(fc.Region))})
	}
	// A custom role's name is its full resource path.
	outputFakes["gcp:projects/iAMCustomRole:IAMCustomRole"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"name": fmt.Sprintf("projects/%s/roles/%s", gcpProject(fc), str(res.Inputs, "roleId"))})
	}
	outputFakes["gcp:secretmanager/secret:Secret"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"name": fmt.Sprintf("projects/%s/secrets/%s", FakeGCPProjectNumber, str(res.Inputs, "secretId"))})
	}
	idFakes["gcp:secretmanager/secret:Secret"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("projects/%s/secrets/%s", gcpProject(fc), str(res.Inputs, "secretId"))
	}
	outputFakes["gcp:secretmanager/secretVersion:SecretVersion"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"name": str(res.Inputs, "secret") + "/versions/1", "version": "1"})
	}
	invokeFakes["gcp:organizations/getProject:getProject"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		p := str(args, "projectId")
		if p == "" {
			p = gcpProject(fc)
		}
		return props(map[string]any{"id": "projects/" + p, "projectId": p, "number": FakeGCPProjectNumber, "name": p})
	}
	invokeFakes["gcp:organizations/getClientConfig:getClientConfig"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"id": "client", "project": gcpProject(fc), "region": fc.Region, "accessToken": "fake"})
	}
}

func gcpProject(fc FakeContext) string {
	if fc.Project != "" {
		return fc.Project
	}
	return "test-project"
}

// gcpComputePath is the relative resource path Compute Engine gives a
// resource: projects/<p>/global/<collection>/<name> for global resources,
// .../regions/<r>/... or .../zones/<z>/... for regional and zonal ones (those
// that take a region or zone input).
func gcpComputePath(res *Resource, fc FakeContext) string {
	scope := "global"
	if z := str(res.Inputs, "zone"); z != "" {
		scope = "zones/" + z
	} else if r := str(res.Inputs, "region"); r != "" {
		scope = "regions/" + r
	}
	return fmt.Sprintf("projects/%s/%s/%s/%s", gcpProject(fc), scope, gcpCollection(res.Type), autoName(res, fc))
}

// gcpCollection is a plausible API collection for a type token:
// "gcp:compute/network:Network" -> "networks".
func gcpCollection(typ string) string {
	if c, ok := gcpCollections[typ]; ok {
		return c
	}
	w := lastTypeWord(typ)
	if w == "" {
		return "resources"
	}
	w = strings.ToLower(w[:1]) + w[1:]
	switch {
	case strings.HasSuffix(w, "s"):
		return w + "es"
	case strings.HasSuffix(w, "y"):
		return w[:len(w)-1] + "ies"
	}
	return w + "s"
}

// gcpCollections names the API collections the generic rule gets wrong.
var gcpCollections = map[string]string{
	"gcp:compute/globalAddress:GlobalAddress":                           "addresses",
	"gcp:compute/globalForwardingRule:GlobalForwardingRule":             "forwardingRules",
	"gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": "networkEndpointGroups",
	"gcp:compute/uRLMap:URLMap":                                         "urlMaps",
	"gcp:compute/sSLPolicy:SSLPolicy":                                   "sslPolicies",
	"gcp:compute/managedSslCertificate:ManagedSslCertificate":           "sslCertificates",
	"gcp:compute/vPNTunnel:VPNTunnel":                                   "vpnTunnels",
	"gcp:compute/haVpnGateway:HaVpnGateway":                             "vpnGateways",
}

// regionCode shortens a region the way run.app hosts do (europe-west1 -> ew).
func regionCode(region string) string {
	var b strings.Builder
	for _, part := range strings.Split(region, "-") {
		if part != "" {
			b.WriteByte(part[0])
		}
	}
	return b.String()
}
