package bound

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSolveSimplexQPIsOptimal checks the bundle master's dual solver on
// random quadratics over the simplex against the optimality conditions of a
// convex quadratic there: θ is a distribution, and every cut's gradient is
// at least the smallest, with equality (to a relative 1e-6) on the cuts
// that carry weight. It would fail if an exchange moved past the minimiser
// along its edge, or stopped while a used cut's gradient was above another's.
func TestSolveSimplexQPIsOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for trial := range 500 {
		n, dim := 1+rng.IntN(bundleCuts), 1+rng.IntN(40)
		cuts := make([]cut, n)
		for c := range cuts {
			cuts[c].g = make([]float64, dim)
			for k := range cuts[c].g {
				// Integer subgradients like the relaxation's (x − y), some
				// cuts repeated, errors sometimes zero.
				cuts[c].g[k] = float64(rng.IntN(5) - 2)
			}
			if c > 0 && rng.IntN(4) == 0 {
				copy(cuts[c].g, cuts[rng.IntN(c)].g)
			}
			if rng.IntN(3) > 0 {
				cuts[c].e = 10 * rng.Float64()
			}
		}
		gram := make([][]float64, n)
		for a := range cuts {
			gram[a] = make([]float64, n)
			for b := range cuts {
				gram[a][b] = dot(cuts[a].g, cuts[b].g)
			}
		}
		tt := math.Pow(10, -3+4*rng.Float64())
		start := make([]float64, n)
		if rng.IntN(2) == 0 {
			start[rng.IntN(n)] = 1
		}
		th := solveSimplexQP(gram, cuts, tt, start)
		sum, lo := 0.0, math.Inf(1)
		grad := make([]float64, n)
		for a := range cuts {
			if th[a] < 0 {
				t.Fatalf("trial %d: θ[%d] = %v < 0", trial, a, th[a])
			}
			sum += th[a]
			grad[a] = tt*dot(gram[a], th) + cuts[a].e
			lo = math.Min(lo, grad[a])
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("trial %d: θ sums to %v", trial, sum)
		}
		tol := 1e-6 * math.Max(1, math.Abs(lo))
		for a := range cuts {
			if th[a] > 1e-9 && grad[a] > lo+tol {
				t.Fatalf("trial %d (%d cuts): cut %d has weight %v and gradient %v above the smallest %v", trial, n, a, th[a], grad[a], lo)
			}
		}
	}
}

// TestBundleMinimisesNonsmooth runs the bundle method on convex piecewise
// linear functions whose minimum is known — a weighted ℓ1 distance, and a
// maximum of linear pieces around a point (a weighted ℓ∞ distance plus
// random pieces) — from a distant start: within the budget it must close
// all but 1e-6 of the gap to the minimum, never report below the minimum,
// and count its evaluations. A single subgradient there is a coordinate
// direction that the plain method follows in zig-zags; the test would fail
// if the model's cuts or their errors were kept wrongly (the steps would
// stall or diverge).
func TestBundleMinimisesNonsmooth(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	const dim, budget = 30, 300
	for trial := range 6 {
		c := make([]float64, dim)
		w := make([]float64, dim)
		for k := range c {
			c[k], w[k] = 10*rng.Float64()-5, 0.5+rng.Float64()
		}
		var pieces [][]float64 // extra linear pieces a·(x − c) − 1, below the ℓ∞ part near c
		for range dim {
			a := make([]float64, dim)
			for k := range a {
				a[k] = rng.Float64() - 0.5
			}
			pieces = append(pieces, a)
		}
		const fmin = 7.0
		g := make([]float64, dim)
		l1 := func(x []float64) (float64, []float64) {
			v := fmin
			for k := range x {
				d := x[k] - c[k]
				v += w[k] * math.Abs(d)
				g[k] = w[k] * sign(d)
			}
			return v, g
		}
		linf := func(x []float64) (float64, []float64) {
			v, arg, neg := 0.0, 0, false
			for k := range x {
				if d := w[k] * math.Abs(x[k]-c[k]); d > v {
					v, arg, neg = d, k, x[k] < c[k]
				}
			}
			clear(g)
			g[arg] = w[arg]
			if neg {
				g[arg] = -w[arg]
			}
			for _, a := range pieces {
				s := -1.0
				for k := range x {
					s += a[k] * (x[k] - c[k])
				}
				if s > v {
					v = s
					copy(g, a)
				}
			}
			return fmin + v, g
		}
		for name, f := range map[string]oracle{"l1": l1, "linf": linf} {
			x0 := make([]float64, dim)
			for k := range x0 {
				x0[k] = c[k] + 20*rng.Float64() - 10
			}
			f0, _ := f(x0)
			best, evals := bundleMin(context.Background(), x0, budget, fmin-1, nil, f)
			if best < fmin-1e-9 {
				t.Fatalf("trial %d %s: reported %v below the minimum %v", trial, name, best, fmin)
			}
			if best-fmin > 1e-6*(f0-fmin) {
				t.Errorf("trial %d %s: after %d evaluations %v, minimum %v (start %v)", trial, name, evals, best, fmin, f0)
			}
			if evals < 1 || evals > budget {
				t.Errorf("trial %d %s: %d evaluations, budget %d", trial, name, evals, budget)
			}
		}
	}
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// TestBundleMinHonoursBudgetAndContext: no evaluation without budget or
// after cancellation, and exactly the budget when the function keeps
// falling.
func TestBundleMinHonoursBudgetAndContext(t *testing.T) {
	calls := 0
	g := []float64{1}
	slope := func(x []float64) (float64, []float64) { calls++; return x[0], g } // unbounded below
	if v, n := bundleMin(context.Background(), []float64{0}, 0, -1, nil, slope); n != 0 || calls != 0 || !math.IsInf(v, 1) {
		t.Errorf("budget 0: %d evaluations (%d calls), value %v", n, calls, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, n := bundleMin(ctx, []float64{0}, 10, -1, nil, slope); n != 0 || calls != 0 {
		t.Errorf("cancelled: %d evaluations (%d calls)", n, calls)
	}
	v, n := bundleMin(context.Background(), []float64{0}, 25, -1, nil, slope)
	if n != 25 || calls != 25 || v >= -1 {
		t.Errorf("budget 25 on a line: %d evaluations (%d calls), value %v", n, calls, v)
	}
}

// TestBundleMinWithProjection minimises a weighted ℓ1 distance to a point
// with some negative coordinates over x ≥ 0, as the room prices are kept:
// every point evaluated is feasible, and the method reaches the constrained
// minimum (the negative coordinates at 0) when the oracle drops, at a
// coordinate on the boundary, a component that points out of the set.
func TestBundleMinWithProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const dim, budget = 20, 300
	for trial := 0; trial < 10; trial++ {
		c, w := make([]float64, dim), make([]float64, dim)
		fmin := 0.0
		for k := range c {
			c[k], w[k] = 2*rng.Float64()-1, 0.5+rng.Float64()
			if c[k] < 0 {
				fmin += w[k] * -c[k]
			}
		}
		g := make([]float64, dim)
		infeasible := 0
		f := func(x []float64) (float64, []float64) {
			v := 0.0
			for k := range x {
				if x[k] < 0 {
					infeasible++
				}
				d := x[k] - c[k]
				v += w[k] * math.Abs(d)
				g[k] = w[k] * sign(d)
				if x[k] <= 0 && g[k] > 0 {
					g[k] = 0
				}
			}
			return v, g
		}
		proj := func(x []float64) {
			for k := range x {
				x[k] = math.Max(0, x[k])
			}
		}
		x0 := make([]float64, dim)
		for k := range x0 {
			x0[k] = 5 * rng.Float64()
		}
		f0, _ := f(x0)
		best, evals := bundleMin(context.Background(), x0, budget, fmin-1, proj, f)
		if infeasible > 0 {
			t.Fatalf("trial %d: %d coordinates evaluated below 0", trial, infeasible)
		}
		if best < fmin-1e-9 || best-fmin > 1e-6*(f0-fmin) {
			t.Errorf("trial %d: after %d evaluations %v, constrained minimum %v (start %v)", trial, evals, best, fmin, f0)
		}
	}
}
