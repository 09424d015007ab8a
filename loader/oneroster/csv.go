package oneroster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/weekplan/weekplan/solver"
)

// Problem is one thing wrong with the input, located by file, line and
// column like a compiler error: `progress.csv:12: column "mastery": "1.7" is
// outside [0,1]`. Line is 0 for a problem with a whole file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Column != "" {
		fmt.Fprintf(&b, "column %q: ", p.Column)
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error lists every problem found in a OneRoster directory. It wraps
// solver.ErrInvalidInstance: the input is rejected and nothing is imported.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid OneRoster input: %d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, solver.ErrInvalidInstance) succeed.
func (e *Error) Unwrap() error { return solver.ErrInvalidInstance }

// problems collects the problems of a read.
type problems struct {
	list []Problem
}

func (ps *problems) add(file string, line int, column, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: file, Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// table is one CSV file read whole: a header and the records after it.
type table struct {
	file    string
	columns map[string]int // lower-cased header name → index
	rows    []record
}

// record is one data row of a table.
type record struct {
	t      *table
	line   int
	fields []string
}

// maxFileSize bounds what one CSV file may hold, so that a wrong directory
// cannot exhaust memory.
const maxFileSize = 256 << 20

// readTable reads file from fsys. A missing optional file gives nil and no
// problem; a missing required file, a missing required column, a CSV syntax
// error or a row with the wrong number of fields is a problem. Header names
// match case-insensitively; a UTF-8 byte-order mark is skipped.
func readTable(fsys fs.FS, file string, required bool, columns []string, ps *problems) *table {
	f, err := fsys.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		if required {
			ps.add(file, 0, "", "file is missing")
		}
		return nil
	}
	if err != nil {
		ps.add(file, 0, "", "%v", err)
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		ps.add(file, 0, "", "%v", err)
		return nil
	}
	if len(data) > maxFileSize {
		ps.add(file, 0, "", "file is larger than %d MiB", maxFileSize>>20)
		return nil
	}
	return parseTable(file, data, columns, ps)
}

// parseTable parses CSV data with a header row.
func parseTable(file string, data []byte, columns []string, ps *problems) *table {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		ps.add(file, 1, "", "file is empty: a header row is required")
		return nil
	}
	if err != nil {
		csvProblem(file, err, ps)
		return nil
	}
	t := &table{file: file, columns: map[string]int{}}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue
		}
		if _, dup := t.columns[name]; dup {
			ps.add(file, 1, h, "column appears twice in the header")
			continue
		}
		t.columns[name] = i
	}
	missing := false
	for _, c := range columns {
		if _, ok := t.columns[strings.ToLower(c)]; !ok {
			ps.add(file, 1, c, "required column is missing from the header")
			missing = true
		}
	}
	if missing {
		return nil
	}
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			csvProblem(file, err, ps)
			return nil
		}
		line, _ := r.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		if len(fields) != len(header) {
			ps.add(file, line, "", "%d fields, the header has %d", len(fields), len(header))
			continue
		}
		t.rows = append(t.rows, record{t: t, line: line, fields: fields})
	}
	return t
}

// csvProblem reports a CSV syntax error with its line and column.
func csvProblem(file string, err error, ps *problems) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		ps.add(file, pe.Line, "", "character %d: %v", pe.Column, pe.Err)
		return
	}
	ps.add(file, 0, "", "%v", err)
}

// has reports whether the table has the column.
func (t *table) has(column string) bool {
	if t == nil {
		return false
	}
	_, ok := t.columns[strings.ToLower(column)]
	return ok
}

// get returns the trimmed value of a column, "" when the table has no such
// column.
func (r record) get(column string) string {
	i, ok := r.t.columns[strings.ToLower(column)]
	if !ok {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// fail records a problem at this record's line and column.
func (r record) fail(ps *problems, column, format string, args ...any) {
	ps.add(r.t.file, r.line, column, format, args...)
}

// required returns a column's value, recording a problem when it is empty.
func (r record) required(ps *problems, column string) (string, bool) {
	v := r.get(column)
	if v == "" {
		r.fail(ps, column, "value is required")
		return "", false
	}
	return v, true
}

// number parses a finite number.
func (r record) number(ps *problems, column string) (float64, bool) {
	v, ok := r.required(ps, column)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		r.fail(ps, column, "%q is not a number", v)
		return 0, false
	}
	return x, true
}

// unit parses a number in [0,1].
func (r record) unit(ps *problems, column string) (float64, bool) {
	x, ok := r.number(ps, column)
	if ok && (x < 0 || x > 1) {
		r.fail(ps, column, "%s is outside [0,1]", r.get(column))
		return 0, false
	}
	return x, ok
}

// count parses a whole number ≥ 0; an empty optional value gives (0, false)
// with no problem.
func (r record) count(ps *problems, column string, optional bool) (int, bool) {
	v := r.get(column)
	if v == "" {
		if !optional {
			r.fail(ps, column, "value is required")
		}
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(ps, column, "%q is not a whole number ≥ 0", v)
		return 0, false
	}
	return n, true
}

// boolean parses true/false, yes/no, 1/0 (any case); empty is false.
func (r record) boolean(ps *problems, column string) bool {
	switch strings.ToLower(r.get(column)) {
	case "", "false", "no", "n", "0":
		return false
	case "true", "yes", "y", "1":
		return true
	}
	r.fail(ps, column, "%q is not true or false", r.get(column))
	return false
}

// list splits a value on spaces, commas and semicolons.
func (r record) list(column string) []string {
	return splitList(r.get(column))
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(c rune) bool { return c == ' ' || c == ',' || c == ';' || c == '\t' })
}

// active reports whether a OneRoster record is current: its status is not
// "tobedeleted" (OneRoster 1.2 §3.1: "active" or "tobedeleted"; empty in a
// bulk file means active).
func (r record) active() bool {
	return !strings.EqualFold(r.get("status"), "tobedeleted")
}
