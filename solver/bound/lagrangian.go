// Package bound computes proven upper bounds on the §4 objective by
// Lagrangian relaxation (docs/model.md §5).
//
// The relaxation dualises the coupling between the two sides of the problem:
// for every student i, slot t and session mode m ∈ {group, tutoring}, the
// student's own choice x[i,t,m] ∈ {0,1} must equal the number y[i,t,m] of
// sessions of mode m in slot t that contain i. With multipliers λ[i,t,m] the
// Lagrangian function
//
//	L(λ) = Σ_j max over teacher j's weeks of Σ_sessions Σ_members (v_i − λ[i,t,m])
//	     + Σ_i max over student i's weeks of (Σ_t value of its choice + λ·x
//	                                          + contact(n_i) − IEP shortfall)
//
// splits into one subproblem per teacher and one per student, and for every λ
// L(λ) ≥ OPT (weak duality; Fisher 1981, "The Lagrangian relaxation method for
// solving integer programming problems", Management Science 27(1); Fisher
// 2004). Inside the subproblems every constraint that only makes them harder
// is dropped — rooms, stations and capacities of sessions, apart pairs,
// max_group_size and pins on the teacher side — each drop can only raise the
// maximum, so L(λ) stays an upper bound. What is kept: teachers'
// availability, subjects and weekly limits; group sizes and the level band;
// focus skills; continuity with the teacher (continuity.go); student
// availability, pins' modes, accessible independent rooms; and the exact
// concave cross-slot terms (contact and IEP minutes), solved per student by
// dynamic programming over slots. A small group is no choice where no legal
// group can hold the student (dropLoneGroups). Room capacities for independent work are dualised too, with prices
// set once, at the best λ, to clear each slot's market for seats (rooms.go).
//
// λ starts from seat prices or from IEP shares (Start), each scaled by a
// line search on L, and is improved by the subgradient method with the Polyak
// step of Held, Wolfe & Crowder (1974), "Validation of subgradient
// optimization", Mathematical Programming 6, aiming at a level between the
// incumbent and the best bound (from seat prices) or at the incumbent (from
// IEP shares), and halving the step factor when the bound stalls. Where those
// steps find no better bound at all (the ties of the seat prices on large
// schools), a proximal bundle method goes on from the best λ (bundle.go).
// Every evaluated L(λ) is a valid bound; the smallest is returned.
package bound

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/weekplan/weekplan/solver/model"
)

// Tuning of the subgradient method (docs/model.md §5, §5.1): the seat-price
// start searches the price scale over [0, alphaMax] in seatSearchSteps
// evaluations per floor, the IEP-share start its scale over [0, betaMax] in
// as many; the step factor starts at theta0 and halves after
// stallLimit iterations without a better bound, and the run stops when it
// falls below thetaMin (from seat prices: below seatThetaMin, or after
// stallStop iterations without a better bound — at most the budget's
// 1/stallShare, so that a large school's small budget is left to the bundle
// phase); the Polyak target is
// targetLevel of the way from the incumbent up to the best bound (from seat
// prices; the incumbent itself from IEP shares); the direction is
// deflect × subgradient + (1 − deflect) × previous direction; the method
// stops early when, over checkEvery iterations, the bound closed less than
// minProgress of its gap to the incumbent.
const (
	alphaMax        = 2.0
	betaMax         = 16.0
	seatSearchSteps = 10
	targetLevel     = 0.5
	stallLimit      = 20
	stallStop       = 2 * stallLimit
	stallShare      = 12
	checkEvery      = 250
	minProgress     = 0.01
	deflect         = 0.6
	theta0          = 1.0
	thetaMin        = theta0 / 1e6
	seatThetaMin    = theta0 * 0.03
)

// Start is where the subgradient method starts λ (docs/model.md §5.1).
type Start int

const (
	// SeatPrice starts from per-slot prices of a seat in a session, scaled
	// by a line search on L: where teacher time is the scarce resource, the
	// start alone is a tight bound on schools of any size.
	SeatPrice Start = iota
	// IEPShare starts from each student's IEP value of a session spread over
	// its free slots; it suits schools whose objective is dominated by IEP
	// minutes that cannot all be met, where λ must move far from seat prices.
	IEPShare
)

// Options configure Lagrangian.
type Options struct {
	// Start selects the starting point.
	Start Start
	// Iterations is the number of subgradient iterations (at least 1).
	Iterations int
	// Incumbent is the objective of a known schedule (a lower bound on OPT)
	// used by the Polyak step.
	Incumbent float64
	// Workers is the number of goroutines evaluating subproblems; the result
	// does not depend on it.
	Workers int
	// Progress, when set, is called after every evaluation of L with the
	// smallest value so far (a valid bound, with the margin Value has), from
	// the goroutine that called Lagrangian.
	Progress func(best float64)
	// NoBundle leaves out the bundle method that follows the seat-price
	// subgradient run (docs/model.md §5.5); for measuring what it adds.
	NoBundle bool
	// NoJointRooms keeps the room prices out of the bundle phase (they are
	// then set once, at the end, §5.4); for measuring what they add.
	NoJointRooms bool
}

// Result is the best bound found.
type Result struct {
	Value      float64
	Valid      bool
	Iterations int
}

// sessionBest is the best relaxed session of mode m on skill k in slot t.
type sessionBest struct {
	value   float64
	members []int
	mode    model.Mode // of a teacher's own session (continuity.go)
}

type relax struct {
	p      *model.Problem
	T, S   int
	lambda []float64 // (i*T+t)*2+m
	grad   []float64
	// per (t, k, m): best relaxed session
	best []sessionBest
	// roomOK[t*2+m]: some room can host a session of mode m in slot t.
	roomOK []bool
	// indep[i*T+t]: best independent value, or NaN if none is allowed.
	indep []float64
	// allowed[i*T+t]: bitmask of allowed choices: 1 none, 2 indep, 4 group, 8 tutor.
	allowed []uint8
	workers int
	// off[k] is the offset of skill k's BySkill list in the flattened
	// per-(skill, member) tables: mastery, and base (the relaxed session
	// value per slot and mode).
	off     []int
	nfocus  int
	mastery []float64
	base    []float64
	rooms   roomPrices
	// cont[j*T+t] lists the focus entries of the students whose last week
	// had a session with teacher j in slot t: in j's session of that mode
	// in t they earn w_stable (continuity.go); own[j*T+t] is j's best
	// session in t when one of them makes it better than the shared one;
	// tv[j*T+t] is j's best session value in t and tp[j*T+t] which session
	// it is (teachersAt).
	cont []([]contEntry)
	// sharedOrder[t*K+k] is the order of the shared small groups of skill k
	// in slot t: positions in BySkill[k], by weight descending (byWeight).
	sharedOrder [][]int32
	own         []sessionBest
	tv          []float64
	tp          []int
	// bestValue is the smallest L evaluated so far, at bestLambda, where
	// the students chose independent work as in bestChose (room prices are
	// 0 until the last evaluation).
	bestValue  float64
	bestLambda []float64
	bestChose  []bool
	// progress is Options.Progress.
	progress func(best float64)
	// dp and dpVals are the student side's scratch, one per worker, and
	// its values per student (studentSide).
	dp     []dpScratch
	dpVals []float64
}

// Lagrangian returns the best Lagrangian bound found within opt.Iterations
// subgradient steps, or an invalid result if ctx was done before the first
// evaluation finished.
func Lagrangian(ctx context.Context, p *model.Problem, opt Options) Result {
	r := newRelax(p, max(1, opt.Workers))
	r.progress = opt.Progress
	best := math.Inf(1)
	res := Result{}
	if opt.Start == IEPShare {
		best = r.startIEPShare(ctx, &res)
	} else {
		best = r.startSeatPrice(ctx, &res, opt.Iterations)
	}
	if math.IsInf(best, 1) {
		return res
	}
	theta := theta0
	// The seat-price run aims at a level target and stops once the step
	// factor has shrunk to seatThetaMin or the bound has stalled; the
	// IEP-share run, whose multipliers must travel far, aims at the
	// incumbent and runs until the step vanishes (each measured the better
	// for its start, docs/model.md §5.1).
	level, thetaStop, stalled := 0.0, thetaMin, math.MaxInt
	if opt.Start == SeatPrice {
		level, thetaStop, stalled = targetLevel, seatThetaMin, max(1, min(stallStop, opt.Iterations/stallShare))
	}
	stall, sinceBest := 0, 0
	lb := opt.Incumbent
	dir := make([]float64, len(r.grad))
	lastCheck := math.Inf(1)
	// The last evaluation of the budget is kept for the room prices.
	budget := max(1, opt.Iterations)
	for res.Iterations < max(1, budget-1) {
		if ctx.Err() != nil {
			break
		}
		v, norm := r.evaluate()
		res.Iterations++
		sinceBest++
		if math.IsInf(best, 1) || v < best-1e-9*math.Max(1, math.Abs(best)) {
			best = v
			stall, sinceBest = 0, 0
		} else if stall++; stall >= stallLimit {
			theta /= 2
			stall = 0
		}
		if norm == 0 || best-lb <= 1e-6*math.Max(1, math.Abs(lb)) || theta < thetaStop {
			break
		}
		if sinceBest >= stalled {
			break
		}
		// Converged for practical purposes: over the last checkEvery
		// iterations the bound closed less than minProgress of its gap to
		// the incumbent.
		if res.Iterations%checkEvery == 0 {
			if res.Iterations > checkEvery && lastCheck-best < minProgress*(best-lb) {
				break
			}
			lastCheck = best
		}
		// Deflected direction (Camerini, Fratta & Maffioli 1975): a moving
		// average of subgradients damps the zig-zag of the plain method.
		dn := 0.0
		for x, g := range r.grad {
			dir[x] = deflect*g + (1-deflect)*dir[x]
			dn += dir[x] * dir[x]
		}
		if dn == 0 {
			dn = norm
			copy(dir, r.grad)
		}
		// Level target: from seat prices halfway between the incumbent
		// and the best bound, from IEP shares the incumbent.
		target := lb + level*(best-lb)
		step := theta * math.Max(v-target, 1e-3) / dn
		for x := range r.lambda {
			r.lambda[x] -= step * dir[x]
		}
	}
	// From seat prices the bundle method goes on from the best λ with the
	// rest of the budget, the room prices joining λ (bundle.go, §5.5).
	if opt.Start == SeatPrice && !opt.NoBundle && best-lb > 1e-6*math.Max(1, math.Abs(lb)) {
		v, n := r.bundlePhase(ctx, budget-1-res.Iterations, lb, !opt.NoJointRooms)
		best = math.Min(best, v)
		res.Iterations += n
	}
	if math.IsInf(best, 1) {
		return res
	}
	// Room prices (rooms.go) at the best λ: the budget's last evaluation.
	if ctx.Err() == nil && res.Iterations < budget {
		if v := r.priceBestRooms(); v < best {
			best = v
		}
		res.Iterations++
	}
	res.Value = withMargin(best)
	res.Valid = true
	return res
}

// roomPriceScale is the scale of the room prices among the bundle's
// variables: the method steps in ν/roomPriceScale, whose derivative is
// roomPriceScale × (seats − demand). A class's demand moves by tens of
// students where a student-slot's λ moves its term by one, and unscaled
// the prices' components swamp λ's in the bundle's steps. Measured (seed 1,
// default effort; bound): 0.05 / 0.1 / 0.2 gave on generated schools of 400
// students 5,153 / 5,156 / 5,162, 1,000 students 13,296 (at 0.03 and 1)
// / 13,170 / —, 2,500 students 34,073 / 33,774 / 33,748, and on the public
// 1,000-student school 17,514 / 17,510 / 17,533.
const roomPriceScale = 0.1

// bundlePhase runs the bundle method from the best λ (bundle.go) with
// budget evaluations; where there are rooms to price, the room classes'
// prices per slot join λ as variables, starting from the prices that clear
// the market at the best λ (clearRooms) and kept ≥ 0 by projection
// (docs/model.md §5.5). It returns the smallest L evaluated and the number
// of evaluations.
func (r *relax) bundlePhase(ctx context.Context, budget int, lb float64, rooms bool) (float64, int) {
	if budget <= 0 {
		return math.Inf(1), 0
	}
	nl := len(r.lambda)
	nv := len(r.rooms.nu)
	if nv == 0 || !rooms {
		return bundleMin(ctx, r.bestLambda, budget, lb, nil, func(x []float64) (float64, []float64) {
			copy(r.lambda, x)
			v, _ := r.evaluate()
			return v, r.grad
		})
	}
	const sigma = roomPriceScale
	r.clearRooms(r.bestChose)
	x0 := make([]float64, nl+nv)
	copy(x0, r.bestLambda)
	for q, v := range r.rooms.nu {
		x0[nl+q] = v / sigma
	}
	nu := make([]float64, nv)
	g := make([]float64, nl+nv)
	v, n := bundleMin(ctx, x0, budget, lb, func(x []float64) {
		for q := nl; q < len(x); q++ {
			x[q] = math.Max(0, x[q])
		}
	}, func(x []float64) (float64, []float64) {
		copy(r.lambda, x[:nl])
		for q := range nu {
			nu[q] = sigma * x[nl+q]
		}
		r.setClassPrices(nu)
		v, _ := r.evaluate()
		copy(g, r.grad)
		r.classGrad(g[nl:])
		for q := nl; q < len(g); q++ {
			// At a price of 0 a class with seats to spare pushes its price
			// below 0, out of the feasible set; dropping that component
			// (adding a normal of the set ν ≥ 0) keeps the cut valid on it.
			if x[q] <= 0 && g[q] > 0 {
				g[q] = 0
			}
			g[q] *= sigma
		}
		return v, g
	})
	clear(r.rooms.nu)
	r.setClassPrices(r.rooms.nu)
	return v, n
}

// withMargin is a smallest evaluated L with a small margin that absorbs
// floating-point rounding in the sums: the bound reported.
func withMargin(best float64) float64 {
	return best + 1e-9*math.Max(1, math.Abs(best))
}

func newRelax(p *model.Problem, workers int) *relax {
	T, S := p.T(), len(p.Students)
	r := &relax{p: p, T: T, S: S, workers: workers,
		lambda:  make([]float64, S*T*2),
		grad:    make([]float64, S*T*2),
		best:    make([]sessionBest, T*len(p.Skills)*2),
		roomOK:  make([]bool, T*2),
		indep:   make([]float64, S*T),
		allowed: make([]uint8, S*T),
	}
	r.off = make([]int, len(p.Skills))
	for k, list := range p.BySkill {
		r.off[k] = r.nfocus
		r.nfocus += len(list)
		for _, i := range list {
			r.mastery = append(r.mastery, p.Students[i].FocusOn(k).Mastery)
		}
	}
	r.base = make([]float64, T*r.nfocus*2)
	for t := 0; t < T; t++ {
		for k, list := range p.BySkill {
			for pos, i := range list {
				for m := model.Group; m <= model.Tutor; m++ {
					r.base[(t*r.nfocus+r.off[k]+pos)*2+int(m)] = sharedValue(p, i, t, m, k)
				}
			}
		}
	}
	for t := 0; t < T; t++ {
		for m := model.Group; m <= model.Tutor; m++ {
			for x := range p.Rooms {
				rm := &p.Rooms[x]
				if rm.Allows(m) && rm.Avail[t] && rm.Stations > 0 && rm.Capacity >= p.MinSize(m) {
					r.roomOK[t*2+int(m)] = true
				}
			}
		}
	}
	r.initChoices()
	r.initContinuity()
	r.dropLoneGroups()
	r.initRooms()
	r.bestValue = math.Inf(1)
	r.bestLambda = make([]float64, len(r.lambda))
	r.bestChose = make([]bool, S*T)
	return r
}

// initChoices sets every student-slot's best independent value (indep) and
// its allowed choices: the modes its availability, the rooms, the teachers'
// subjects and its pin allow. A pin that leaves no choice (one the
// relaxation cannot honour) is relaxed to the choices without it.
func (r *relax) initChoices() {
	p := r.p
	T := r.T
	free := map[int]uint8{} // choices before the pin, of pinned student-slots
	for i := range p.Students {
		st := &p.Students[i]
		for t := 0; t < T; t++ {
			k := i*T + t
			r.indep[k] = math.NaN()
			if !st.Avail[t] {
				continue
			}
			pn := p.Pin(i, t)
			for x := range p.Rooms {
				if !p.IndepRoomOK(i, t, x) || (pn != nil && pn.Room >= 0 && pn.Room != x) {
					continue
				}
				if v := p.IndepValue(i, t, x); math.IsNaN(r.indep[k]) || v > r.indep[k] {
					r.indep[k] = v
				}
			}
			mask := uint8(1)
			if !math.IsNaN(r.indep[k]) {
				mask |= 2
			}
			if r.teachable(i, t) {
				if r.roomOK[t*2] && p.P.GroupMax >= p.P.GroupMin && p.P.GroupMax >= 1 {
					mask |= 4
				}
				if r.roomOK[t*2+1] && p.P.TutoringMax >= 1 {
					mask |= 8
				}
			}
			if pn != nil {
				free[k] = mask
				mask &^= 1 // a pinned student-slot is placed
				switch {
				case pn.Mode == model.Indep:
					mask &= 2
				case pn.Mode == model.Group:
					mask &= 4
				case pn.Mode == model.Tutor:
					mask &= 8
				case pn.Teacher >= 0 || pn.Skill >= 0:
					mask &= 4 | 8
				}
				if pn.Room >= 0 {
					rm := &p.Rooms[pn.Room]
					for m := model.Group; m <= model.Indep; m++ {
						if !rm.Allows(m) {
							mask &^= modeBit(m)
						}
					}
				}
			}
			r.allowed[k] = mask
		}
	}
	for k, mask := range free {
		if r.allowed[k] == 0 {
			r.allowed[k] = mask
		}
	}
}

// startIEPShare sets λ to β times the IEP shares, β found by a
// golden-section search over [0, betaMax] like the seat prices' scale (L is
// convex in β): each evaluation is a valid bound and counts as an
// iteration. It returns the smallest (+Inf if ctx was done first) and leaves
// λ at the best β. The IEP shares alone were measured to be far from the
// best point of their ray (the tight public school: L = 1,074 at β = 1,
// −1,288 at β = 6.2; docs/model.md §5.1).
func (r *relax) startIEPShare(ctx context.Context, res *Result) float64 {
	share := r.iepShares()
	best := math.Inf(1)
	beta, _ := goldenMin(0, betaMax, seatSearchSteps, func(beta float64) float64 {
		if ctx.Err() != nil {
			return math.Inf(1)
		}
		for x, v := range share {
			r.lambda[x] = beta * v
		}
		v, _ := r.evaluate()
		res.Iterations++
		best = math.Min(best, v)
		return v
	})
	for x, v := range share {
		r.lambda[x] = beta * v
	}
	return best
}

// iepShares returns λ[i,t,m] = −(the IEP minutes' value of a session of
// mode m in t, spread evenly over the student's free slots): the student's
// own marginal value of a session when IEP minutes are at stake.
func (r *relax) iepShares() []float64 {
	p := r.p
	T := r.T
	lambda := make([]float64, len(r.lambda))
	for i := range p.Students {
		st := &p.Students[i]
		free := 0
		for t := 0; t < T; t++ {
			if st.Avail[t] {
				free++
			}
		}
		for m := model.Group; m <= model.Tutor; m++ {
			if free == 0 || st.MinMinutes[m] <= 0 {
				continue
			}
			share := math.Min(1, float64(st.MinMinutes[m])/float64(p.Slots[0].Minutes)/float64(free))
			for t := 0; t < T; t++ {
				if st.Avail[t] {
					v := p.P.PIEPMinute * float64(min(p.Slots[t].Minutes, st.MinMinutes[m])) * share
					lambda[(i*T+t)*2+int(m)] = -v
				}
			}
		}
	}
	return lambda
}

// goldenMin minimises f, convex on [lo, hi], by golden-section search
// (Kiefer 1953, "Sequential minimax search for a maximum", Proc. AMS 4) in
// steps evaluations (at least 2), and returns the better of the last two
// points and its value.
func goldenMin(lo, hi float64, steps int, f func(float64) float64) (float64, float64) {
	const phi = 0.6180339887498949
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := f(a), f(b)
	for range steps - 2 {
		if fa <= fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = f(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = f(b)
		}
	}
	if fb < fa {
		return b, fb
	}
	return a, fa
}

// seatPrices computes, for the seat-price start (docs/model.md §5.1), each
// student's best relaxed session value u[i,t,m] (−Inf where it can have
// none) and a reference price π_t per seat in a session of slot t: the
// surplus u − b (b the student's best value outside a session) of the
// student at the a_t·G-th place in slot t, a_t the sessions the slot can
// hold scaled down by the teachers' weekly limits.
func (r *relax) seatPrices() (u, price []float64) {
	p := r.p
	T := r.T
	G := r.seatsPerSession()
	u = make([]float64, r.S*T*2)
	for x := range u {
		u[x] = math.Inf(-1)
	}
	for t := 0; t < T; t++ {
		for k, list := range p.BySkill {
			for pos, i := range list {
				for m := 0; m < 2; m++ {
					x := (i*T+t)*2 + m
					if r.allowed[i*T+t]&modeBit(model.Mode(m)) == 0 {
						continue
					}
					u[x] = math.Max(u[x], r.base[(t*r.nfocus+r.off[k]+pos)*2+m])
				}
			}
		}
	}
	teachersAt, week := teacherSupply(p)
	avail := 0
	for _, n := range teachersAt {
		avail += n
	}
	ratio := 0.0
	if avail > 0 {
		ratio = float64(week) / float64(avail)
	}
	price = make([]float64, T)
	var surplus []float64
	for t := 0; t < T; t++ {
		surplus = surplus[:0]
		for i := 0; i < r.S; i++ {
			b := -p.P.PUnplaced
			if r.allowed[i*T+t]&2 != 0 {
				b = r.indep[i*T+t]
			}
			if d := math.Max(u[(i*T+t)*2], u[(i*T+t)*2+1]) - b; d > 0 {
				surplus = append(surplus, d)
			}
		}
		slices.SortFunc(surplus, cmpDesc)
		if seats := int(ratio * float64(teachersAt[t]*G)); seats < len(surplus) {
			price[t] = surplus[seats]
		}
	}
	return u, price
}

// seatsPerSession is G, the most students a session can hold.
func (r *relax) seatsPerSession() int {
	return max(r.p.P.GroupMax, r.p.P.TutoringMax, 1)
}

// setSeatLambda sets λ[i,t,m] = max(b[i,t] − floor·c_i, u[i,t,m] −
// α·π_t·size(m)), size 1 for a seat in a group and G for a tutoring session
// (a whole session's seats), c_i the student's full contact value and b its
// best value outside a session. With floor = +Inf every member's reduced
// value on its best skill is the seat price, so each teacher's session is
// worth at most G·α·π_t and the student side keeps what a student gains
// above the price; floor = 1 stops a student who will get no seat from
// claiming one for its contact value.
func (r *relax) setSeatLambda(u, price []float64, alpha, floor float64) {
	p := r.p
	G := float64(r.seatsPerSession())
	for x, v := range u {
		if math.IsInf(v, -1) {
			continue
		}
		size := 1.0
		if x%2 == int(model.Tutor) {
			size = G
		}
		i, t := x/2/r.T, x/2%r.T
		b := -p.P.PUnplaced
		if r.allowed[i*r.T+t]&2 != 0 {
			b = r.indep[i*r.T+t]
		}
		λ := v - alpha*price[t]*size
		if !math.IsInf(floor, 1) {
			λ = math.Max(λ, b-floor*p.P.WContact*p.Students[i].Priority*float64(max(p.P.ContactTarget, 0)))
		}
		r.lambda[x] = λ
	}
}

// startSeatPrice searches the scale α of the seat-price start for each
// floor (+Inf, then 1): L is convex in λ and λ is affine in α, so L is
// convex in α and a golden-section search (Kiefer 1953) over [0, alphaMax]
// finds its minimum to about 1 % of the interval in seatSearchSteps
// evaluations. Each evaluation is a valid bound and counts as an iteration
// (all seatSearchSteps of each floor are made, whatever the budget); it
// returns the smallest (+Inf if ctx was done first) and leaves λ at the best
// point of the floor-1 search, from which the subgradient steps go further
// (docs/model.md §5.1). With a budget of fewer than seatOneFloor iterations
// it searches floor +Inf only and leaves λ at its best point: such a run is
// left few subgradient steps, and the bundle phase does better from the
// better start.
func (r *relax) startSeatPrice(ctx context.Context, res *Result, budget int) float64 {
	u, price := r.seatPrices()
	best, startAlpha := math.Inf(1), 1.0
	floors := []float64{math.Inf(1), 1}
	if budget < seatOneFloor {
		floors = floors[:1]
	}
	for _, floor := range floors {
		fbest := math.Inf(1)
		eval := func(alpha float64) float64 {
			if ctx.Err() != nil {
				return math.Inf(1)
			}
			r.setSeatLambda(u, price, alpha, floor)
			v, _ := r.evaluate()
			res.Iterations++
			best = math.Min(best, v)
			if v < fbest {
				fbest, startAlpha = v, alpha
			}
			return v
		}
		goldenMin(0, alphaMax, seatSearchSteps, eval)
	}
	r.setSeatLambda(u, price, startAlpha, floors[len(floors)-1])
	return best
}

// seatOneFloor is the budget below which the seat-price start searches one
// floor only (startSeatPrice). Measured (seed 1, bound): generated schools
// of 2,500 / 5,000 / 10,000 students 33,746.8 → 33,742.3, 68,613 → 68,529,
// 138,560 → 138,503; the public 1,000-student school 17,509.2 → 17,509.1.
const seatOneFloor = 400

// dropLoneGroups takes the small group out of the choices of every
// student-slot that no legal group can hold: a group in slot t on skill k
// has at least max(1, GroupMin) members with k in focus, free for a group
// then, with max_group_size at least GroupMin, and masteries within one
// level band, none apart from the student, and a teacher of k's subject
// available in t. BySkill lists
// are in mastery order, so the students that some such window holds are
// found by sliding one over each list. Dropping a choice no schedule can
// make leaves the bound valid; without it the student side counts IEP group
// minutes as reachable until λ has learnt otherwise.
func (r *relax) dropLoneGroups() {
	p := r.p
	T := r.T
	lo := max(p.P.GroupMin, 1)
	band := p.P.LevelBand + model.BandTol
	NS := p.NumSubjects
	subjectAt := subjectsAt(p)
	held := make([]bool, r.S*T)
	var list []int // positions in BySkill[k] of the students free for a group
	for t := 0; t < T; t++ {
		for k, members := range p.BySkill {
			if !subjectAt[t*NS+p.Skills[k].Subject] {
				continue
			}
			list = list[:0]
			for pos, i := range members {
				if r.allowed[i*T+t]&4 != 0 && p.Students[i].MaxGroup >= lo {
					list = append(list, pos)
				}
			}
			mastery := r.mastery[r.off[k] : r.off[k]+len(members)]
			marked, end := -1, 0
			for a := range list {
				end = max(end, a)
				for end+1 < len(list) && mastery[list[end+1]]-mastery[list[a]] <= band {
					end++
				}
				if end-a+1 < lo {
					continue
				}
				for x := max(a, marked+1); x <= end; x++ {
					if i := members[list[x]]; len(p.Students[i].Apart) == 0 || r.heldApart(i, list, x, mastery, members, lo, band) {
						held[i*T+t] = true
					}
				}
				marked = end
			}
		}
	}
	for k, ok := range held {
		// A pin to a group that no legal group can hold leaves the choice
		// (the relaxation never has a student-slot without one).
		if !ok && r.allowed[k] != 4 {
			r.allowed[k] &^= 4
		}
	}
}

// heldApart reports whether some window of one level band holding student
// i (at list[x]) has at least lo students not apart from i, i included.
func (r *relax) heldApart(i int, list []int, x int, mastery []float64, members []int, lo int, band float64) bool {
	st := &r.p.Students[i]
	mi := mastery[list[x]]
	// Windows [a, a+band] with a ∈ [mi − band, mi]: slide the start over
	// the list positions at or below x whose mastery is within band of mi.
	a := x
	for a > 0 && mi-mastery[list[a-1]] <= band {
		a--
	}
	for ; a <= x; a++ {
		n := 0
		for y := a; y < len(list) && mastery[list[y]]-mastery[list[a]] <= band; y++ {
			if y == x || !st.IsApart(members[list[y]]) {
				if n++; n >= lo {
					return true
				}
			}
		}
	}
	return false
}

// teachable reports whether some teacher available in slot t teaches the
// subject of one of i's focus skills (else no session can take i then).
func (r *relax) teachable(i, t int) bool {
	p := r.p
	for _, f := range p.Students[i].Focus {
		subj := p.Skills[f.Skill].Subject
		for j := range p.Teachers {
			tc := &p.Teachers[j]
			if tc.Avail[t] && tc.Limit > 0 && tc.Subjects[subj] {
				return true
			}
		}
	}
	return false
}

// choice bits: none 1, indep 2, group 4, tutor 8. modeBit maps a mode.
func modeBit(m model.Mode) uint8 {
	switch m {
	case model.Indep:
		return 2
	case model.Group:
		return 4
	case model.Tutor:
		return 8
	}
	return 1
}

// evaluate computes L(λ) and its subgradient (into r.grad); it returns the
// value and the squared norm of the subgradient.
func (r *relax) evaluate() (float64, float64) {
	clear(r.grad)
	clear(r.rooms.chose)
	teacher := r.teacherSide()
	student := r.studentSide()
	norm := 0.0
	for _, g := range r.grad {
		norm += g * g
	}
	v := teacher + student + r.roomValue()
	if v < r.bestValue {
		r.bestValue = v
		copy(r.bestLambda, r.lambda)
		copy(r.bestChose, r.rooms.chose)
	}
	if r.progress != nil {
		r.progress(withMargin(r.bestValue))
	}
	return v, norm
}

// priceBestRooms evaluates L once more at the best λ so far with the room
// prices that clear the independent students' market there (clearRooms)
// and returns the value, or +Inf if there is no room to price.
func (r *relax) priceBestRooms() float64 {
	if math.IsInf(r.bestValue, 1) || len(r.rooms.classes) == 0 {
		return math.Inf(1)
	}
	copy(r.lambda, r.bestLambda)
	r.clearRooms(r.bestChose)
	r.priceRooms()
	v, _ := r.evaluate()
	// Back to zero prices, so that indep holds the unpriced values again.
	clear(r.rooms.mu)
	r.priceRooms()
	return v
}

// parallel runs f(0..n-1) on the workers; f must write disjoint data.
func (r *relax) parallel(n int, f func(x int)) {
	w := min(r.workers, n)
	if w <= 1 {
		for x := 0; x < n; x++ {
			f(x)
		}
		return
	}
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for x := g; x < n; x += w {
				f(x)
			}
		}(g)
	}
	wg.Wait()
}

type cand struct {
	i       int
	w       float64
	mastery float64
}

// teacherSide solves the relaxed session problems per (slot, skill, mode),
// then each teacher's choice of at most Limit slots, and records −y in grad.
func (r *relax) teacherSide() float64 {
	p := r.p
	K := len(p.Skills)
	r.parallel(r.T, func(t int) {
		var buf []cand
		var at []int32 // buf index → position in BySkill[k]
		var sc subsetScratch
		for k := 0; k < K; k++ {
			for m := model.Group; m <= model.Tutor; m++ {
				b := &r.best[(t*K+k)*2+int(m)]
				b.value, b.members = math.Inf(-1), b.members[:0]
				if !r.roomOK[t*2+int(m)] {
					continue
				}
				buf, at = buf[:0], at[:0]
				for pos, i := range p.BySkill[k] {
					if r.allowed[i*r.T+t]&modeBit(m) == 0 {
						continue
					}
					x := r.off[k] + pos
					v := r.base[(t*r.nfocus+x)*2+int(m)] - r.lambda[(i*r.T+t)*2+int(m)]
					buf = append(buf, cand{i: i, w: v, mastery: r.mastery[x]})
					at = append(at, int32(pos))
				}
				if m == model.Tutor {
					bestSubset(p, m, buf, &sc, b)
					continue
				}
				bestOrdered(p, m, buf, r.sharedGroupOrder(t, k, buf, at, &sc), &sc, b)
			}
		}
		buf = r.teachersAt(t, buf, &sc)
	})
	total := 0.0
	vals := make([]float64, r.T)
	pick := make([]int, r.T)
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		for t := 0; t < r.T; t++ {
			vals[t], pick[t] = r.tv[j*r.T+t], r.tp[j*r.T+t]
		}
		// The teacher leads at most Limit sessions: take the best slots.
		slotsBy := make([]int, 0, r.T)
		for t := 0; t < r.T; t++ {
			if pick[t] != -1 {
				slotsBy = append(slotsBy, t)
			}
		}
		slices.SortStableFunc(slotsBy, func(a, b int) int {
			switch {
			case vals[a] > vals[b]:
				return -1
			case vals[a] < vals[b]:
				return 1
			}
			return 0
		})
		if len(slotsBy) > tc.Limit {
			slotsBy = slotsBy[:max(0, tc.Limit)]
		}
		for _, t := range slotsBy {
			total += vals[t]
			b, m := r.chosen(j, t)
			for _, i := range b.members {
				r.grad[(i*r.T+t)*2+m] -= 1
			}
		}
	}
	return total
}

// sharedGroupOrder returns the order of the shared small group of skill k
// in slot t (byWeight; at maps buf to positions in BySkill[k]) and keeps it,
// as positions, for the teachers' own groups (ownOrder, continuity.go): its
// cut is widened by w_stable, the most a teacher's bonus adds to a weight,
// so that it holds every candidate an own group may need.
func (r *relax) sharedGroupOrder(t, k int, buf []cand, at []int32, sc *subsetScratch) []int {
	x := t*len(r.p.Skills) + k
	order := byWeight(r.p, model.Group, buf, r.p.P.WStable, sc, r.sharedOrder[x], at)
	shared := r.sharedOrder[x][:0]
	for _, y := range order {
		shared = append(shared, at[y])
	}
	r.sharedOrder[x] = shared
	return order
}

// relaxedValue is a member's session value with the continuity term relaxed
// to "last week had this mode in this slot" (any teacher).
func relaxedValue(p *model.Problem, i, t int, m model.Mode, k int) float64 {
	st := &p.Students[i]
	stable := false
	if st.LastAt != nil {
		for _, row := range st.Last[st.LastAt[t]:st.LastAt[t+1]] {
			stable = stable || row.Mode == m
		}
	}
	return memberValue(p, i, m, k, stable)
}

// memberValue is i's value as a member of a session of mode m on skill k,
// with w_stable when stable.
func memberValue(p *model.Problem, i int, m model.Mode, k int, stable bool) float64 {
	st := &p.Students[i]
	w := p.P.WGroup
	if m == model.Tutor {
		w = p.P.WTutor
	}
	v := w*st.FocusOn(k).Need*st.Priority + p.P.WInterest*st.Interest[p.Skills[k].Key]
	if stable {
		v += p.P.WStable
	}
	return v
}

// bestSubset finds the maximum-weight legal member set: for tutoring, 1 to
// TutoringMax students; for a small group, GroupMin to GroupMax students whose
// masteries lie within the level band. Any legal group lies in the window
// that starts at its lowest mastery, and within a window the best set is the
// GroupMin largest weights plus any further positive ones up to GroupMax, so
// the maximum over windows is exact for this relaxation. buf is in mastery
// order (BySkill's order).
func bestSubset(p *model.Problem, m model.Mode, buf []cand, sc *subsetScratch, b *sessionBest) {
	if m == model.Tutor {
		// A tutoring set is at most TutoringMax of the heaviest: only they
		// need an order.
		bestOrdered(p, m, buf, heaviest(buf, p.P.TutoringMax, sc), sc, b)
		return
	}
	bestOrdered(p, m, buf, byWeight(p, m, buf, 0, sc, nil, nil), sc, b)
}

// heaviest returns, in sc.order, the indices into buf of the (at most) h
// heaviest candidates of positive weight, by weight descending (ties by
// index): the first h of byWeight's order for a tutoring session (whose cut
// is 0), found in O(len(buf)·h) by insertion into a list of h.
func heaviest(buf []cand, h int, sc *subsetScratch) []int {
	order := sc.order[:0]
	if h <= 0 {
		sc.order = order
		return order
	}
	for x := range buf {
		w := buf[x].w
		if w <= 0 || (len(order) == h && w <= buf[order[h-1]].w) {
			continue // not above the h-th (an equal weight has a larger index)
		}
		if len(order) < h {
			order = append(order, x)
		}
		at := len(order) - 1
		for at > 0 && buf[order[at-1]].w < w {
			order[at] = order[at-1]
			at--
		}
		order[at] = x
	}
	sc.order = order
	return order
}

// pruneCut is the weight at or below which a candidate is in no member set
// of positive weight, when no candidate weighs more than maxW: a set holds a
// candidate of weight w ≤ 0 only among its lo largest (beyond them only
// positive weights join), so with at most lo−1 others, each at most maxW,
// a candidate with w ≤ −(lo−1)·maxW is in none. (Only sets of positive
// weight are ever taken.)
func pruneCut(p *model.Problem, m model.Mode, maxW float64) float64 {
	lo := 1
	if m == model.Group {
		lo = max(1, p.P.GroupMin)
	}
	return -float64(lo-1) * maxW
}

// byWeight returns the indices into buf of the candidates above pruneCut,
// by weight descending (ties by index), in sc.order; raise widens the cut
// as if some candidate weighed raise more than the heaviest (the shared
// sessions' orders serve the teachers' own sessions, whose members weigh up
// to w_stable more: continuity.go). With a hint — an earlier order, as
// positions in BySkill, and at, the positions of buf's candidates in
// increasing order — the sort starts from the hint's order (the same result,
// faster when the weights changed little).
func byWeight(p *model.Problem, m model.Mode, buf []cand, raise float64, sc *subsetScratch, hint, at []int32) []int {
	maxW := math.Inf(-1)
	for x := range buf {
		maxW = math.Max(maxW, buf[x].w)
	}
	if maxW+raise <= 0 {
		sc.order = sc.order[:0]
		return sc.order
	}
	cut := pruneCut(p, m, maxW+raise)
	// Sort (weight, index) pairs, not indices into buf: the comparisons
	// then read contiguous memory.
	keyed := sc.keyed[:0]
	if len(hint) > 0 && len(at) == len(buf) && len(buf) > 0 {
		// The previous order first, then the candidates it lacks.
		posAt := grow(&sc.posAt, int(at[len(at)-1])+1)
		for x, pos := range at {
			posAt[pos] = int32(x) + 1
		}
		for _, pos := range hint {
			if int(pos) < len(posAt) {
				if x := int(posAt[pos]) - 1; x >= 0 && buf[x].w > cut {
					keyed = append(keyed, weighted{buf[x].w, x})
					posAt[pos] = 0
				}
			}
		}
		for x, pos := range at {
			if posAt[pos] != 0 && buf[x].w > cut {
				keyed = append(keyed, weighted{buf[x].w, x})
			}
			posAt[pos] = 0
		}
		if !insertionSort(keyed, 8*len(keyed)+64) {
			slices.SortFunc(keyed, heavierFirst)
		}
	} else {
		for x := range buf {
			if buf[x].w > cut {
				keyed = append(keyed, weighted{buf[x].w, x})
			}
		}
		slices.SortFunc(keyed, heavierFirst)
	}
	sc.keyed = keyed
	order := grow(&sc.order, len(keyed))
	for r, k := range keyed {
		order[r] = k.x
	}
	return order
}

// heavierFirst orders weighted candidates by weight descending, ties by
// index: a strict total order, so every sort gives the same sequence.
func heavierFirst(a, c weighted) int {
	switch {
	case a.w > c.w:
		return -1
	case a.w < c.w:
		return 1
	}
	return a.x - c.x
}

// insertionSort sorts keyed by heavierFirst if that takes at most moves
// element moves, and reports whether it finished (else keyed is a
// permutation of its input, partly sorted). Consecutive evaluations of L
// change the weights little, so the previous order is nearly sorted.
func insertionSort(keyed []weighted, moves int) bool {
	for a := 1; a < len(keyed); a++ {
		v := keyed[a]
		b := a
		for b > 0 && heavierFirst(v, keyed[b-1]) < 0 {
			keyed[b] = keyed[b-1]
			b--
			if moves--; moves < 0 {
				keyed[b] = v
				return false
			}
		}
		keyed[b] = v
	}
	return true
}

// bestOrdered is bestSubset given order, the candidates above pruneCut by
// weight descending (ties by index into buf).
func bestOrdered(p *model.Problem, m model.Mode, buf []cand, order []int, sc *subsetScratch, b *sessionBest) {
	if len(order) == 0 {
		return
	}
	lo, hi := 1, p.P.TutoringMax
	if m == model.Group {
		lo, hi = p.P.GroupMin, p.P.GroupMax
	}
	lo = max(lo, 1)
	if hi < lo {
		return
	}
	band := p.P.LevelBand + model.BandTol
	bestStart, bestEnd := -1, -1
	best := math.Inf(-1)
	if m != model.Group {
		// Tutoring: one window, every candidate.
		n, sum := 0, 0.0
		for _, x := range order {
			if n >= hi || (n >= lo && buf[x].w <= 0) {
				break
			}
			sum += buf[x].w
			n++
		}
		if n >= lo {
			best, bestStart, bestEnd = sum, 0, len(buf)-1
		}
	} else {
		bestStart, bestEnd, best = bestWindow(buf, order, lo, hi, band, sc)
	}
	if bestStart < 0 || best <= 0 {
		return
	}
	// The members, and their value summed in weight order (the window
	// search's sums are Fenwick sums, equal up to rounding).
	n, value := 0, 0.0
	for _, x := range order {
		if x < bestStart || x > bestEnd {
			continue
		}
		if n >= hi || (n >= lo && buf[x].w <= 0) {
			break
		}
		b.members = append(b.members, buf[x].i)
		value += buf[x].w
		n++
	}
	b.value = value
}

// subsetScratch is bestSubset's reusable storage: the candidates by weight
// (order) and the window search's Fenwick trees.
type subsetScratch struct {
	order, rank, cnt []int
	sum              []float64
	keyed            []weighted
	// For a teacher's own small group (continuity.go): position in
	// BySkill → index into the candidates, and the candidates with a bonus.
	bufAt []int32
	bonus []int
	// posAt is byWeight's map from a position in BySkill to 1 + the index
	// into the candidates (0: none), all 0 between calls.
	posAt []int32
}

// weighted is a candidate's weight and its index in buf.
type weighted struct {
	w float64
	x int
}

// grow returns (*xs)[:n], reallocating when it is too short.
func grow[T any](xs *[]T, n int) []T {
	if cap(*xs) < n {
		*xs = make([]T, n)
	}
	*xs = (*xs)[:n]
	return *xs
}

// bestWindow finds the best small group over the windows of one level band
// (the caller's loop of bestSubset): it slides the window over buf (in
// mastery order) with two pointers and keeps the window's candidates of
// order (the pruned candidates, by weight descending) in Fenwick trees over
// their rank, so that the sum of a window's s largest weights costs
// O(log n) instead of a scan of order (Fenwick 1994, "A new data structure
// for cumulative frequency tables", Software: Practice and Experience 24).
// A window's best set is its lo largest weights plus its further positive
// ones up to hi. It returns the window and its value (−Inf if none).
func bestWindow(buf []cand, order []int, lo, hi int, band float64, sc *subsetScratch) (int, int, float64) {
	n := len(order)
	rank := grow(&sc.rank, len(buf))
	for x := range rank {
		rank[x] = -1
	}
	positives := 0 // ranks below this hold positive weights
	for r, x := range order {
		rank[x] = r
		if buf[x].w > 0 {
			positives = r + 1
		}
	}
	cnt := grow(&sc.cnt, n+1)
	sum := grow(&sc.sum, n+1)
	clear(cnt)
	clear(sum)
	add := func(x, c int) {
		if rank[x] < 0 {
			return
		}
		w := float64(c) * buf[x].w
		for r := rank[x] + 1; r <= n; r += r & -r {
			cnt[r] += c
			sum[r] += w
		}
	}
	// count of window candidates with rank < r
	below := func(r int) int {
		c := 0
		for ; r > 0; r -= r & -r {
			c += cnt[r]
		}
		return c
	}
	// top returns the sum of the s largest weights in the window (s ≤ its size).
	top := func(s int) float64 {
		pos, total := 0, 0.0
		step := 1
		for step*2 <= n {
			step *= 2
		}
		for ; step > 0; step /= 2 {
			if next := pos + step; next <= n && cnt[next] < s {
				pos = next
				s -= cnt[next]
				total += sum[next]
			}
		}
		// order[pos] is the s-th largest (rank pos+1, 1-based).
		return total + buf[order[pos]].w
	}
	bestStart, bestEnd, best := -1, -1, math.Inf(-1)
	prevEnd, end, size := -1, -1, 0
	for a := range buf {
		if a > 0 && a-1 <= end {
			add(a-1, -1)
			if rank[a-1] >= 0 {
				size--
			}
		}
		if end < a-1 {
			end = a - 1
		}
		for end+1 < len(buf) && buf[end+1].mastery-buf[a].mastery <= band {
			end++
			add(end, 1)
			if rank[end] >= 0 {
				size++
			}
		}
		if end <= prevEnd || end-a+1 < lo {
			continue
		}
		prevEnd = end
		if size < lo {
			continue
		}
		s := lo
		if p := below(positives); p > lo {
			s = min(p, hi)
		}
		if v := top(s); v > best {
			best, bestStart, bestEnd = v, a, end
		}
	}
	return bestStart, bestEnd, best
}
