package solver_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

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

// TestReportBench prints objective, bound, gap and time for every benchmark
// instance next to the reference; run with WEEKPLAN_REPORT=1.
func TestReportBench(t *testing.T) {
	if os.Getenv("WEEKPLAN_REPORT") == "" {
		t.Skip("set WEEKPLAN_REPORT=1 to print the benchmark table")
	}
	refs, err := fixtures.References()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fixtures.BenchNames() {
		inst := benchInstance(t, name)
		start := time.Now()
		res, err := solver.Solve(context.Background(), inst, solver.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sec := time.Since(start).Seconds()
		gap := math.NaN()
		if res.HasBound {
			gap = res.Bound - res.Score.Total
		}
		ref := refs[name]
		t.Logf("%-28s constr %10.3f obj %10.3f bound %10.3f gap %8.3f  ref %10.3f/%10.3f  it %d  %.2fs  unplaced %d short %d",
			name, res.ConstructionObjective, res.Score.Total, res.Bound, gap, ref.Objective, ref.Bound, res.Iterations, sec,
			res.Score.UnplacedSlots, res.Score.ShortfallMinutes)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
