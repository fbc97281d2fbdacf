package main

import (
	"encoding/json"
	"unicode/utf8"
)

// metadataValue is the metadata field in which the Worker's KV adapter
// stores a copy of a value it puts, so that a listing returns the value
// (jsKV.ListValues): Workers KV returns each key's metadata with a list.
const metadataValue = "v"

// maxMetadataBytes is the largest metadata Workers KV keeps with a key
// (its JSON).
const maxMetadataBytes = 1024

// listedValue returns value as the metadata string that carries it, and
// whether it fits: valid UTF-8 (every directory value is JSON) whose
// metadata, {"v": value} as JSON, is at most maxMetadataBytes. A directory
// entry or journal record of a tenant with a few failovers fits; a larger
// one is read with a Get when listed.
func listedValue(value []byte) (string, bool) {
	if len(value) > maxMetadataBytes || !utf8.Valid(value) {
		return "", false
	}
	md, err := json.Marshal(map[string]string{metadataValue: string(value)})
	if err != nil || len(md) > maxMetadataBytes {
		return "", false
	}
	return string(value), true
}
