package solver

import (
	"context"

	"github.com/weekplan/weekplan/solver/bound"
)

// Bounds returns, for tests, each proven bound of inst on its own: the
// capacity bound and the Lagrangian bound after iterations subgradient steps.
func Bounds(inst *Instance, iterations int) (capacity, lagrangian float64, err error) {
	c, err := compile(inst)
	if err != nil {
		return 0, 0, err
	}
	b := bound.Lagrangian(context.Background(), c.p, bound.Options{Iterations: iterations, Workers: 2})
	return bound.Capacity(c.p), b.Value, nil
}
