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
		out["selfLink"] = resource.NewStringProperty(fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/%s/%s", gcpProject(fc), gcpCollection(res.Type), name))
		return out
	}
	outputFakes["gcp:serviceaccount/account:Account"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", str(res.Inputs, "accountId"), gcpProject(fc))
		return props(map[string]any{"email": email, "member": "serviceAccount:" + email, "uniqueId": "1" + fc.Hash})
	}
	outputFakes["gcp:cloudrunv2/service:Service"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"uri": fmt.Sprintf("https://%s-%s-%s.a.run.app", autoName(res, fc), fc.Hash, regionCode(fc.Region))})
	}
	outputFakes["gcp:secretmanager/secret:Secret"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"name": fmt.Sprintf("projects/%s/secrets/%s", FakeGCPProjectNumber, str(res.Inputs, "secretId"))})
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

// gcpCollection is a plausible API collection for a type token:
// "gcp:compute/network:Network" -> "networks".
func gcpCollection(typ string) string {
	w := lastTypeWord(typ)
	if w == "" {
		return "resources"
	}
	return strings.ToLower(w[:1]) + w[1:] + "s"
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
