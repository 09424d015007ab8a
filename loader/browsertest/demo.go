package browsertest

import (
	"context"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

// DemoEffort is the solver effort of DemoWeek: low, the pages need a real
// schedule, not a good one.
const DemoEffort = 2

// DemoWeek is the demo school (fixtures.Demo) and its schedule from
// solver.Solve at DemoEffort, seed 1: the input the browser tests render.
func DemoWeek(t testing.TB) (*solver.Instance, *solver.Schedule) {
	t.Helper()
	inst, err := fixtures.Demo()
	if err != nil {
		t.Fatal(err)
	}
	res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: 1, Effort: DemoEffort})
	if err != nil {
		t.Fatalf("solving the demo school: %v", err)
	}
	return inst, res.Schedule
}
