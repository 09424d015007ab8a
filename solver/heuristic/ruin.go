package heuristic

import (
	"context"
	"math/rand/v2"
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// Ruin-and-recreate (docs/model.md §4.2): a destroy operator dissolves a few
// related sessions, their members fall back to their best remaining
// placement, and the construction's lazy greedy repairs the schedule over
// the slots concerned (Schrimpf, Schneider, Stamm-Wilbrandt & Dueck, 2000,
// "Record breaking optimization results using the ruin and recreate
// principle", J. Comput. Phys. 159(2); the operators follow the destroy
// families of Wouda, Aslan & Vis, 2023: a slot, a teacher's week, a skill's
// groups, one student's sessions, random sessions).

// destroyOp is one family of destroy operators.
type destroyOp int

const (
	destroySlot destroyOp = iota
	destroyTeacher
	destroySkill
	destroyStudent
	destroyRandom
	numDestroyOps
)

// maxRuin is the largest number of sessions one destroy dissolves.
const maxRuin = 8

// repairExtraSlots is the number of random slots the repair considers besides
// those of the dissolved sessions, on problems too large to consider all.
const repairExtraSlots = 3

// ruinRecreate applies one destroy operator and the greedy repair; the
// change is left in place (the caller accepts or rolls it back). It reports
// false if there was nothing to destroy.
func (e *engine) ruinRecreate(rng *rand.Rand, op destroyOp) bool {
	ids := e.pickRuin(rng, op)
	if len(ids) == 0 {
		return false
	}
	p, sol := e.p, e.sol
	slots := e.slots[:0]
	freed := e.freed[:0]
	for _, id := range ids {
		ss := &sol.Sessions[id]
		t := ss.Slot
		for len(ss.Members) > 0 {
			i := ss.Members[len(ss.Members)-1]
			sol.Move(i, t, model.None, -1)
			freed = append(freed, [2]int{i, t})
		}
		sol.Close(id)
		if !slices.Contains(slots, t) {
			slots = append(slots, t)
		}
	}
	for _, f := range freed {
		e.placeBest(f[0], f[1], -1)
	}
	nRuined := len(slots)
	if p.T()*len(p.Students) <= allSlotsBelow {
		for t := range p.Slots {
			if !slices.Contains(slots, t) {
				slots = append(slots, t)
			}
		}
	} else {
		for x := 0; x < repairExtraSlots; x++ {
			if t := rng.IntN(p.T()); !slices.Contains(slots, t) {
				slots = append(slots, t)
			}
		}
	}
	e.initTeacherSlack()
	// Candidates: every skill in the slots of the dissolved sessions (their
	// students and teachers are free there now); elsewhere only the
	// subjects of the teachers who lost a session (their weekly budget is
	// what was freed).
	subj := e.subj[:0]
	for range p.NumSubjects {
		subj = append(subj, false)
	}
	for _, id := range ids {
		for s, ok := range p.Teachers[sol.Sessions[id].Teacher].Subjects {
			subj[s] = subj[s] || ok
		}
	}
	e.subj = subj
	items := e.items[:0]
	for x, t := range slots {
		switch {
		case x < nRuined:
			items = e.slotCandidates(t, items, nil)
		case e.anyFreeTeacher(ids, t):
			items = e.slotCandidates(t, items, subj)
		}
	}
	e.noise = rng
	e.lazyGreedy(context.Background(), items, 0)
	e.noise = nil
	e.items = items[:0]
	// Students the repair left without a place (rooms were full) get one now.
	for _, f := range freed {
		if sol.Mode(f[0], f[1]) == model.None {
			e.placeBest(f[0], f[1], -1)
		}
	}
	// The dissolved sessions' slots get their rooms reassigned (§4.3).
	for _, t := range slots[:nRuined] {
		e.optimizeRooms(t)
	}
	e.slots, e.freed = slots, freed
	return true
}

// pickRuin chooses the sessions operator op dissolves: never a session that
// holds a pinned student.
func (e *engine) pickRuin(rng *rand.Rand, op destroyOp) []int {
	sol := e.sol
	alive := e.alive[:0]
	for id := range sol.Sessions {
		if sol.Sessions[id].Alive && !e.locked(id) && !e.frozenSession(id) {
			alive = append(alive, id)
		}
	}
	e.alive = alive
	if len(alive) == 0 {
		return nil
	}
	q := 1 + rng.IntN(min(maxRuin, len(alive)))
	seed := &sol.Sessions[alive[rng.IntN(len(alive))]]
	related := func(id int) bool {
		ss := &sol.Sessions[id]
		switch op {
		case destroySlot:
			return ss.Slot == seed.Slot
		case destroyTeacher:
			return ss.Teacher == seed.Teacher
		case destroySkill:
			return ss.Skill == seed.Skill
		case destroyStudent:
			return e.student >= 0 && sol.Mode(e.student, ss.Slot).IsSession() && sol.Ref(e.student, ss.Slot) == id
		}
		return true
	}
	e.student = -1
	if op == destroyStudent {
		e.student = seed.Members[rng.IntN(len(seed.Members))]
	}
	// A random subset of the related sessions, of size at most q.
	pick := e.pickIDs[:0]
	for _, id := range alive {
		if related(id) {
			pick = append(pick, id)
		}
	}
	rng.Shuffle(len(pick), func(a, b int) { pick[a], pick[b] = pick[b], pick[a] })
	if len(pick) > q {
		pick = pick[:q]
	}
	e.pickIDs = pick
	return pick
}

// anyFreeTeacher reports whether a teacher of the dissolved sessions ids is
// available, free and below its weekly limit in slot t.
func (e *engine) anyFreeTeacher(ids []int, t int) bool {
	p, sol := e.p, e.sol
	for _, id := range ids {
		j := sol.Sessions[id].Teacher
		if tc := &p.Teachers[j]; tc.Avail[t] && sol.Busy(j, t) < 0 && sol.TeacherSessions(j) < tc.Limit {
			return true
		}
	}
	return false
}

// Adaptive operator selection (Ropke & Pisinger 2006, §4): each destroy
// operator is drawn with probability proportional to its weight; every
// segmentLength moves, a weight moves towards the mean score its operator
// earned in the segment (reaction factor reaction): scoreBest for a new best
// schedule, scoreImproved for a better current one, scoreAccepted for an
// accepted move, 0 for a rejected one.
const (
	scoreBest     = 10.0
	scoreImproved = 4.0
	scoreAccepted = 1.0
	segmentLength = 50
	reaction      = 0.2
	minWeight     = 0.05
)

type operatorWeights struct {
	weight [numDestroyOps]float64
	score  [numDestroyOps]float64
	used   [numDestroyOps]int
	moves  int
}

func newOperatorWeights() *operatorWeights {
	w := &operatorWeights{}
	for op := range w.weight {
		w.weight[op] = 1
	}
	return w
}

// pick draws an operator by roulette wheel.
func (w *operatorWeights) pick(rng *rand.Rand) destroyOp {
	total := 0.0
	for _, x := range w.weight {
		total += x
	}
	u := rng.Float64() * total
	for op, x := range w.weight {
		if u < x {
			return destroyOp(op)
		}
		u -= x
	}
	return numDestroyOps - 1
}

// record adds an outcome and, at the end of a segment, updates the weights.
func (w *operatorWeights) record(op destroyOp, score float64) {
	w.score[op] += score
	w.used[op]++
	if w.moves++; w.moves%segmentLength != 0 {
		return
	}
	for o := range w.weight {
		if w.used[o] > 0 {
			w.weight[o] = max(minWeight, (1-reaction)*w.weight[o]+reaction*w.score[o]/float64(w.used[o]))
		}
		w.score[o], w.used[o] = 0, 0
	}
}
