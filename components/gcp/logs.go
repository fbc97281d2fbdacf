package gcp

import (
	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// logs gives the cell's logs a bucket of their own, with the cell's
// retention, in the cell's region.
//
// Cloud Run sends its request and container logs to Cloud Logging without
// any setup, and the load balancer its request logs; by default both land
// in the project's _Default bucket, whose retention and location are
// project-wide and would be shared (and fought over) by every cell in the
// project. Instead:
//
//   - a log bucket per cell (logRetentionDays, in args.Region, so an EU
//     cell's logs stay in the EU);
//   - a sink that routes this cell's entries there: the Cloud Run
//     revision logs of its service and the load balancer logs of its
//     backend service. The bucket is in the sink's own project, so the
//     sink's writer identity needs no grant;
//   - an exclusion on the _Default sink for the same entries, created
//     after the sink, so they are stored once, under this retention.
//     (A project holds a limited number of exclusions; each GCP cell in a
//     project uses one.)
//
// A deleted log bucket stays reserved for 7 days; re-creating a cell with
// the same id in the same stack within that time fails until it is purged.
func (b *builder) logs() error {
	bucket, err := logging.NewProjectBucketConfig(b.ctx, b.name+"-logs", &logging.ProjectBucketConfigArgs{
		Project:       b.projectID,
		Location:      pulumi.String(b.args.Region),
		BucketId:      pulumi.String(b.names.LogBucket),
		RetentionDays: pulumi.Int(logRetentionDays),
		Description:   pulumi.String("cellfabric cell " + b.args.ID + ": Cloud Run and load balancer logs"),
	}, b.child()...)
	if err != nil {
		return err
	}
	b.logBucket = bucket
	filter := logFilter(b.names.Service, b.args.Region, b.names.Backend)
	sink, err := logging.NewProjectSink(b.ctx, b.name+"-logs", &logging.ProjectSinkArgs{
		Name:                 pulumi.String(b.names.LogSink),
		Description:          pulumi.String("cellfabric cell " + b.args.ID + ": route the cell's logs to its bucket"),
		Destination:          pulumi.Sprintf("logging.googleapis.com/projects/%s/locations/%s/buckets/%s", b.projectID, b.args.Region, bucket.BucketId),
		Filter:               pulumi.String(filter),
		UniqueWriterIdentity: pulumi.Bool(true),
	}, b.child()...)
	if err != nil {
		return err
	}
	_, err = logging.NewProjectExclusion(b.ctx, b.name+"-logs-default", &logging.ProjectExclusionArgs{
		Name:        pulumi.String(b.names.LogExclusion),
		Description: pulumi.String("cellfabric cell " + b.args.ID + ": stored in " + b.names.LogBucket + " instead"),
		Filter:      pulumi.String(filter),
	}, b.child(pulumi.DependsOn([]pulumi.Resource{sink}))...)
	return err
}

// logFilter selects one cell's entries: its Cloud Run service's and its
// backend service's.
func logFilter(service, region, backend string) string {
	return fmt.Sprintf(`(resource.type="cloud_run_revision" AND resource.labels.service_name="%s" AND resource.labels.location="%s") OR (resource.type="http_load_balancer" AND resource.labels.backend_service_name="%s")`,
		service, region, backend)
}
