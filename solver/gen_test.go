package solver_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

// TestReportGenerated solves a generated school of WEEKPLAN_GEN students and
// prints objective, bound and time.
func TestReportGenerated(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WEEKPLAN_GEN"))
	if n <= 0 {
		t.Skip("set WEEKPLAN_GEN=5000 to time a generated school")
	}
	inst := fixtures.Generate(fixtures.GenOptions{Students: n, Seed: 7})
	start := time.Now()
	res, err := solver.Solve(context.Background(), inst, solver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("students=%d construction %.3f objective %.3f bound %.3f iterations %d bound iterations %d %.2fs",
		n, res.ConstructionObjective, res.Score.Total, res.Bound, res.Iterations, res.BoundIterations, time.Since(start).Seconds())
}
