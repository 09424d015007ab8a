package bound

import (
	"context"
	"math"
)

// Tuning of the proximal bundle method (docs/model.md §5.5): at most
// bundleCuts cuts are kept; a step is serious when L falls by at least
// bundleSerious of the decrease the model predicts; the proximal parameter
// grows by bundleGrow after a serious step that achieves bundleGood of the
// prediction and shrinks by bundleShrink after a null step at which L was
// higher than at the centre; the master's dual takes at most qpIterations
// pairwise exchanges. Measured on the public 1,000-student school and
// generated 1,000-student schools, the result moved by less than 0.1 % over
// 6–25 cuts and over good 0.1–0.5, grow 1.3–2, shrink 0.5–0.7.
const (
	bundleCuts    = 12
	bundleSerious = 0.1
	bundleGood    = 0.15
	bundleGrow    = 1.5
	bundleShrink  = 0.7
	qpIterations  = 200
)

// oracle evaluates a convex function at x (which it must not keep) and
// returns the value and a subgradient there, which the caller may read
// until the next call.
type oracle func(x []float64) (float64, []float64)

// cut is one linearization of f, kept relative to the stability centre c:
// f(x) ≥ f(c) − e + g·(x − c), with e ≥ 0 its linearization error.
type cut struct {
	g []float64
	e float64
}

// bundleMin minimises the convex function f by the proximal bundle method
// (Kiwiel 1990, "Proximity control in bundle methods for convex
// nondifferentiable minimization", Mathematical Programming 46; Lemaréchal
// 2001, "Lagrangian relaxation", LNCS 2241), from x0, in at most budget
// evaluations, aiming its first step halfway from f(x0) down to lb (a lower
// bound on the minimum, or a guess of one). It returns the smallest value
// evaluated (+Inf if none) and the number of evaluations; it stops early
// when the model predicts no decrease, at a zero subgradient, or when ctx
// is done.
//
// Each step minimises the cutting-plane model of f plus a proximal term
// ‖x − centre‖²/(2t); its dual is a quadratic over the unit simplex of the
// cuts (solveSimplexQP), and the step is −t times the weighted sum of the
// cuts' subgradients. At a point where many subgradients meet — as at the
// ties of the seat prices, where one subgradient is a poor direction and the
// subgradient method stalls — that aggregate is a descent direction.
func bundleMin(ctx context.Context, x0 []float64, budget int, lb float64, proj func(x []float64), f oracle) (float64, int) {
	if budget <= 0 || ctx.Err() != nil {
		return math.Inf(1), 0
	}
	n := len(x0)
	centre := append([]float64(nil), x0...)
	fc, g := f(centre)
	evals, best := 1, fc
	norm := dot(g, g)
	if norm == 0 {
		return best, evals
	}
	cuts := []cut{{g: append([]float64(nil), g...)}}
	gram := [][]float64{{norm}}
	theta := []float64{1}
	// The first step is the Polyak step aimed halfway down to lb.
	t := math.Max(fc-(lb+targetLevel*(fc-lb)), 1e-3) / norm
	agg := make([]float64, n)
	x := make([]float64, n)
	d := make([]float64, n)
	for evals < budget && ctx.Err() == nil {
		theta = solveSimplexQP(gram, cuts, t, theta)
		clear(agg)
		ea := 0.0
		for c, th := range theta {
			if th == 0 {
				continue
			}
			ea += th * cuts[c].e
			for k, v := range cuts[c].g {
				agg[k] += th * v
			}
		}
		// The decrease the model predicts for the step −t·agg.
		predicted := t*dot(agg, agg) + ea
		if predicted <= 1e-9*math.Max(1, math.Abs(fc)) {
			break
		}
		for k := range x {
			x[k] = centre[k] - t*agg[k]
		}
		if proj != nil {
			proj(x)
		}
		// d = x − centre is the step, −t·agg unless the projection moved x.
		for k := range d {
			d[k] = x[k] - centre[k]
		}
		v, g := f(x)
		evals++
		best = math.Min(best, v)
		if dot(g, g) == 0 {
			break
		}
		next := cut{g: append([]float64(nil), g...)}
		if fc-v >= bundleSerious*predicted {
			// Serious step: the centre moves to x, and every cut's error is
			// taken relative to it (e' = e + f(x) − f(c) − g·(x − c)).
			for c := range cuts {
				cuts[c].e = math.Max(0, cuts[c].e+v-fc-dot(cuts[c].g, d))
			}
			ea = math.Max(0, ea+v-fc-dot(agg, d))
			if fc-v >= bundleGood*predicted {
				t *= bundleGrow
			}
			copy(centre, x)
			fc = v
		} else {
			// Null step: the cut at x enriches the model at the centre.
			next.e = math.Max(0, fc-v+dot(next.g, d))
			if v > fc {
				t *= bundleShrink
			}
		}
		cuts, gram, theta = addCut(cuts, gram, theta, next, agg, ea)
	}
	return best, evals
}

// addCut adds c to the bundle. A full bundle first drops the cuts the last
// master left unused; if every cut was used, they are replaced by their
// aggregate (agg, ea), which keeps the master's solution (Kiwiel 1985).
func addCut(cuts []cut, gram [][]float64, theta []float64, c cut, agg []float64, ea float64) ([]cut, [][]float64, []float64) {
	if len(cuts) >= bundleCuts {
		var keep []cut
		var kt []float64
		for x, th := range theta {
			if th > 0 {
				keep = append(keep, cuts[x])
				kt = append(kt, th)
			}
		}
		if len(keep) >= bundleCuts {
			keep, kt = []cut{{g: append([]float64(nil), agg...), e: ea}}, []float64{1}
		}
		cuts, theta = keep, kt
		gram = make([][]float64, len(cuts))
		for a := range cuts {
			gram[a] = make([]float64, len(cuts))
			for b := 0; b <= a; b++ {
				gram[a][b] = dot(cuts[a].g, cuts[b].g)
				gram[b][a] = gram[a][b]
			}
		}
	}
	cuts = append(cuts, c)
	row := make([]float64, len(cuts))
	for a := range cuts {
		row[a] = dot(cuts[a].g, c.g)
	}
	for a := range gram {
		gram[a] = append(gram[a], row[a])
	}
	return cuts, append(gram, row), append(theta, 0)
}

// solveSimplexQP minimises q(θ) = ½·t·θᵀGθ + e·θ over the unit simplex — the
// dual of the bundle's master problem — by pairwise exchanges: mass moves
// from the used cut of largest gradient to the cut of smallest, by the exact
// minimiser of q along that edge, until the gradients of the used cuts are
// within a relative 1e-12 of the smallest (then θ is optimal: the KKT
// conditions of a convex quadratic over the simplex). It starts from theta
// (renormalised; all mass on the last cut if it has none) and returns the
// new weights.
func solveSimplexQP(gram [][]float64, cuts []cut, t float64, theta []float64) []float64 {
	n := len(cuts)
	th := make([]float64, n)
	copy(th, theta)
	sum := 0.0
	for _, v := range th {
		sum += v
	}
	if sum <= 0 {
		th[n-1] = 1
	} else {
		for x := range th {
			th[x] /= sum
		}
	}
	grad := make([]float64, n)
	for range qpIterations {
		for a := range grad {
			grad[a] = t*dot(gram[a], th) + cuts[a].e
		}
		lo, hi := 0, -1
		for a := range grad {
			if grad[a] < grad[lo] {
				lo = a
			}
			if th[a] > 0 && (hi < 0 || grad[a] > grad[hi]) {
				hi = a
			}
		}
		gap := grad[hi] - grad[lo]
		if gap <= 1e-12*math.Max(1, math.Abs(grad[lo])) {
			break
		}
		step := th[hi]
		if curv := t * (gram[lo][lo] + gram[hi][hi] - 2*gram[lo][hi]); curv > 0 {
			step = math.Min(step, gap/curv)
		}
		th[lo] += step
		th[hi] -= step
		if th[hi] < 1e-15 {
			th[hi] = 0
		}
	}
	return th
}

func dot(a, b []float64) float64 {
	s := 0.0
	for x, v := range a {
		s += v * b[x]
	}
	return s
}
