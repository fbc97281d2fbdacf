package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Input formats of `cellfabric tenants import`.
const (
	formatCSV    = "csv"
	formatNDJSON = "ndjson"
)

// csvColumns are the columns an import CSV may have; id and cell are
// required.
var csvColumns = []string{"id", "cell", "failover", "residency", "state"}

// maxInputLine bounds one line of an import file.
const maxInputLine = 1 << 20

// inputRecord is one record of an import file: a tenant, or what is wrong
// with its line.
type inputRecord struct {
	line int   // line number (1-based)
	end  int64 // byte offset just after the line
	t    router.Tenant
	err  error // the line is not a tenant: not sent, reported
}

// inputFormat picks the format from --format or the file's extension.
func inputFormat(path, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV, nil
	case ".ndjson", ".jsonl", ".json":
		return formatNDJSON, nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension: name it .csv or .ndjson, or pass --format csv|ndjson", path)
}

// inputReader reads an import file record by record, one line each.
type inputReader struct {
	r      *bufio.Reader
	format string
	cols   map[string]int // CSV: column name → index
	ncols  int
	line   int
	offset int64
}

// newInputReader reads r (positioned at the file's start). For CSV it
// reads the header; an unusable header is an error for the whole file.
func newInputReader(r io.Reader, format string) (*inputReader, error) {
	ir := &inputReader{r: bufio.NewReaderSize(r, 1<<20), format: format}
	if format != formatCSV {
		return ir, nil
	}
	b, err := ir.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the CSV file is empty: its first line must be the header id,cell,failover,residency,state")
		}
		return nil, err
	}
	fields, err := csv.NewReader(bytes.NewReader(b)).Read()
	if err != nil {
		return nil, fmt.Errorf("line 1 (the header): %v; write it as id,cell,failover,residency,state", err)
	}
	ir.cols = map[string]int{}
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")))
		if !slices.Contains(csvColumns, name) {
			return nil, fmt.Errorf("line 1 (the header): unknown column %q; the columns are %s", f, strings.Join(csvColumns, ","))
		}
		if _, dup := ir.cols[name]; dup {
			return nil, fmt.Errorf("line 1 (the header): column %q appears twice", name)
		}
		ir.cols[name] = i
	}
	for _, need := range []string{"id", "cell"} {
		if _, ok := ir.cols[need]; !ok {
			return nil, fmt.Errorf("line 1 (the header): no %q column; the header must name at least id and cell (all: %s)", need, strings.Join(csvColumns, ","))
		}
	}
	ir.ncols = len(fields)
	return ir, nil
}

// readLine returns the next line without its line ending and advances the
// line number and offset. io.EOF at the end.
func (ir *inputReader) readLine() ([]byte, error) {
	b, err := ir.r.ReadSlice('\n')
	long := false
	for errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer: consume it, report it.
		ir.offset += int64(len(b))
		long = true
		b, err = ir.r.ReadSlice('\n')
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(b) == 0 && errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	ir.offset += int64(len(b))
	ir.line++
	if long {
		return nil, errLongLine
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

var errLongLine = fmt.Errorf("the line is longer than %d bytes", maxInputLine)

// next returns the next record; io.EOF at the end. Blank lines are
// skipped.
func (ir *inputReader) next() (inputRecord, error) {
	for {
		b, err := ir.readLine()
		if errors.Is(err, errLongLine) {
			return inputRecord{line: ir.line, end: ir.offset, err: err}, nil
		}
		if err != nil {
			return inputRecord{}, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		rec := inputRecord{line: ir.line, end: ir.offset}
		if ir.format == formatCSV {
			rec.t, rec.err = ir.csvTenant(b)
		} else {
			rec.err = router.DecodeStrict(b, &rec.t)
			if rec.err != nil {
				rec.err = fmt.Errorf("not a tenant entry (%v): write one JSON object per line like {\"id\":\"acme\",\"cell\":\"aws-use1\"}", rec.err)
			}
		}
		if rec.err == nil && !fabric.ValidTenantID(rec.t.ID) {
			rec.err = fmt.Errorf("%q is not a valid tenant id: use %s", rec.t.ID, fabric.TenantIDRule)
		}
		return rec, nil
	}
}

// csvTenant decodes one CSV line by the header's columns.
func (ir *inputReader) csvTenant(b []byte) (router.Tenant, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return router.Tenant{}, fmt.Errorf("not a CSV record (%v): quote fields that hold commas or quotes", err)
	}
	if len(fields) != ir.ncols {
		return router.Tenant{}, fmt.Errorf("%d fields, the header has %d: write id,cell,failover,residency,state as the header does, failover cells separated by ';'", len(fields), ir.ncols)
	}
	get := func(name string) string {
		if i, ok := ir.cols[name]; ok {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	return router.Tenant{
		ID:        get("id"),
		Cell:      get("cell"),
		Failover:  splitList(get("failover"), ";"),
		Residency: get("residency"),
		State:     fabric.TenantState(get("state")),
	}, nil
}
