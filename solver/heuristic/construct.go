package heuristic

import (
	"container/heap"
	"context"
	"fmt"
	"math"

	"github.com/weekplan/weekplan/solver/model"
)

// Construct builds a feasible schedule (docs/model.md §4.1): (a) the sessions
// and placements that pins force; (b) sessions opened greedily by their
// marginal gain — IEP minutes, contact, need, interest and continuity all
// enter through the exact marginal value, so IEP students come first — with
// lazy re-evaluation of teacher-slot candidates (the marginal gains only fall
// as sessions are opened, as in Minoux's accelerated greedy, 1978); (c)
// everyone else placed independently, slot by slot. It fails only if a pin
// cannot be honoured.
//
// When ctx is done, step (b) stops opening sessions (cut reports it) and step
// (c) still places everyone, so the schedule is valid however early it is cut.
func Construct(ctx context.Context, p *model.Problem) (sol *model.Solution, cut bool, err error) {
	sol = model.NewSolution(p)
	e := newEngine(p, sol)
	if err := e.placePins(); err != nil {
		return nil, false, err
	}
	e.est = estimates(p)
	cut = !e.greedySessions(ctx)
	e.est = nil
	for t := range p.Slots {
		e.placeIndependent(t)
		e.optimizeRooms(t)
	}
	return sol, cut, nil
}

// estimates is, per student-slot, the best independent value over rooms the
// student may use (capacity ignored), or −p_unplaced if there is none.
func estimates(p *model.Problem) []float64 {
	T := p.T()
	est := make([]float64, len(p.Students)*T)
	for i := range p.Students {
		for t := 0; t < T; t++ {
			best := -p.P.PUnplaced
			for r := range p.Rooms {
				if p.IndepRoomOK(i, t, r) {
					best = max(best, p.IndepValue(i, t, r))
				}
			}
			est[i*T+t] = best
		}
	}
	return est
}

// placePins creates what the pins force (H8). Independent pins with a room
// are placed now; pins that only require a placement are placed first by
// placeIndependent; session pins join or open a session of the pinned
// teacher, mode, room and skill, and a pinned small group that is too small
// is completed with compatible unpinned students.
func (e *engine) placePins() error {
	p, sol := e.p, e.sol
	pending := map[[2]int]int{} // (slot, teacher) → number of session pins
	for _, pn := range p.Pins {
		if pn.Teacher >= 0 && !e.indepPin(&pn) {
			pending[[2]int{pn.Slot, pn.Teacher}]++
		}
	}
	// Session pins with a teacher first, then the others.
	for pass := 0; pass < 2; pass++ {
		for x := range p.Pins {
			pn := &p.Pins[x]
			if (pn.Teacher >= 0) != (pass == 0) {
				continue
			}
			if e.indepPin(pn) {
				if pass == 0 || pn.Room < 0 {
					continue
				}
				if !sol.CanIndep(pn.Student, pn.Slot, pn.Room) {
					return &PinError{Kind: PinRoomFull, Student: pn.Student, Teacher: -1, Room: pn.Room, Slot: pn.Slot}
				}
				sol.Move(pn.Student, pn.Slot, model.Indep, pn.Room)
				continue
			}
			if err := e.placeSessionPin(pn, pending[[2]int{pn.Slot, pn.Teacher}]); err != nil {
				return err
			}
		}
	}
	// Complete pinned small groups below group_min.
	for id := range sol.Sessions {
		ss := &sol.Sessions[id]
		if !ss.Alive || ss.Mode != model.Group {
			continue
		}
		for len(ss.Members) < p.P.GroupMin {
			best, bestV := -1, 0.0
			for _, i := range p.BySkill[ss.Skill] {
				if !e.free(i, ss.Slot) || !sol.CanJoin(i, id) {
					continue
				}
				v := sol.DeltaMove(i, ss.Slot, model.Group, id)
				if best < 0 || v > bestV {
					best, bestV = i, v
				}
			}
			if best < 0 {
				return &PinError{Kind: PinGroupShort, Student: -1, Teacher: ss.Teacher, Room: -1, Slot: ss.Slot}
			}
			sol.Move(best, ss.Slot, model.Group, id)
		}
	}
	return nil
}

// PinError reports pins that no schedule honours together, so the instance
// has no valid schedule. The indices are the engine's; the solver names the
// pins by id.
type PinError struct {
	Kind PinErrorKind
	// Student (or −1) and Slot name the pinned student-slot; Teacher (or
	// −1) the teacher of a pinned small group; Room (or −1) the room.
	Student, Teacher, Room, Slot int
}

// PinErrorKind says which rule the pins could not be honoured under.
type PinErrorKind int

const (
	// PinRoomFull: the pinned room has no place left for independent work
	// (H3, with the other pins).
	PinRoomFull PinErrorKind = iota
	// PinNoSession: no teacher, room and skill can hold the pinned session
	// placement (H2, H3, H5, H7, with the other pins).
	PinNoSession
	// PinGroupShort: a small group the pins open cannot reach group_min: no
	// further student can join it (H4).
	PinGroupShort
)

func (e *PinError) Error() string {
	switch e.Kind {
	case PinRoomFull:
		return fmt.Sprintf("pin of student %d in slot %d: room %d has no free place for independent work", e.Student, e.Slot, e.Room)
	case PinNoSession:
		return fmt.Sprintf("pin of student %d in slot %d: no teacher, room and skill can honour it", e.Student, e.Slot)
	}
	return fmt.Sprintf("pinned small group of teacher %d in slot %d: no compatible student to reach group_min", e.Teacher, e.Slot)
}

// indepPin reports whether a pin asks for independent work (or only for a
// placement in a room that hosts independent work, or only for a placement).
func (e *engine) indepPin(pn *model.Pin) bool {
	if pn.Mode == model.Indep {
		return true
	}
	if pn.Mode != model.None || pn.Teacher >= 0 || pn.Skill >= 0 {
		return false
	}
	return pn.Room < 0 || e.p.Rooms[pn.Room].Allows(model.Indep)
}

func (e *engine) placeSessionPin(pn *model.Pin, coPinned int) error {
	p, sol := e.p, e.sol
	i, t := pn.Student, pn.Slot
	// Join an existing session if one fits.
	for j := range p.Teachers {
		if id := sol.Busy(j, t); id >= 0 && sol.CanJoin(i, id) {
			sol.Move(i, t, sol.Sessions[id].Mode, id)
			return nil
		}
	}
	modes := []model.Mode{model.Tutor, model.Group}
	if coPinned > p.P.TutoringMax {
		modes = []model.Mode{model.Group, model.Tutor}
	}
	if pn.Mode != model.None {
		modes = []model.Mode{pn.Mode}
	}
	st := &p.Students[i]
	for _, m := range modes {
		for j := range p.Teachers {
			tc := &p.Teachers[j]
			if (pn.Teacher >= 0 && j != pn.Teacher) || !tc.Avail[t] || sol.Busy(j, t) >= 0 || sol.TeacherSessions(j) >= tc.Limit {
				continue
			}
			// Skill: the pinned one, else the focus skill of highest need.
			k := -1
			for _, f := range st.Focus {
				if !tc.Subjects[p.Skills[f.Skill].Subject] || (pn.Skill >= 0 && f.Skill != pn.Skill) {
					continue
				}
				if k < 0 || f.Need > st.FocusOn(k).Need {
					k = f.Skill
				}
			}
			if k < 0 {
				continue
			}
			size := 1
			if m == model.Group {
				size = p.P.GroupMin
			}
			room := pn.Room
			if room >= 0 {
				rm := &p.Rooms[room]
				if !rm.Allows(m) || !rm.Avail[t] || sol.RoomSessions(t, room) >= rm.Stations ||
					rm.Capacity-sol.RoomLoad(t, room) < size || (st.NeedsAccessible && !rm.Accessible) {
					continue
				}
			} else if room = e.sessionRoom(t, m, size, st.NeedsAccessible, nil); room < 0 {
				continue
			}
			id := sol.Open(j, t, m, room, k)
			if !sol.CanJoin(i, id) {
				sol.Close(id)
				continue
			}
			sol.Move(i, t, m, id)
			return nil
		}
	}
	return &PinError{Kind: PinNoSession, Student: i, Teacher: -1, Room: -1, Slot: t}
}

// greedySessions opens sessions by decreasing marginal gain with lazy
// re-evaluation (Minoux's accelerated greedy, 1978). Candidates are keyed by
// (slot, skill, mode), not by teacher: a session's members and gain depend
// on its teacher only through the small continuity term, so one candidate
// per (slot, skill, mode) stands for every teacher of the subject who is free
// then, and the number of candidates does not grow with the number of
// teachers. When a candidate is taken, pickTeacher chooses the teacher it is
// opened with and the session is re-evaluated exactly for that teacher. A
// candidate's stored gain is an upper bound on its current gain (gains only
// decrease as students get placed, rooms fill and teachers become busy), so
// the top of the heap, once re-evaluated and still on top, is the best
// candidate; after a session is opened its candidate goes back on the heap,
// since another teacher may open a second session of the same skill.
func (e *engine) greedySessions(ctx context.Context) (finished bool) {
	p := e.p
	tol := greedyTolerance
	if len(p.Students)*p.T() > largeProblem {
		tol = greedyToleranceLarge
	}
	e.initTeacherSlack()
	var items []heapItem
	for t := range p.Slots {
		if ctx.Err() != nil {
			return false
		}
		items = e.slotCandidates(t, items, nil)
	}
	return e.lazyGreedy(ctx, items, tol)
}

// slotCandidates appends the (slot t, skill, mode) candidates that gain to
// items, each with its current gain; when subjects is not nil, only skills
// of the subjects it marks.
func (e *engine) slotCandidates(t int, items []heapItem, subjects []bool) []heapItem {
	p := e.p
	for k := range p.Skills {
		if len(p.BySkill[k]) == 0 || subjects != nil && !subjects[p.Skills[k].Subject] {
			continue
		}
		for _, m := range [2]model.Mode{model.Group, model.Tutor} {
			if c := e.bestSlotSkill(t, k, m); c.ok && c.gain > 1e-9 {
				items = append(items, heapItem{gain: c.gain, t: t, k: k, m: m})
			}
		}
	}
	return items
}

// lazyGreedy opens sessions from the candidates in items (their gains upper
// bounds on the current ones) by decreasing gain, re-evaluating the top one
// before taking it, until no candidate gains; tol is the relative slack of
// the acceptance test. It reports false if ctx ended it early.
func (e *engine) lazyGreedy(ctx context.Context, items []heapItem, tol float64) bool {
	h := &candHeap{items: items}
	heap.Init(h)
	for pops := 0; h.Len() > 0; pops++ {
		if pops%ctxCheckEvery == 0 && ctx.Err() != nil {
			return false
		}
		top := heap.Pop(h).(heapItem)
		// Accept within a small tolerance of the next stored gain (exact lazy
		// greedy re-evaluates too often when many candidates are nearly
		// equal).
		next := math.Inf(-1)
		if h.Len() > 0 {
			next = h.items[0].gain - tol*abs(h.items[0].gain) - 1e-12
		}
		c := e.bestSlotSkill(top.t, top.k, top.m)
		if !c.ok || c.gain <= 1e-9 {
			continue // gains only fall: this candidate is done
		}
		top.gain = c.gain
		if e.noise != nil {
			// Randomised order during repairs (Ropke & Pisinger 2006, §5.3).
			top.gain *= 1 + noiseLevel*(2*e.noise.Float64()-1)
		}
		if top.gain >= next {
			e.apply(&c)
			e.slack[c.j]--
		}
		heap.Push(h, top)
	}
	return true
}

// bestSlotSkill is the best session of mode m on skill k in slot t, led by
// the teacher pickTeacher chooses; not ok if no teacher or room is free.
func (e *engine) bestSlotSkill(t, k int, m model.Mode) candidate {
	j := e.pickTeacher(t, k)
	if j < 0 {
		return candidate{}
	}
	capAny, capAcc := e.maxRoom(t, m)
	if capAny < 1 {
		return candidate{}
	}
	c := e.bestMK(j, t, m, k, capAny, capAcc)
	if c.ok {
		c.members = append(c.members[:0:0], c.members...)
	}
	return c
}

// initTeacherSlack sets e.slack[j], a teacher's free available slots minus
// the sessions it may still lead: a teacher whose slack is zero loses a
// session for every free slot it is not given. The first call also builds
// the teachers of each subject and each teacher's number of subjects, which
// never change.
func (e *engine) initTeacherSlack() {
	p, sol := e.p, e.sol
	if e.bySubject == nil {
		e.bySubject = make([][]int, p.NumSubjects)
		e.nSubjects = make([]int, len(p.Teachers))
		for j := range p.Teachers {
			for s, ok := range p.Teachers[j].Subjects {
				if ok {
					e.bySubject[s] = append(e.bySubject[s], j)
					e.nSubjects[j]++
				}
			}
		}
		e.slack = make([]int, len(p.Teachers))
	}
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		free := 0
		for t := range p.Slots {
			if tc.Avail[t] && sol.Busy(j, t) < 0 {
				free++
			}
		}
		e.slack[j] = free - (tc.Limit - sol.TeacherSessions(j))
	}
}

// pickTeacher chooses who leads a session on skill k in slot t among the
// teachers of its subject who are free then and below their weekly limit:
// the one with the fewest subjects (keep the versatile ones for later), then
// the least slack (a teacher who cannot afford to skip a slot), then the
// lowest index. It returns -1 if there is none.
func (e *engine) pickTeacher(t, k int) int {
	p, sol := e.p, e.sol
	best := -1
	n := 0
	for _, j := range e.bySubject[p.Skills[k].Subject] {
		tc := &p.Teachers[j]
		if !tc.Avail[t] || sol.Busy(j, t) >= 0 || sol.TeacherSessions(j) >= tc.Limit {
			continue
		}
		if e.noise != nil {
			// During repairs, a uniformly random eligible teacher
			// (reservoir sampling), so that repeated repairs differ.
			if n++; e.noise.IntN(n) == 0 {
				best = j
			}
			continue
		}
		if best < 0 || e.nSubjects[j] < e.nSubjects[best] ||
			e.nSubjects[j] == e.nSubjects[best] && e.slack[j] < e.slack[best] {
			best = j
		}
	}
	return best
}

// noiseLevel is the relative noise on the gains that order a repair.
const noiseLevel = 0.1

// ctxCheckEvery is how many candidates the greedy pops between looks at ctx.
const ctxCheckEvery = 16

// greedyTolerance is the relative slack of the lazy greedy's acceptance test.
// On problems of more than largeProblem student-slots the wider
// greedyToleranceLarge is used: fewer re-evaluations, slightly cruder order.
const (
	greedyTolerance      = 0.05
	greedyToleranceLarge = 0.15
	largeProblem         = 50_000
)

type heapItem struct {
	gain float64
	t, k int
	m    model.Mode
}

type candHeap struct{ items []heapItem }

func (h *candHeap) Len() int { return len(h.items) }
func (h *candHeap) Less(a, b int) bool {
	x, y := h.items[a], h.items[b]
	if x.gain != y.gain {
		return x.gain > y.gain
	}
	if x.t != y.t {
		return x.t < y.t
	}
	if x.k != y.k {
		return x.k < y.k
	}
	return x.m < y.m
}
func (h *candHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *candHeap) Push(x any)    { h.items = append(h.items, x.(heapItem)) }
func (h *candHeap) Pop() any {
	n := len(h.items)
	x := h.items[n-1]
	h.items = h.items[:n-1]
	return x
}

// placeIndependent places every unplaced available student of slot t in the
// best independent room with a free place, in the order of unplacedOrder.
func (e *engine) placeIndependent(t int) {
	for _, i := range e.unplacedOrder(t, nil) {
		e.placeOne(i, t)
	}
}

// unplacedOrder lists the students without a placement in slot t — those
// keep accepts, or every available one when keep is nil — in the order they
// are seated: pinned students first, then those needing an accessible room,
// then the others, each by fewest usable rooms, then by index.
func (e *engine) unplacedOrder(t int, keep func(i int) bool) []int {
	p, sol := e.p, e.sol
	type item struct{ i, class, rooms int }
	var list []item
	for i := range p.Students {
		if sol.Mode(i, t) != model.None || keep == nil && !p.Students[i].Avail[t] || keep != nil && !keep(i) {
			continue
		}
		n := 0
		for r := range p.Rooms {
			if p.IndepRoomOK(i, t, r) {
				n++
			}
		}
		class := 2
		if p.Pin(i, t) != nil {
			class = 0
		} else if p.Students[i].NeedsAccessible {
			class = 1
		}
		list = append(list, item{i, class, n})
	}
	sortItems(list, func(a, b item) bool {
		if a.class != b.class {
			return a.class < b.class
		}
		if a.rooms != b.rooms {
			return a.rooms < b.rooms
		}
		return a.i < b.i
	})
	order := make([]int, len(list))
	for x, it := range list {
		order[x] = it.i
	}
	return order
}

// placeOne puts i in slot t in the best independent room with a free place,
// else into a session with room for it; it reports whether it did.
func (e *engine) placeOne(i, t int) bool {
	p, sol := e.p, e.sol
	best, bestV := -1, 0.0
	for r := range p.Rooms {
		if !sol.CanIndep(i, t, r) {
			continue
		}
		if v := p.IndepValue(i, t, r); best < 0 || v > bestV {
			best, bestV = r, v
		}
	}
	if best >= 0 {
		sol.Move(i, t, model.Indep, best)
		return true
	}
	for j := range p.Teachers {
		if id := sol.Busy(j, t); id >= 0 && sol.CanJoin(i, id) {
			sol.Move(i, t, sol.Sessions[id].Mode, id)
			return true
		}
	}
	return false
}
