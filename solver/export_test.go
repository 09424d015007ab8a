package solver

import (
	"context"

	"github.com/weekplan/weekplan/solver/bound"
)

// Bounds returns, for tests, each proven bound of inst on its own: the
// capacity bound and the Lagrangian bound after iterations subgradient steps
// aimed at incumbent (any value gives a valid bound; a good one a tight bound).
func Bounds(inst *Instance, iterations int, incumbent float64) (capacity, lagrangian float64, err error) {
	c, err := compile(inst)
	if err != nil {
		return 0, 0, err
	}
	b := bound.Lagrangian(context.Background(), c.p, bound.Options{Iterations: iterations, Incumbent: incumbent, Workers: 2})
	return bound.Capacity(c.p), b.Value, nil
}
