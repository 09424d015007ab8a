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
// to 4,000 student-slots. Result.Iterations counts both chains.
func TestEffortUnitsBySize(t *testing.T) {
	const effort = 3
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
}
