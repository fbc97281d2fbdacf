package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// ErrTooLarge is returned (wrapped) for a document over the size limit.
var ErrTooLarge = errors.New("document too large")

// Parse decodes a registry document and validates it. It refuses documents
// over MaxRegistryBytes, unknown fields, keys written twice in one object,
// trailing data and every problem Validate finds.
func Parse(data []byte) (*Registry, error) {
	reg, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if err := reg.Validate(); err != nil {
		return nil, err
	}
	return reg, nil
}

// Decode decodes a registry document without validating it (defaults for
// absent weights are applied). Use Parse unless you validate yourself.
func Decode(data []byte) (*Registry, error) {
	if len(data) > MaxRegistryBytes {
		return nil, fmt.Errorf("registry is %d bytes, over the %d byte limit: %w; split the tenants or raise the limit", len(data), MaxRegistryBytes, ErrTooLarge)
	}
	var reg Registry
	if err := decodeStrict(data, &reg); err != nil {
		return nil, fmt.Errorf("decoding registry: %w", err)
	}
	return &reg, nil
}

// Read reads at most limit bytes (MaxRegistryBytes when limit <= 0) from r and
// parses them. A longer input is refused with ErrTooLarge without being read
// to its end.
func Read(r io.Reader, limit int64) (*Registry, error) {
	data, err := ReadLimited(r, limit)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// ReadLimited reads all of r, refusing (ErrTooLarge) more than limit bytes;
// limit <= 0 means MaxRegistryBytes.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxRegistryBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading registry: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("registry is over the %d byte limit: %w", limit, ErrTooLarge)
	}
	return data, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields,
// anything after the value and duplicate keys (which encoding/json would
// accept, keeping the last: "epoch":100,"epoch":999 would mean 999).
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("truncated document (unexpected end of JSON)")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON document")
	}
	return jsonkeys.Check(data)
}

// UnmarshalJSON applies DefaultCellWeight when the weight field is absent.
func (c *Cell) UnmarshalJSON(data []byte) error {
	type plain Cell
	aux := struct {
		*plain
		Weight *int `json:"weight"`
	}{plain: (*plain)(c)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return err
	}
	c.Weight = DefaultCellWeight
	if aux.Weight != nil {
		c.Weight = *aux.Weight
	}
	return nil
}

// Encode returns the registry document as every producer writes it:
// indented JSON ending in a newline. `cellfabric registry`, `cellfabric
// local` and the edge's KV value all use it, so the same outputs and epoch
// give the same bytes everywhere.
func (r *Registry) Encode() ([]byte, error) {
	doc, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(doc, '\n'), nil
}
