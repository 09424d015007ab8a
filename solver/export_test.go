package solver

import (
	"context"

	"github.com/weekplan/weekplan/solver/bound"
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

// CombinedLagrangian returns, for tests, the Lagrangian bound as Solve
// computes it (lagrangian): both starts when iepShort, sharing iterations.
func CombinedLagrangian(inst *Instance, iterations int, incumbent float64, iepShort bool, workers int) (float64, int, error) {
	c, err := compile(inst)
	if err != nil {
		return 0, 0, err
	}
	r := lagrangian(context.Background(), c.p, iterations, incumbent, iepShort, workers)
	return r.Value, r.Iterations, nil
}
