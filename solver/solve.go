package solver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/weekplan/weekplan/solver/bound"
	"github.com/weekplan/weekplan/solver/heuristic"
	"github.com/weekplan/weekplan/solver/model"
)

// Options configure Solve. The zero value is a sensible default.
type Options struct {
	// Seed drives every random choice; the same instance, Seed and Effort give
	// byte-identical schedules.
	Seed int64
	// Effort is the deterministic work limit. One unit is one iteration of
	// each of the two search chains — two on schools of 1,501 to 4,000
	// student-slots, whose iterations are cheap; one and a half above
	// 40,000, whose bound has a fixed budget — (a batch of moves: ruin-and-recreate
	// moves, more of them on small schools, one slot of relocations and
	// room reassignment, eight session rebuilds, a few open attempts) plus
	// up to 20 subgradient iterations of the bound, capped for large
	// schools by a budget proportional to Effort / (students × slots). Zero
	// means DefaultEffort.
	Effort int
	// Workers is the number of goroutines the bound's subproblems and the
	// search chains run on. Zero means 2. The result does not depend on it:
	// each subproblem writes its own slot of the result, the sums are taken
	// in a fixed order, and the chains meet and are compared at fixed
	// iteration counts, in a fixed order.
	Workers int
	// Progress, when set, is called after each unit of work with the current
	// incumbent and bound, and before the search, while the bound is being
	// computed, after each of its evaluations that lowers it (Iteration 0,
	// the construction's objective). Calls come one at a time, not always
	// from the same goroutine. The caller rate-limits it.
	Progress func(Progress)
	// Previous, when set, makes the solve stable (docs/model.md §7): it is
	// the schedule being adjusted (the week's current version), and the new
	// schedule changes as few of its placements as it can. The search starts
	// from Previous rebuilt under inst instead of the greedy construction,
	// keeping every placement still feasible. Ids inst does not know (a
	// removed student, teacher or room) are tolerated: their placements
	// cannot be kept. A Previous of another school or week is an error
	// wrapping ErrInvalidPrevious.
	Previous *Schedule
	// MaxChurn limits how many student-slots may differ from Previous (see
	// Churn); it is ignored without Previous. The placements the new
	// instance forces to change (Result.ForcedChurn) always may, so the
	// limit is max(MaxChurn, ForcedChurn). Zero, the default, allows those
	// only: every other placement of Previous is kept. Negative: no limit —
	// the search starts from Previous and makes any improvement.
	MaxChurn int
}

// DefaultEffort is the work limit used when Options.Effort is zero.
const DefaultEffort = 100

// Progress is a snapshot of a running solve.
type Progress struct {
	Iteration int
	Objective float64
	Bound     float64
	HasBound  bool
}

// Result is what Solve returns: the schedule and its statistics.
type Result struct {
	Schedule *Schedule
	// Score is the §4 objective of Schedule, term by term, as the checker scores it.
	Score Score
	// Bound is a proven upper bound on the best objective; valid only if HasBound.
	Bound    float64
	HasBound bool
	// Optimal is true when the bound meets the objective (within 1e-6).
	Optimal bool
	// Iterations is the number of improvement iterations done.
	Iterations int
	// Stopped says why the search stopped: "effort", "optimal" or "cancelled"
	// (the context's deadline or cancellation cut the work short).
	Stopped string
	// ConstructionObjective is the objective of the greedy construction (of
	// the warm start with Options.Previous), before improvement.
	ConstructionObjective float64
	// BoundIterations is the number of subgradient iterations of the bound.
	BoundIterations int
	// Churn is the number of student-slots whose placement differs from
	// Options.Previous (Churn(inst, Previous, Schedule)); 0 without Previous.
	Churn int
	// ForcedChurn is the churn of the warm start, before the search: the
	// placements the new instance forced to change and where the displaced
	// students went (docs/model.md §7.2); 0 without Previous.
	ForcedChurn int
}

// Solve builds the week's schedule of inst (docs/model.md §4): it validates
// and compiles the instance, constructs a feasible schedule that honours every
// pin (or, with opt.Previous, rebuilds that schedule: §7), improves it by large-neighbourhood search until opt.Effort is spent or
// ctx is done, computes a Lagrangian upper bound, and returns the schedule
// scored by the independent checker. It never returns an invalid schedule: if
// Check finds a violation, or scores the schedule differently from the
// engine's own objective, Solve returns an error instead.
//
// The result depends only on inst, opt.Seed, opt.Effort, opt.Previous and
// opt.MaxChurn (not on opt.Workers or the machine's speed) unless ctx cuts
// the work short.
func Solve(ctx context.Context, inst *Instance, opt Options) (*Result, error) {
	if err := inst.Validate(); err != nil {
		return nil, err
	}
	c, err := compile(inst)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInstance, err)
	}
	var sol *model.Solution
	var cut bool
	var limit *heuristic.ChurnLimit
	if opt.Previous != nil {
		ref, err := c.reference(opt.Previous)
		if err != nil {
			return nil, err
		}
		if sol, cut, err = heuristic.WarmStart(ctx, c.p, ref); err != nil {
			return nil, c.rejectPins(err, "rebuilding the previous schedule")
		}
		if opt.MaxChurn >= 0 {
			limit = &heuristic.ChurnLimit{Max: max(opt.MaxChurn, sol.Churn()), Freeze: opt.MaxChurn == 0}
		}
	} else if sol, cut, err = heuristic.Construct(ctx, c.p); err != nil {
		return nil, c.rejectPins(err, "constructing a schedule")
	}
	res := &Result{ConstructionObjective: sol.Objective(), Stopped: "effort", ForcedChurn: sol.Churn()}
	if cut {
		res.Stopped = "cancelled"
	}
	effort := opt.Effort
	if effort <= 0 {
		effort = DefaultEffort
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 2
	}
	// The bound comes first: an incumbent that reaches it lets the search
	// stop early. (Aiming its Polyak steps at the improved incumbent
	// instead was measured to converge more slowly.) A stable re-solve aims
	// them at the construction's objective too, so that its bound is the
	// fresh solve's.
	incumbent, iepShort := sol.Objective(), shortMinutes(sol)
	if opt.Previous != nil {
		incumbent, iepShort = constructionObjective(ctx, c.p, sol)
	}
	// The capacity bound (§5.2) is cheap and guards against a Lagrangian cut
	// short by the context.
	cb := bound.Capacity(c.p)
	var boundProgress func(float64)
	if opt.Progress != nil {
		// The bound phase reports the construction and the best bound so far,
		// at iteration 0: on a large school it takes seconds.
		construction := sol.Objective()
		boundProgress = func(best float64) {
			opt.Progress(Progress{Objective: construction, Bound: math.Max(math.Min(best, cb), construction), HasBound: true})
		}
	}
	b := lagrangian(ctx, c.p, boundIterations(effort, len(inst.Students)*len(inst.Slots)), incumbent, iepShort, workers, boundProgress)
	res.BoundIterations = b.Iterations
	if !b.Valid || cb < b.Value {
		b.Value, b.Valid = cb, true
	}
	sol, st := improve(ctx, sol, searchIterations(effort, len(inst.Students)*len(inst.Slots)), workers, uint64(opt.Seed), b, limit, opt.Progress)
	res.Iterations = st.Iterations
	if st.Cancelled || cut {
		res.Stopped = "cancelled"
	}
	obj := sol.Objective()
	if err := sol.Verify(); err != nil {
		return nil, fmt.Errorf("internal error: the engine's schedule breaks a constraint: %w", err)
	}
	sched := c.decode(sol)
	sched.Objective = obj
	rep := Check(inst, sched)
	if !rep.Valid() {
		return nil, fmt.Errorf("internal error: the checker rejects the schedule: %v", rep.Violations[0])
	}
	if d := math.Abs(rep.Score.Total - obj); d > ObjectiveTolerance(obj) {
		return nil, fmt.Errorf("internal error: the engine's objective %.9g differs from the checker's %.9g", obj, rep.Score.Total)
	}
	sched.Objective = rep.Score.Total
	res.Score = rep.Score
	if opt.Previous != nil {
		res.Churn = sol.Churn()
		if got := Churn(inst, opt.Previous, sched); got != res.Churn {
			return nil, fmt.Errorf("internal error: the engine counts %d changed placements, the schedules differ in %d", res.Churn, got)
		}
		if limit != nil && res.Churn > limit.Max {
			return nil, fmt.Errorf("internal error: %d changed placements, above the limit %d", res.Churn, limit.Max)
		}
	}
	if b.Valid {
		bv := math.Max(b.Value, rep.Score.Total)
		if b.Value >= rep.Score.Total-ObjectiveTolerance(rep.Score.Total) {
			res.Bound, res.HasBound = bv, true
			sched.Bound = &bv
			if bv-rep.Score.Total <= ObjectiveTolerance(rep.Score.Total) {
				res.Optimal = true
				res.Stopped = "optimal"
			}
		}
	}
	res.Schedule = sched
	return res, nil
}

// lagrangian runs the subgradient method from each starting point that
// applies (docs/model.md §5.1) — from seat prices always, and from IEP
// shares too when the construction left IEP minutes unmet (then pricing
// them is what the bound is about) — sharing the iteration budget, side by
// side when there are two workers, and returns the smaller bound with the
// iterations of both.
func lagrangian(ctx context.Context, p *model.Problem, iterations int, incumbent float64, iepShort bool, workers int, progress func(best float64)) bound.Result {
	starts := []bound.Start{bound.SeatPrice}
	if iepShort {
		starts = append(starts, bound.IEPShare)
	}
	res := make([]bound.Result, len(starts))
	// The runs report their best bound one at a time (they may run side by
	// side), and the smaller of the two is passed on.
	var mu sync.Mutex
	least := math.Inf(1)
	report := func(v float64) {
		mu.Lock()
		defer mu.Unlock()
		if v < least {
			least = v
			progress(least)
		}
	}
	if progress == nil {
		report = nil
	}
	run := func(x, w int) {
		res[x] = bound.Lagrangian(ctx, p, bound.Options{Start: starts[x], Iterations: iterations / len(starts), Incumbent: incumbent, Workers: w, Progress: report})
	}
	if workers >= 2 && len(starts) == 2 {
		var wg sync.WaitGroup
		for x := range starts {
			wg.Add(1)
			go func() { defer wg.Done(); run(x, workers/2) }()
		}
		wg.Wait()
	} else {
		for x := range starts {
			run(x, workers)
		}
	}
	best := res[0]
	for _, r := range res[1:] {
		best.Iterations += r.Iterations
		if r.Valid && (!best.Valid || r.Value < best.Value) {
			best.Value, best.Valid = r.Value, true
		}
	}
	return best
}

// shortMinutes reports whether some student of sol misses minimum minutes.
func shortMinutes(sol *model.Solution) bool {
	for i := range sol.P.Students {
		for m := model.Group; m < model.NModes; m++ {
			if sol.Minutes(i, m) < sol.P.Students[i].MinMinutes[m] {
				return true
			}
		}
	}
	return false
}

// On a school of more than tinySchool and at most smallSchool
// student-slots (about 60 to 150 students) a unit of effort is two
// iterations of each search chain instead of one: there an iteration is
// cheap, and the search was measured to gain from twice as many within the
// time such a school is given (docs/model.md §4.2). Up to tinySchool they
// gained little for the time, which the 2-second target of the smallest
// schools does not leave. On a school of more than largeSchool
// student-slots (about 2,000 students) a unit is one and a half iterations
// (rounded down): the bound's budget there is a fixed amount of work
// (boundIterations), so with one iteration a unit the time per student fell
// from 7 ms at 1,000 students to under 3 ms at 5,000. Measured at seed 1,
// one / one and a half / two iterations a unit: generated 2,500 students
// 32,658 / 32,716 / 32,747, 5,000 students 66,119 / 66,201 / 66,264; two
// took 2,500 students to 17–20 s (of a 20-second target) and 5,000 to 25–28
// s (of 30) as the machine's speed drifted, one and a half 13 s against 17.
const (
	tinySchool  = 1_500
	smallSchool = 4_000
	largeSchool = 40_000
)

// searchIterations is the number of iterations of each search chain for an
// effort and a problem of studentSlots student-slots.
func searchIterations(effort, studentSlots int) int {
	if studentSlots > tinySchool && studentSlots <= smallSchool {
		return 2 * effort
	}
	if studentSlots > largeSchool {
		return effort + effort/2
	}
	return effort
}

// boundIterations is the number of subgradient iterations for an effort and
// a problem of studentSlots student-slots: 20 per unit of effort, but no more
// than a work budget proportional to the effort (one iteration costs about
// linear time in the student-slots), and at least 21: the seat-price line
// search's 20 evaluations (10 on a budget below 400, which leaves the rest to
// the bundle phase) and the room prices' one (docs/model.md §5.1, §5.4, §5.5).
func boundIterations(effort, studentSlots int) int {
	budget := effort * 60_000 / max(1, studentSlots)
	return max(21, min(20*effort, budget))
}

// searchChains is the number of search chains (docs/model.md §4.2): each
// starts from the construction with its own seed. The count is fixed so
// that the result does not depend on Options.Workers; with two workers the
// chains run at the same time.
const searchChains = 2

// syncEvery is the number of iterations after which the chains meet: the
// best schedule of all chains so far (ties to the first chain) replaces the
// others, and every chain goes on from it with a fresh seed. Sharing the
// best schedule this way was measured to raise the mean objective over 8
// seeds on medium-300 and small-120 (and over 2 on large-1000), within seed
// noise on the smaller schools (docs/model.md §4.2).
const syncEvery = 25

// improve runs the search chains from sol and returns the best schedule and
// the chains' summed statistics.
func improve(ctx context.Context, sol *model.Solution, effort, workers int, seed uint64, b bound.Result, limit *heuristic.ChurnLimit, progress func(Progress)) (*model.Solution, heuristic.Stats) {
	sols := make([]*model.Solution, searchChains)
	stats := make([]heuristic.Stats, searchChains)
	var best [searchChains]atomic.Uint64 // each chain's best objective, for progress reports only
	for c := range sols {
		sols[c] = sol
		if c > 0 {
			sols[c] = sol.Clone()
		}
		best[c].Store(math.Float64bits(sol.Objective()))
	}
	done := 0 // iterations of each chain before the current leg
	run := func(c int) {
		stats[c] = heuristic.Improve(ctx, sols[c], heuristic.Options{
			Seed:   seed + uint64(c)*0x9e3779b97f4a7c15 + uint64(done/syncEvery)*0x2545f4914f6cdd1d,
			Effort: min(syncEvery, effort-done), Target: b.Value, HasTarget: b.Valid,
			Progress: func(it int, obj float64) {
				best[c].Store(math.Float64bits(obj))
				if progress == nil || c != 0 {
					return
				}
				for o := range best {
					obj = math.Max(obj, math.Float64frombits(best[o].Load()))
				}
				progress(Progress{Iteration: done + it, Objective: obj, Bound: b.Value, HasBound: b.Valid})
			},
			Churn: limit,
		})
	}
	var st heuristic.Stats
	win := 0
	for ; done < effort; done += syncEvery {
		if workers >= 2 {
			var wg sync.WaitGroup
			for c := range sols {
				wg.Add(1)
				go func() { defer wg.Done(); run(c) }()
			}
			wg.Wait()
		} else {
			for c := range sols {
				run(c)
			}
		}
		for c := range sols {
			st.Iterations += stats[c].Iterations
			st.Cancelled = st.Cancelled || stats[c].Cancelled
			st.Optimal = st.Optimal || stats[c].Optimal
		}
		if win = meet(sols); st.Cancelled || st.Optimal {
			break
		}
	}
	return sols[win], st
}

// meet ends a leg of the search: each chain has left its best schedule in
// sols[c]; the best of them (ties to the first chain) is copied over the
// others, and its index returned.
func meet(sols []*model.Solution) int {
	win := 0
	for c := range sols {
		if sols[c].Objective() > sols[win].Objective()+1e-9 {
			win = c
		}
	}
	for c := range sols {
		if c != win {
			sols[c].CopyFrom(sols[win])
		}
	}
	return win
}

// rejectPins turns the engine's report of pins that no schedule honours
// together (heuristic.PinError) into a rejection of the instance naming
// those pins — the instance has no valid schedule — and wraps any other
// error with what was being done.
func (c *compiled) rejectPins(err error, doing string) error {
	var pe *heuristic.PinError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	inst := c.inst
	slot := inst.Slots[pe.Slot].ID
	var msg string
	var match func(pin *Pin) bool
	switch pe.Kind {
	case heuristic.PinRoomFull:
		room := inst.Rooms[pe.Room].ID
		msg = fmt.Sprintf("room %s has no place left for independent work in slot %s with the other pins (capacity, H3)", room, slot)
	case heuristic.PinNoSession:
		msg = fmt.Sprintf("no teacher, room and skill can hold this session placement in slot %s with the other pins "+
			"(teachers' subjects, availability and weekly limits, rooms' modes, stations and capacity, focus skills, apart; H2, H3, H5, H7)", slot)
	default:
		teacher := inst.Teachers[pe.Teacher].ID
		msg = fmt.Sprintf("the small group of teacher %s in slot %s cannot reach group_min %d: no other student can join it "+
			"(focus skill, level band, availability, apart, max_group_size or other pins) (H4)", teacher, slot, c.p.P.GroupMin)
		match = func(pin *Pin) bool {
			group := pin.Mode == SmallGroup || pin.Mode == "" && (pin.Teacher != "" || pin.Skill != "")
			return group && (pin.Teacher == "" || pin.Teacher == teacher)
		}
	}
	if pe.Student >= 0 {
		student := inst.Students[pe.Student].ID
		match = func(pin *Pin) bool { return pin.Student == student }
	}
	var probs []Problem
	for x := range inst.Pins {
		if pin := &inst.Pins[x]; pin.Slot == slot && match(pin) {
			probs = append(probs, Problem{Path: fmt.Sprintf("pins[%d]", x), Message: msg})
		}
	}
	if len(probs) == 0 {
		probs = []Problem{{Path: "pins", Message: msg}}
	}
	return &ValidationError{Problems: probs}
}
