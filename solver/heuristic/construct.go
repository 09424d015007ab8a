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
					return fmt.Errorf("pin of student %d in slot %d: room %d has no free place for independent work", pn.Student, pn.Slot, pn.Room)
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
				return fmt.Errorf("pinned small group of teacher %d in slot %d: no compatible student to reach group_min", ss.Teacher, ss.Slot)
			}
			sol.Move(best, ss.Slot, model.Group, id)
		}
	}
	return nil
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
	return fmt.Errorf("pin of student %d in slot %d: no teacher, room and skill can honour it", i, t)
}

// greedySessions opens sessions by decreasing marginal gain with lazy
// re-evaluation: a teacher-slot's stored gain is an upper bound on its
// current gain (gains only decrease as students get placed), so the top of
// the heap, once re-evaluated and still on top, is the best candidate.
func (e *engine) greedySessions(ctx context.Context) (finished bool) {
	p, sol := e.p, e.sol
	h := &candHeap{}
	tol := greedyTolerance
	if len(p.Students)*p.T() > largeProblem {
		tol = greedyToleranceLarge
	}
	for j := range p.Teachers {
		if ctx.Err() != nil {
			return false
		}
		for t := range p.Slots {
			if c := e.best(j, t); c.ok {
				h.items = append(h.items, heapItem{gain: c.gain, j: j, t: t, k: c.k, m: c.mode})
			}
		}
	}
	heap.Init(h)
	for pops := 0; h.Len() > 0; pops++ {
		if pops%ctxCheckEvery == 0 && ctx.Err() != nil {
			return false
		}
		top := heap.Pop(h).(heapItem)
		tc := &p.Teachers[top.j]
		if sol.TeacherSessions(top.j) >= tc.Limit || sol.Busy(top.j, top.t) >= 0 {
			continue
		}
		// Accept within a small tolerance of the next stored gain (exact lazy
		// greedy re-evaluates too often when many candidates are nearly
		// equal), trying the stored skill and mode before the full search.
		next := math.Inf(-1)
		if h.Len() > 0 {
			next = h.items[0].gain - tol*abs(h.items[0].gain) - 1e-12
		}
		c := e.bestOne(top.j, top.t, top.m, top.k)
		if !c.ok || c.gain < next {
			c = e.best(top.j, top.t)
		}
		if !c.ok || c.gain <= 1e-9 {
			continue
		}
		if c.gain < next {
			heap.Push(h, heapItem{gain: c.gain, j: top.j, t: top.t, k: c.k, m: c.mode})
			continue
		}
		e.apply(&c)
	}
	return true
}

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
	gain    float64
	j, t, k int
	m       model.Mode
}

type candHeap struct{ items []heapItem }

func (h *candHeap) Len() int { return len(h.items) }
func (h *candHeap) Less(a, b int) bool {
	x, y := h.items[a], h.items[b]
	if x.gain != y.gain {
		return x.gain > y.gain
	}
	if x.j != y.j {
		return x.j < y.j
	}
	return x.t < y.t
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
// best independent room with a free place: pinned students first, then those
// needing an accessible room, then the others, each by fewest usable rooms.
func (e *engine) placeIndependent(t int) {
	p, sol := e.p, e.sol
	type item struct{ i, class, rooms int }
	var list []item
	for i := range p.Students {
		if !p.Students[i].Avail[t] || sol.Mode(i, t) != model.None {
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
	for _, it := range list {
		e.placeOne(it.i, t)
	}
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
