package solver

import (
	"context"

	"github.com/weekplan/weekplan/solver/bound"
	"github.com/weekplan/weekplan/solver/heuristic"
	"github.com/weekplan/weekplan/solver/model"
)

// EachBound holds every proven bound of an instance computed on its own.
type EachBound struct {
	Capacity float64
	// SeatPrice and IEPShare are the Lagrangian bound from each start.
	SeatPrice, IEPShare float64
}

// Bounds returns, for tests, each proven bound of inst on its own: the
// capacity bound and the Lagrangian bound from each starting point after
// iterations subgradient steps aimed at incumbent (any value gives a valid
// bound; a good one a tight bound).
func Bounds(inst *Instance, iterations int, incumbent float64) (EachBound, error) {
	c, err := compile(inst)
	if err != nil {
		return EachBound{}, err
	}
	lag := func(s bound.Start) float64 {
		return bound.Lagrangian(context.Background(), c.p, bound.Options{Start: s, Iterations: iterations, Incumbent: incumbent, Workers: 2}).Value
	}
	return EachBound{Capacity: bound.Capacity(c.p), SeatPrice: lag(bound.SeatPrice), IEPShare: lag(bound.IEPShare)}, nil
}

// SeatPriceBound returns, for tests, the Lagrangian bound from seat prices
// after at most iterations evaluations aimed at incumbent, with or without
// the bundle method that follows the subgradient run and the room prices
// among its variables, and the evaluations it took.
func SeatPriceBound(inst *Instance, iterations int, incumbent float64, bundle, rooms bool) (float64, int, error) {
	c, err := compile(inst)
	if err != nil {
		return 0, 0, err
	}
	r := bound.Lagrangian(context.Background(), c.p, bound.Options{Start: bound.SeatPrice, Iterations: iterations, Incumbent: incumbent, Workers: 2,
		NoBundle: !bundle, NoJointRooms: !rooms})
	return r.Value, r.Iterations, nil
}

// CombinedLagrangian returns, for tests, the Lagrangian bound as Solve
// computes it (lagrangian): both starts when iepShort, sharing iterations.
func CombinedLagrangian(inst *Instance, iterations int, incumbent float64, iepShort bool, workers int) (float64, int, error) {
	c, err := compile(inst)
	if err != nil {
		return 0, 0, err
	}
	r := lagrangian(context.Background(), c.p, iterations, incumbent, iepShort, workers, nil)
	return r.Value, r.Iterations, nil
}

// MeetChains builds one schedule of inst per entry of iters — the
// construction improved by iters[c] search iterations with seed 1 — and
// ends a leg of the search on them (meet). It returns the objectives before
// and after, the winner's index, and whether every schedule afterwards
// equals the winner's placement for placement.
func MeetChains(inst *Instance, iters []int) (before, after []float64, win int, same bool, err error) {
	c, err := compile(inst)
	if err != nil {
		return nil, nil, 0, false, err
	}
	sol, _, err := heuristic.Construct(context.Background(), c.p)
	if err != nil {
		return nil, nil, 0, false, err
	}
	sols := make([]*model.Solution, len(iters))
	for x, n := range iters {
		sols[x] = sol.Clone()
		if n > 0 {
			heuristic.Improve(context.Background(), sols[x], heuristic.Options{Seed: 1, Effort: n})
		}
		before = append(before, sols[x].Objective())
	}
	win = meet(sols)
	same = true
	want := c.decode(sols[win])
	for _, s := range sols {
		after = append(after, s.Objective())
		same = same && Churn(inst, want, c.decode(s)) == 0
	}
	return before, after, win, same, nil
}

// SearchIterations is searchIterations, for tests.
var SearchIterations = searchIterations
