package recorder

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FakeAWSAccount is the account id every fake AWS ARN carries.
const FakeAWSAccount = "123456789012"

func init() {
	providerIDFakes["aws"] = func(res *Resource, fc FakeContext) string {
		return res.Name + "-" + fc.Hash
	}
	// Every AWS resource gets an ARN of its service, region and name.
	providerOutputFakes["aws"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		svc := "service"
		if _, mod, ok := strings.Cut(res.Type, ":"); ok {
			svc, _, _ = strings.Cut(mod, "/")
		}
		name := autoName(res, fc)
		out := resource.PropertyMap{}
		if _, ok := res.Inputs["arn"]; !ok {
			out["arn"] = resource.NewStringProperty(fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, fc.Region, FakeAWSAccount, name))
		}
		if _, ok := res.Inputs["name"]; !ok {
			out["name"] = resource.NewStringProperty(name)
		}
		return out
	}
	outputFakes["aws:iam/role:Role"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", FakeAWSAccount, autoName(res, fc))})
	}
	outputFakes["aws:dynamodb/table:Table"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"arn": fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", fc.Region, FakeAWSAccount, autoName(res, fc))})
	}
	outputFakes["aws:lb/loadBalancer:LoadBalancer"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{
			"dnsName": fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", autoName(res, fc), fc.Hash, fc.Region),
			"zoneId":  "Z35SXDOTRQ7X7K",
		})
	}
	outputFakes["aws:acm/certificate:Certificate"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		domain := str(res.Inputs, "domainName")
		return props(map[string]any{
			"status": "ISSUED",
			"domainValidationOptions": []any{map[string]any{
				"domainName":          domain,
				"resourceRecordName":  "_" + fc.Hash + "." + domain + ".",
				"resourceRecordType":  "CNAME",
				"resourceRecordValue": "_" + hash8(fc.Hash) + ".acm-validations.aws.",
			}},
		})
	}
	outputFakes["aws:cloudwatch/logGroup:LogGroup"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		// As the provider reports it: without the ":*" the API appends.
		return props(map[string]any{"arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", fc.Region, FakeAWSAccount, autoName(res, fc))})
	}
	outputFakes["aws:secretsmanager/secret:Secret"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		// Secrets Manager appends a hyphen and six random characters.
		return props(map[string]any{"arn": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", fc.Region, FakeAWSAccount, autoName(res, fc), fc.Hash[:6])})
	}
	outputFakes["aws:ecs/cluster:Cluster"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"arn": fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", fc.Region, FakeAWSAccount, autoName(res, fc))})
	}
	outputFakes["aws:ecs/taskDefinition:TaskDefinition"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		family := str(res.Inputs, "family")
		return props(map[string]any{"revision": 1, "arn": fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:1", fc.Region, FakeAWSAccount, family)})
	}
	outputFakes["aws:ec2/vpc:Vpc"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"defaultRouteTableId": "rtb-" + hash8(fc.Hash), "defaultSecurityGroupId": "sg-" + hash8(fc.Hash+"sg")})
	}
	outputFakes["aws:ec2/eip:Eip"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"publicIp": fakeIPv4(res.URN)})
	}

	invokeFakes["aws:index/getAvailabilityZones:getAvailabilityZones"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		region := fc.Region
		if region == "" {
			region = "us-east-1"
		}
		return props(map[string]any{"id": region, "names": []any{region + "a", region + "b", region + "c"},
			"zoneIds": []any{"use1-az1", "use1-az2", "use1-az4"}})
	}
	invokeFakes["aws:index/getCallerIdentity:getCallerIdentity"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"id": FakeAWSAccount, "accountId": FakeAWSAccount,
			"arn": "arn:aws:iam::" + FakeAWSAccount + ":user/deployer", "userId": "AIDAEXAMPLE"})
	}
	invokeFakes["aws:index/getRegion:getRegion"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"id": fc.Region, "name": fc.Region, "endpoint": "ec2." + fc.Region + ".amazonaws.com"})
	}
	invokeFakes["aws:index/getPartition:getPartition"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"})
	}
}
