package heuristic

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/weekplan/weekplan/solver/model"
)

// Options configure Improve.
type Options struct {
	// Seed drives the random choices of the search.
	Seed uint64
	// Effort is the number of iterations; each iteration is one batch of moves
	// (docs/model.md §4.2).
	Effort int
	// Target, when HasTarget, is a proven upper bound: the search stops once
	// the incumbent reaches it.
	Target    float64
	HasTarget bool
	// Progress, when set, is called after every iteration.
	Progress func(iteration int, objective float64)
	// Churn, when set, limits how far the search moves from the solution's
	// reference (stable.go, docs/model.md §7.3).
	Churn *ChurnLimit
}

// Stats say how the search went.
type Stats struct {
	Iterations int
	Cancelled  bool
	Optimal    bool
}

const eps = 1e-9

// rebuildsPerIteration is the number of rebuild moves per iteration.
const rebuildsPerIteration = 8

// opensPerIteration is the number of teachers offered an extra session per
// iteration.
const opensPerIteration = 4

// rebuildSlots is the number of random slots a rebuild tries besides the
// dissolved session's own.
const rebuildSlots = 4

// allSlotsBelow: on problems of at most this many student-slots a rebuild
// tries every slot.
const allSlotsBelow = 10_000

// Improve runs the search on sol in place (docs/model.md §4.2) and leaves
// in sol the best schedule it has seen, so the objective never decreases,
// and a larger Effort never ends worse than a smaller one: the first k
// iterations do the same work whatever the Effort.
//
// One iteration is a batch of moves, in a fixed order:
//
//   - ruin and recreate: a few related sessions are dissolved and the
//     construction's greedy repairs (ruin.go); the result is kept under late
//     acceptance, so it may be worse than before;
//   - relocate: every student of one random slot moves to its best
//     placement there (another independent room, or an existing session it may
//     join), then the slot's rooms are reassigned exactly (rooms.go), the
//     swaps of swapSlot are made, and the slot's sessions get the teachers
//     that maximise continuity (reteach.go);
//   - rebuild: for a few random sessions, dissolve the session (members move
//     to their best other placement) and let its teacher open the best session
//     over all its free slots, the dissolved one's included — this re-optimises
//     skill, mode and members and moves a session between slots, in the manner
//     of the destroy/repair pairs of Ropke & Pisinger (2006);
//   - open: a few teachers in turn, if below their weekly limit, open their
//     best session, if any gains.
//
// Each move is evaluated with exact incremental deltas (model.Solution) and
// rolled back through the solution's journal when it is not kept.
func Improve(ctx context.Context, sol *model.Solution, opt Options) Stats {
	p := sol.P
	e := newEngine(p, sol)
	e.initTeacherSlack()
	e.limit = opt.Churn
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	var st Stats
	rebuilds := rebuildsPerIteration
	next := 0
	// Late acceptance (Burke & Bykov, 2017) of ruin-and-recreate moves: a
	// move is kept if it is no worse than the current objective or than the
	// objective lateAcceptance moves ago. The best schedule seen is kept
	// aside and returned.
	best := sol.Clone()
	history := make([]float64, lateAcceptance)
	for x := range history {
		history[x] = sol.Objective()
	}
	moves := 0
	ops := newOperatorWeights()
	ruins := min(maxRuinsPerIteration, max(minRuinsPerIteration, ruinWork/max(1, p.T()*len(p.Students))))
	for it := 0; it < opt.Effort; it++ {
		if opt.HasTarget && best.Objective() >= opt.Target-1e-6*max(1, abs(opt.Target)) {
			st.Optimal = true
			break
		}
		if ctx.Err() != nil {
			st.Cancelled = true
			break
		}
		for r := 0; r < ruins; r++ {
			before := sol.Objective()
			op := ops.pick(rng)
			sol.Begin()
			if !e.ruinRecreate(rng, op) {
				sol.Rollback()
				break
			}
			after := sol.Objective()
			v := moves % lateAcceptance
			score := 0.0
			if (after >= before-eps || after >= history[v]-eps) && e.withinLimit() {
				sol.Commit()
				score = scoreAccepted
				if after > before+eps {
					score = scoreImproved
				}
				if after > best.Objective()+eps {
					score = scoreBest
				}
			} else {
				sol.Rollback()
			}
			ops.record(op, score)
			history[v] = sol.Objective()
			moves++
			e.keepBest(best)
		}
		t := rng.IntN(p.T())
		e.relocateSlot(t)
		e.swapSlot(t)
		e.reteachSlot(t)
		for r := 0; r < rebuilds; r++ {
			if ctx.Err() != nil {
				break
			}
			e.rebuild(rng)
		}
		// Teachers below their limit, a few per iteration in turn.
		for x := 0; x < min(opensPerIteration, len(p.Teachers)); x++ {
			e.openBest(next % len(p.Teachers))
			next++
		}
		e.keepBest(best)
		st.Iterations++
		if opt.Progress != nil {
			opt.Progress(st.Iterations, best.Objective())
		}
	}
	if best.Objective() > sol.Objective() {
		sol.CopyFrom(best)
	}
	return st
}

// keepBest copies the current solution into best if it is better.
func (e *engine) keepBest(best *model.Solution) {
	if e.sol.Objective() > best.Objective()+eps {
		best.CopyFrom(e.sol)
	}
}

// The number of ruin-and-recreate moves per iteration is ruinWork divided by
// the number of student-slots, within [minRuinsPerIteration,
// maxRuinsPerIteration]: a small school, whose moves are cheap, gets many
// per unit of effort.
const (
	ruinWork             = 720_000
	minRuinsPerIteration = 4
	maxRuinsPerIteration = 64
)

// lateAcceptance is the length of the late-acceptance history.
const lateAcceptance = 20

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// relocateSlot moves every student of slot t to its best placement there.
func (e *engine) relocateSlot(t int) {
	e.places.index(e.p, e.sol, t)
	for i := range e.p.Students {
		e.relocate(i, t)
	}
	e.optimizeRooms(t)
}

// relocate moves i in slot t to its best feasible placement if that improves.
// A student without a pin there looks only at the slot's sessions on its
// focus skills and at one room with a free place per value class
// (slotPlaces), which is every placement that could be best: the work per
// student does not grow with the school's teachers and rooms.
func (e *engine) relocate(i, t int) {
	p, sol := e.p, e.sol
	if !p.Students[i].Avail[t] || e.frozen(i, t) {
		return
	}
	cur, ref := sol.Mode(i, t), sol.Ref(i, t)
	if cur.IsSession() {
		ss := &sol.Sessions[ref]
		if ss.Mode == model.Group && len(ss.Members) <= p.P.GroupMin {
			return
		}
	}
	bestM, bestRef, bestD := model.None, -1, eps
	try := func(m model.Mode, ref int) {
		if d := sol.DeltaMove(i, t, m, ref); d > bestD {
			bestM, bestRef, bestD = m, ref, d
		}
	}
	if p.Pin(i, t) != nil {
		// A pinned student: every room and teacher, under the pin.
		for r := range p.Rooms {
			if !(cur == model.Indep && r == ref) && sol.CanIndep(i, t, r) {
				try(model.Indep, r)
			}
		}
		for j := range p.Teachers {
			if id := sol.Busy(j, t); id >= 0 && !(cur.IsSession() && id == ref) && sol.CanJoin(i, id) {
				try(sol.Sessions[id].Mode, id)
			}
		}
	} else {
		pl := &e.places
		st := &p.Students[i]
		for c := range pl.classes {
			if st.NeedsAccessible && !pl.accessible[c] {
				continue
			}
			if r := pl.free(sol, t, c); r >= 0 && !(cur == model.Indep && r == ref) {
				try(model.Indep, r)
			}
		}
		for _, f := range st.Focus {
			for _, id := range pl.bySkill[f.Skill] {
				if sol.Sessions[id].Alive && !(cur.IsSession() && id == ref) && sol.CanJoin(i, id) {
					try(sol.Sessions[id].Mode, id)
				}
			}
		}
	}
	// Every candidate but the reference placement changes the churn alike,
	// so checking the best one is checking them all.
	if bestM == model.None || !e.admitsMove(i, t, bestM, bestRef) {
		return
	}
	sol.Move(i, t, bestM, bestRef)
	switch {
	case cur == model.Indep:
		e.places.release(ref)
	case cur.IsSession():
		e.places.release(sol.Sessions[ref].Room)
		if len(sol.Sessions[ref].Members) == 0 {
			sol.Close(ref)
		}
	}
}

// slotPlaces indexes one slot's placements for relocate: the slot's sessions
// by skill, and the rooms of independent work by value class. A student's
// value in a room depends only on the room's topic (and the room must be
// accessible if the student needs it), so the rooms of one topic and
// accessibility are alike to every student, and relocate needs one with a
// free place per class: a cursor per class passes the rooms found full, and
// steps back when a room before it frees a place.
type slotPlaces struct {
	bySkill    [][]int // skill → the slot's session ids
	classOf    []int   // room → class, -1 for a room without independent work
	posOf      []int   // room → its position in its class
	classes    [][]int // class → its rooms, by index
	accessible []bool  // class → whether its rooms are accessible
	cursor     []int
}

// index builds the index of slot t; the room classes are built once.
func (pl *slotPlaces) index(p *model.Problem, sol *model.Solution, t int) {
	if pl.classOf == nil {
		pl.classOf, pl.posOf = make([]int, len(p.Rooms)), make([]int, len(p.Rooms))
		class := map[[2]int]int{}
		for r := range p.Rooms {
			rm := &p.Rooms[r]
			pl.classOf[r] = -1
			if !rm.Allows(model.Indep) || rm.Capacity <= 0 {
				continue
			}
			acc := 0
			if rm.Accessible {
				acc = 1
			}
			c, ok := class[[2]int{rm.Key, acc}]
			if !ok {
				c = len(pl.classes)
				class[[2]int{rm.Key, acc}] = c
				pl.classes = append(pl.classes, nil)
				pl.accessible = append(pl.accessible, rm.Accessible)
			}
			pl.classOf[r], pl.posOf[r] = c, len(pl.classes[c])
			pl.classes[c] = append(pl.classes[c], r)
		}
		pl.cursor = make([]int, len(pl.classes))
		pl.bySkill = make([][]int, len(p.Skills))
	}
	clear(pl.cursor)
	for k := range pl.bySkill {
		pl.bySkill[k] = pl.bySkill[k][:0]
	}
	for j := range p.Teachers {
		if id := sol.Busy(j, t); id >= 0 {
			k := sol.Sessions[id].Skill
			pl.bySkill[k] = append(pl.bySkill[k], id)
		}
	}
}

// free returns the first room of class c with a free place in slot t, or -1.
func (pl *slotPlaces) free(sol *model.Solution, t, c int) int {
	rooms := pl.classes[c]
	for ; pl.cursor[c] < len(rooms); pl.cursor[c]++ {
		r := rooms[pl.cursor[c]]
		if rm := &sol.P.Rooms[r]; rm.Avail[t] && sol.RoomLoad(t, r) < rm.Capacity {
			return r
		}
	}
	return -1
}

// release notes that room r gained a free place.
func (pl *slotPlaces) release(r int) {
	if c := pl.classOf[r]; c >= 0 {
		pl.cursor[c] = min(pl.cursor[c], pl.posOf[r])
	}
}

// swapSlot tries, for every session in slot t and every student outside it
// with the session's skill in focus, to exchange the student with one of the
// members: the member takes the student's place (its session or its
// independent room), the student the member's seat. It keeps the first
// exchange that improves the objective for each student. A relocation
// cannot do this when the session is full, or when the band only has room
// for one of the two (Schaerf 1999, "A survey of automated timetabling",
// treats swaps as the companion neighbourhood of moves).
//
// For a small group only students whose mastery lies within the band of all
// members but one can take a seat: the candidates are a window of the skill's
// students, who are sorted by mastery (BySkill), found by binary search.
func (e *engine) swapSlot(t int) {
	p, sol := e.p, e.sol
	for j := range p.Teachers {
		id := sol.Busy(j, t)
		if id < 0 {
			continue
		}
		ss := &sol.Sessions[id]
		list := p.BySkill[ss.Skill]
		if ss.Mode == model.Group && len(ss.Members) >= 2 {
			list = e.bandWindow(ss, list)
		}
		for _, i := range list {
			if p.Students[i].Avail[t] && !e.frozen(i, t) && !(sol.Mode(i, t).IsSession() && sol.Ref(i, t) == id) {
				e.trySwap(i, t, id)
			}
		}
	}
}

// bandWindow returns the part of list (the students of the group's skill,
// by increasing mastery) whose mastery lies within the level band of the
// group's second-lowest and second-highest members: whoever of the members
// leaves, a newcomer must be within the band of those two.
func (e *engine) bandWindow(ss *model.Session, list []int) []int {
	p := e.p
	mastery := func(i int) float64 { return p.Students[i].FocusOn(ss.Skill).Mastery }
	lo1, lo2, hi1, hi2 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, x := range ss.Members {
		m := mastery(x)
		if m < lo1 {
			lo1, lo2 = m, lo1
		} else if m < lo2 {
			lo2 = m
		}
		if m > hi1 {
			hi1, hi2 = m, hi1
		} else if m > hi2 {
			hi2 = m
		}
	}
	band := p.P.LevelBand + model.BandTol
	from := sort.Search(len(list), func(x int) bool { return mastery(list[x]) >= hi2-band })
	to := sort.Search(len(list), func(x int) bool { return mastery(list[x]) > lo2+band })
	if from >= to {
		return nil
	}
	return list[from:to]
}

// trySwap exchanges i with the first member of session b whose exchange
// improves the objective (see swapSlot); it reports whether it did.
func (e *engine) trySwap(i, t, b int) bool {
	sol := e.sol
	mA, a := sol.Mode(i, t), sol.Ref(i, t)
	if mA == model.None {
		return false
	}
	ss := &sol.Sessions[b]
	mB, k := ss.Mode, ss.Skill
	mi := e.p.Students[i].FocusOn(k).Mastery
	e.members = append(e.members[:0], ss.Members...)
	// A member's value does not depend on the other members, so the
	// exchange changes the objective by the two moves' own deltas: only a
	// gain is worth the band and feasibility tests, which need the moves.
	gain := sol.DeltaMove(i, t, mB, b)
	for _, o := range e.members {
		if gain+sol.DeltaMove(o, t, mA, a) <= eps || e.frozen(o, t) || mB == model.Group && !e.bandWithout(mi, b, o) {
			continue
		}
		sol.Begin()
		d := sol.Move(i, t, model.None, -1) + sol.Move(o, t, model.None, -1)
		ok := sol.CanJoin(i, b)
		if ok {
			d += sol.Move(i, t, mB, b)
			if mA == model.Indep {
				ok = sol.CanIndep(o, t, a)
			} else {
				ok = sol.CanJoin(o, a)
			}
		}
		if ok {
			d += sol.Move(o, t, mA, a)
		}
		if ok && d > eps && e.withinLimit() {
			sol.Commit()
			return true
		}
		sol.Rollback()
	}
	return false
}

// bandWithout reports whether mastery m lies within the level band of every
// member of group b but o: a cheap test that rules out most exchanges
// before they are tried.
func (e *engine) bandWithout(m float64, b, o int) bool {
	ss := &e.sol.Sessions[b]
	for _, x := range ss.Members {
		if x != o && !e.p.InBand(m, e.p.Students[x].FocusOn(ss.Skill).Mastery) {
			return false
		}
	}
	return true
}

// placeBest moves i (just taken out of a session, so momentarily without a
// placement in the solver's eyes) to its best placement in slot t other than
// session `not`; it returns the objective change, or false if there is none.
func (e *engine) placeBest(i, t, not int) (float64, bool) {
	p, sol := e.p, e.sol
	bestM, bestRef, bestD, found := model.None, -1, 0.0, false
	for r := range p.Rooms {
		if sol.CanIndep(i, t, r) {
			if d := sol.DeltaMove(i, t, model.Indep, r); !found || d > bestD {
				bestM, bestRef, bestD, found = model.Indep, r, d, true
			}
		}
	}
	for j := range p.Teachers {
		id := sol.Busy(j, t)
		if id < 0 || id == not || !sol.CanJoin(i, id) {
			continue
		}
		m := sol.Sessions[id].Mode
		if d := sol.DeltaMove(i, t, m, id); !found || d > bestD {
			bestM, bestRef, bestD, found = m, id, d, true
		}
	}
	if !found {
		return 0, false
	}
	return sol.Move(i, t, bestM, bestRef), true
}

// locked reports whether a session holds a pinned student (then its
// teacher, slot, mode, room and skill stay).
func (e *engine) locked(id int) bool {
	ss := &e.sol.Sessions[id]
	for _, i := range ss.Members {
		if e.p.Pin(i, ss.Slot) != nil {
			return true
		}
	}
	return false
}

// dissolve empties session id into the members' best other placements and
// closes it; it returns the change, or false if a member has nowhere to go
// (then the caller rolls back).
func (e *engine) dissolve(id int) (float64, bool) {
	sol := e.sol
	ss := &sol.Sessions[id]
	t := ss.Slot
	members := append([]int(nil), ss.Members...)
	d := 0.0
	for _, i := range members {
		// Step out to unplaced first so that the best destination is judged
		// without the session itself.
		d += sol.Move(i, t, model.None, -1)
	}
	sol.Close(id)
	for _, i := range members {
		x, ok := e.placeBest(i, t, -1)
		if !ok {
			return d, false
		}
		d += x
	}
	return d, true
}

// rebuild dissolves a random unpinned session and lets its teacher open the
// best session over all its free slots; kept only if the objective improves.
func (e *engine) rebuild(rng *rand.Rand) {
	sol := e.sol
	n := len(sol.Sessions)
	if n == 0 {
		return
	}
	id := rng.IntN(n)
	if !sol.Sessions[id].Alive || e.locked(id) || e.frozenSession(id) {
		return
	}
	j := sol.Sessions[id].Teacher
	churn0 := sol.Churn()
	sol.Begin()
	d, ok := e.dissolve(id)
	if ok {
		// The teacher's best session over the dissolved slot and a few
		// random other slots (all slots would cost T session evaluations).
		t0 := sol.Sessions[id].Slot
		best := e.best(j, t0)
		if best.ok {
			best.members = append([]int(nil), best.members...)
		}
		tries := rebuildSlots
		if e.p.T()*len(e.p.Students) <= allSlotsBelow {
			tries = e.p.T()
		}
		for x := 0; x < tries; x++ {
			t := x
			if tries == rebuildSlots {
				t = rng.IntN(e.p.T())
			}
			if c := e.best(j, t); c.ok && (!best.ok || c.gain > best.gain+1e-12) {
				best = c
				best.members = append([]int(nil), c.members...)
			}
		}
		if best.ok {
			d += e.apply(&best)
		}
	}
	if ok && e.accepts(d, churn0) {
		sol.Commit()
	} else {
		sol.Rollback()
	}
}

// bestOverSlots is teacher j's best candidate session over its free slots.
func (e *engine) bestOverSlots(j int) candidate {
	var best candidate
	for t := range e.p.Slots {
		if c := e.best(j, t); c.ok && (!best.ok || c.gain > best.gain+1e-12) {
			best = c
			best.members = append([]int(nil), c.members...)
		}
	}
	return best
}

// openBest opens teacher j's best session if j has budget and it gains.
func (e *engine) openBest(j int) {
	if e.sol.TeacherSessions(j) >= e.p.Teachers[j].Limit {
		return
	}
	if c := e.bestOverSlots(j); c.ok && c.gain > eps {
		e.applyAdmitted(&c)
	}
}
