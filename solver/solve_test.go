package solver_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

func benchInstance(t testing.TB, name string) *solver.Instance {
	t.Helper()
	inst, err := fixtures.Bench(name)
	if err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	return inst
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEffortUnitsBySize checks what a unit of effort buys (Options.Effort):
// one iteration of each of the two search chains, two on a school of 1,501
// to 4,000 student-slots, one and a half above 40,000. Result.Iterations
// counts both chains.
func TestEffortUnitsBySize(t *testing.T) {
	const effort = 1
	for _, tc := range []struct {
		students, perUnit int
	}{{40, 1}, {80, 2}, {150, 2}, {200, 1}} {
		inst := fixtures.Generate(fixtures.GenOptions{Students: tc.students, Seed: 4})
		res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: 1, Effort: effort})
		if err != nil {
			t.Fatal(err)
		}
		slots := len(inst.Students) * len(inst.Slots)
		if small := slots > 1_500 && slots <= 4_000; small != (tc.perUnit == 2) {
			t.Fatalf("%d students make %d student-slots: not the case this row tests", tc.students, slots)
		}
		if want := 2 * effort * tc.perUnit; res.Iterations != want && res.Stopped != "optimal" {
			t.Errorf("%d students (%d student-slots): %d iterations at effort %d, want %d", tc.students, slots, res.Iterations, effort, want)
		}
	}
	// The boundaries, and the large schools' three iterations per two units
	// (a school of 2,000 students is too slow to solve here under -race).
	for _, tc := range []struct{ slots, want int }{
		{1_500, 8}, {1_501, 16}, {4_000, 16}, {4_001, 8}, {40_000, 8}, {40_001, 12}, {200_000, 12},
	} {
		if got := solver.SearchIterations(8, tc.slots); got != tc.want {
			t.Errorf("%d student-slots: %d iterations at effort 8, want %d", tc.slots, got, tc.want)
		}
	}
}

// TestProgressCoversTheBoundPhase checks Options.Progress over a whole solve
// of a school whose bound runs from both starts side by side (tiny-30 has
// unmet IEP minutes): first the bound phase — iteration 0, the
// construction's objective, a bound that only falls — then the search, its
// iterations counting up and its objective never falling; every bound
// reported is at least the objective Solve returns. The calls are recorded
// without a lock: under the race detector the test also checks that they
// come one at a time.
func TestProgressCoversTheBoundPhase(t *testing.T) {
	inst := benchInstance(t, "tiny-30-seed101")
	var got []solver.Progress
	res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: 1, Effort: 10, Workers: 2,
		Progress: func(p solver.Progress) { got = append(got, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Iteration != 0 {
		t.Fatalf("no bound-phase report first: %d reports", len(got))
	}
	phase := 0 // 0 bound, 1 search
	for x, p := range got {
		if !p.HasBound || p.Bound < res.Score.Total-1e-6 {
			t.Fatalf("report %d: bound %v (has %v) below the objective found %v", x, p.Bound, p.HasBound, res.Score.Total)
		}
		if p.Iteration > 0 {
			phase = 1
		}
		if x == 0 {
			continue
		}
		prev := got[x-1]
		switch {
		case phase == 0 && (p.Objective != res.ConstructionObjective || p.Bound > prev.Bound):
			t.Fatalf("bound phase report %d: objective %v (construction %v), bound %v after %v", x, p.Objective, res.ConstructionObjective, p.Bound, prev.Bound)
		case phase == 1 && p.Iteration == 0:
			t.Fatalf("report %d: a bound-phase report after the search began", x)
		case phase == 1 && (p.Iteration < prev.Iteration || p.Objective < prev.Objective):
			t.Fatalf("search report %d: iteration %d objective %v after %d, %v", x, p.Iteration, p.Objective, prev.Iteration, prev.Objective)
		}
	}
	if phase != 1 || got[len(got)-1].Bound != res.Bound {
		t.Errorf("last report %+v, result bound %v", got[len(got)-1], res.Bound)
	}
}
