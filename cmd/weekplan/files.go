package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/weekplan/weekplan/loader/fileout"
	"github.com/weekplan/weekplan/solver"
)

// readInput reads a file, or standard input when path is "-".
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// readInstance reads and validates an instance file. Both a malformed file and
// an invalid instance wrap solver.ErrInvalidInstance (exit status 2).
func readInstance(path string) (*solver.Instance, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("reading instance: %w", err)
	}
	inst, err := solver.ParseInstance(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := inst.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inst, nil
}

// marshalJSON encodes v as indented JSON with a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeOutput writes data to path atomically (a reader never sees half a
// file), or to w when path is "" or "-".
func writeOutput(w io.Writer, path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := w.Write(data)
		return err
	}
	err := fileout.Write(path, 0o644, func(f io.Writer) error {
		_, err := f.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
