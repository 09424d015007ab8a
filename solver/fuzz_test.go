package solver_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/weekplan/weekplan/solver"
)

// fuzzSeeds are valid and nearly valid instance documents to start from.
func fuzzSeeds(f *testing.F) {
	data, err := json.Marshal(smallInstance())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"format":"weekplan.instance/v1","school":{"id":"x"},"week_start":"2026-11-30","slots":[{"id":"a","day":"mon","start":"09:00","minutes":45}],"skills":[{"id":"k","subject":"m","seq":1}],"rooms":[{"id":"r","capacity":2,"modes":["independent"]}],"teachers":[],"students":[{"id":"s","progress":{"k":0.5}}]}`))
	f.Add([]byte(`{"format":"weekplan.instance/v1","policy":{"group_min":3,"group_max":2}}`))
	f.Add([]byte(`{"students":[{"id":"s","progress":{"k":1e400}}]}`))
	f.Add([]byte(`[]`))
}

// FuzzParseInstance: parsing and validating any input never panics, and an
// input is either rejected with ErrInvalidInstance or accepted as valid.
func FuzzParseInstance(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := solver.ParseInstance(data)
		if err != nil {
			if !errors.Is(err, solver.ErrInvalidInstance) {
				t.Fatalf("parse error does not wrap ErrInvalidInstance: %v", err)
			}
			return
		}
		if err := inst.Validate(); err != nil {
			var ve *solver.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("rejection without problems: %v", err)
			}
			return
		}
		// A valid instance: the checker scores an empty schedule without panicking.
		solver.Check(inst, &solver.Schedule{Format: solver.ScheduleFormat, School: inst.School.ID, WeekStart: inst.WeekStart})
	})
}

// FuzzSolve: for every small instance that validates, Solve returns a schedule
// that passes the checker with the objective it claims, and never a bound below it.
func FuzzSolve(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := solver.ParseInstance(data)
		if err != nil || inst.Validate() != nil {
			return
		}
		if len(inst.Students) > 12 || len(inst.Slots) > 6 || len(inst.Teachers) > 4 || len(inst.Rooms) > 6 || len(inst.Skills) > 12 {
			return // keep each execution fast
		}
		res, err := solver.Solve(context.Background(), inst, solver.Options{Effort: 5})
		if err != nil {
			t.Fatalf("Solve failed on a valid instance: %v", err)
		}
		rep := solver.Check(inst, res.Schedule)
		if !rep.Valid() {
			t.Fatalf("invalid schedule: %v", rep.Violations)
		}
		if d := rep.Score.Total - res.Schedule.Objective; d > solver.ObjectiveTolerance(rep.Score.Total) || -d > solver.ObjectiveTolerance(rep.Score.Total) {
			t.Fatalf("claimed objective %v, scored %v", res.Schedule.Objective, rep.Score.Total)
		}
		if res.Schedule.Bound != nil && *res.Schedule.Bound < rep.Score.Total-solver.ObjectiveTolerance(rep.Score.Total) {
			t.Fatalf("bound %v below objective %v", *res.Schedule.Bound, rep.Score.Total)
		}
	})
}

// FuzzParseSchedule: parsing any schedule and checking it against a valid
// instance never panics.
func FuzzParseSchedule(f *testing.F) {
	good, err := json.Marshal(smallSchedule())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"sessions":[{"slot":"mon-1","mode":"tutoring","students":["s1","s1"]}],"independent":[{"slot":"x","room":"lib","students":["s9"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := solver.ParseSchedule(data)
		if err != nil {
			return
		}
		solver.Check(smallInstance(), s)
	})
}

// FuzzStableSolve: any schedule given as the previous version — with unknown
// ids, duplicates, wrong modes — either is refused as another school's or
// week's (ErrInvalidPrevious) or gives a schedule that passes the checker,
// whose churn is the schedules' difference and within the limit.
func FuzzStableSolve(f *testing.F) {
	good, err := json.Marshal(smallSchedule())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, int8(0))
	f.Add(good, int8(-1))
	f.Add([]byte(`{"sessions":[{"slot":"mon-1","mode":"tutoring","teacher":"nobody","students":["s1","s1","s2"]}],"independent":[{"slot":"mon-1","room":"lib","students":["s1","s9"]}],"unplaced":[{"student":"s2","slot":"mon-2"}],"shortfalls":[{"student":"s1","mode":"tutoring","minutes":45}]}`), int8(2))
	f.Add([]byte(`{"school":"elsewhere","sessions":[]}`), int8(0))
	f.Fuzz(func(t *testing.T, data []byte, maxChurn int8) {
		prev, err := solver.ParseSchedule(data)
		if err != nil {
			return
		}
		inst := smallInstance()
		res, err := solver.Solve(context.Background(), inst, solver.Options{Effort: 2, Previous: prev, MaxChurn: int(maxChurn)})
		if errors.Is(err, solver.ErrInvalidPrevious) {
			return
		}
		if err != nil {
			t.Fatalf("Solve with a previous schedule: %v", err)
		}
		if rep := solver.Check(inst, res.Schedule); !rep.Valid() {
			t.Fatalf("invalid schedule: %v", rep.Violations)
		}
		if got := solver.Churn(inst, prev, res.Schedule); got != res.Churn {
			t.Fatalf("churn %d, schedules differ in %d", res.Churn, got)
		}
		if maxChurn >= 0 && res.Churn > max(int(maxChurn), res.ForcedChurn) {
			t.Fatalf("churn %d above max(%d, forced %d)", res.Churn, maxChurn, res.ForcedChurn)
		}
	})
}
