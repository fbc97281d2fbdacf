// Package cloudlogging writes slog records as the JSON lines Google Cloud
// Logging reads from a container's stdout and stderr (Cloud Run): slog's
// JSON, with the level as Cloud Logging's severity, the message as its
// message, and the record's trace context as the entry's trace, span id
// and sampled flag, so that Cloud Logging files each line under its
// severity and shows it next to its trace.
//
// It imports the standard library and the OpenTelemetry trace API only.
package cloudlogging
