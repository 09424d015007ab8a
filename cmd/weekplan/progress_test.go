package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/solver"
)

// TestProgressLog checks the "solving" lines a long solve logs: at most one
// per progressEvery (none in the first), at info level, with the phase
// (bound before the search), iteration, objective, bound and gap — counts
// only — and without a bound's fields when there is none.
func TestProgressLog(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	f := &solveFlags{now: func() time.Time { return clock }}
	report := f.options(zerolog.New(&buf), nil).Progress
	steps := []struct {
		after time.Duration
		p     solver.Progress
	}{
		{300 * time.Millisecond, solver.Progress{Objective: 90, Bound: 120, HasBound: true}},    // too soon after the start
		{800 * time.Millisecond, solver.Progress{Objective: 90, Bound: 110, HasBound: true}},    // logged: bound phase
		{500 * time.Millisecond, solver.Progress{Iteration: 4, Objective: 95, Bound: 100}},      // too soon
		{time.Second, solver.Progress{Iteration: 9, Objective: 96, Bound: 100, HasBound: true}}, // logged: search
		{2 * time.Second, solver.Progress{Iteration: 12, Objective: 97}},                        // logged, no bound
	}
	for _, s := range steps {
		clock = clock.Add(s.after)
		report(s.p)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	want := []map[string]any{
		{"level": "info", "message": "solving", "phase": "bound", "iteration": 0.0, "objective": 90.0, "bound": 110.0, "gap": gap(90, 110)},
		{"level": "info", "message": "solving", "phase": "search", "iteration": 9.0, "objective": 96.0, "bound": 100.0, "gap": gap(96, 100)},
		{"level": "info", "message": "solving", "phase": "search", "iteration": 12.0, "objective": 97.0},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for x, w := range want {
		if len(lines[x]) != len(w) {
			t.Errorf("line %d has fields %v, want %v", x, lines[x], w)
		}
		for k, v := range w {
			if lines[x][k] != v {
				t.Errorf("line %d: %s = %v, want %v", x, k, lines[x][k], v)
			}
		}
	}
}
