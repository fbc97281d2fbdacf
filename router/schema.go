package router

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of the registry document. It is
// published as router/registry.schema.json; a test keeps it and the Go types
// in step.
//
//go:embed registry.schema.json
var Schema []byte
