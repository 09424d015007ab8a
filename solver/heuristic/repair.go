package heuristic

import (
	"container/heap"

	"github.com/weekplan/weekplan/solver/model"
)

// repairShortfalls gives back minimum minutes the new problem took away
// (WarmStart step 5, docs/model.md §7.2). A student and mode are to repair
// when the shortfall exceeds the one the reference listed. For each, the
// best improving single-slot move into the mode is found (bestRepair). The
// best of all is made first, re-evaluated lazily as in the construction's
// greedy — so a teacher's freed time goes where it gains most — until no
// shortfall exceeds the reference's or no move improves the objective.
func (e *engine) repairShortfalls(ref *model.Reference) {
	p, sol := e.p, e.sol
	excess := func(i int, m model.Mode) bool {
		return p.Students[i].MinMinutes[m]-sol.Minutes(i, m) > ref.Short[i*model.NModes+int(m)]
	}
	h := &repairHeap{}
	for i := range p.Students {
		for m := model.Mode(0); m < model.NModes; m++ {
			if excess(i, m) {
				if c, ok := e.bestRepair(i, m); ok {
					h.items = append(h.items, repairItem{i: i, m: m, c: c})
				}
			}
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		top := heap.Pop(h).(repairItem)
		if !excess(top.i, top.m) {
			continue
		}
		c, ok := e.bestRepair(top.i, top.m)
		if !ok {
			continue
		}
		if h.Len() > 0 && c.score < h.items[0].c.score-1e-9 {
			heap.Push(h, repairItem{i: top.i, m: top.m, c: c})
			continue
		}
		e.doRepair(top.i, top.m, c)
		if excess(top.i, top.m) {
			if c, ok := e.bestRepair(top.i, top.m); ok {
				heap.Push(h, repairItem{i: top.i, m: top.m, c: c})
			}
		}
	}
}

// movedCost is what a repair's score deducts from its objective gain for
// each student-slot it moves besides the repaired student's own: about one
// placement's learning value, so that of two repairs that give back the same
// minutes the one that moves fewer students wins, while minutes
// (p_iep_minute each) still come first.
const movedCost = 1.0

// Kinds of repair move.
const (
	repairIndep    = iota // independent work in room r
	repairJoin            // join session id
	repairSwap            // join session id in place of its member o
	repairTutor           // a new tutoring session of teacher j on skill k in room r
	repairGroup           // a new small group of teacher j on skill k in room r
	repairTakeover        // session id dissolved; its teacher's new session on skill k
)

// repairMove is one repair of a student in slot t, and its objective change
// d and score when last evaluated.
type repairMove struct {
	kind, t, id, j, k, r, o int
	d, score                float64
}

// bestRepair returns the best improving move of student i into mode m in
// one slot, if there is one: the one with the highest score, its objective
// gain less movedCost for each other student-slot it moves. Each candidate
// is tried (doRepair) and rolled back through the journal. A student is not
// taken out of a small group at group_min, nor out of a pinned placement.
// The candidates, per slot:
// independent work in any room with a place; joining a session of the mode,
// or, if it is full, taking the place of one unpinned member (who goes to
// their best other placement); a new session of the mode with a free
// teacher — tutoring alone, a small group with the fewest partners
// group_min asks for; or the same with a teacher whose session (without
// pinned members) is dissolved for it, as teachers at their weekly limit
// have no other time to give.
func (e *engine) bestRepair(i int, m model.Mode) (repairMove, bool) {
	p, sol := e.p, e.sol
	var best repairMove
	found := false
	try := func(c repairMove) {
		churn0 := sol.Churn()
		sol.Begin()
		d, ok := e.doRepair(i, m, c)
		moved := sol.Churn() - churn0
		sol.Rollback()
		if !ok || d <= eps {
			return
		}
		c.d, c.score = d, d-movedCost*float64(max(0, moved-1))
		if !found || c.score > best.score {
			best, found = c, true
		}
	}
	st := &p.Students[i]
	for t := range p.Slots {
		cur := sol.Mode(i, t)
		if !st.Avail[t] || cur == m || p.Pin(i, t) != nil {
			continue
		}
		if cur == model.Group && len(sol.Sessions[sol.Ref(i, t)].Members) <= p.P.GroupMin {
			continue
		}
		if m == model.Indep {
			for r := range p.Rooms {
				if sol.CanIndep(i, t, r) {
					try(repairMove{kind: repairIndep, t: t, r: r})
				}
			}
			continue
		}
		kind, size := repairTutor, 1
		if m == model.Group {
			kind, size = repairGroup, p.P.GroupMin
		}
		room := e.sessionRoom(t, m, size, st.NeedsAccessible, []int{i})
		for j := range p.Teachers {
			tc := &p.Teachers[j]
			id := sol.Busy(j, t)
			switch {
			case id >= 0 && sol.Sessions[id].Mode == m && sol.CanJoin(i, id):
				try(repairMove{kind: repairJoin, t: t, id: id})
				continue
			case id >= 0 && sol.Sessions[id].Mode == m && st.FocusOn(sol.Sessions[id].Skill) != nil:
				for _, o := range append([]int(nil), sol.Sessions[id].Members...) {
					if p.Pin(o, t) == nil {
						try(repairMove{kind: repairSwap, t: t, id: id, o: o})
					}
				}
			}
			k := e.skillFor(i, t, j, m)
			switch {
			case k < 0 || !tc.Avail[t]:
			case id < 0 && room >= 0 && sol.TeacherSessions(j) < tc.Limit:
				try(repairMove{kind: kind, t: t, j: j, k: k, r: room})
			case id >= 0 && !(cur.IsSession() && sol.Ref(i, t) == id) && !e.hasPinned(id):
				try(repairMove{kind: repairTakeover, t: t, id: id, k: k})
			}
		}
	}
	return best, found
}

// doRepair makes move c of student i into mode m and returns the objective
// change, or false if it cannot be made (then the caller rolls back).
func (e *engine) doRepair(i int, m model.Mode, c repairMove) (float64, bool) {
	p, sol := e.p, e.sol
	before := sol.Objective()
	t := c.t
	switch c.kind {
	case repairIndep:
		e.moveOut(i, t, model.Indep, c.r)
	case repairJoin:
		e.moveOut(i, t, m, c.id)
	case repairSwap:
		sol.Move(c.o, t, model.None, -1)
		if !sol.CanJoin(i, c.id) {
			return 0, false
		}
		e.moveOut(i, t, m, c.id)
		e.placeBestExisting(c.o, t)
	case repairTutor, repairGroup:
		if !e.openFor(i, t, c.j, m, c.k, c.r) {
			return 0, false
		}
	case repairTakeover:
		j := sol.Sessions[c.id].Teacher
		members := append([]int(nil), sol.Sessions[c.id].Members...)
		for _, o := range members {
			sol.Move(o, t, model.None, -1)
		}
		sol.Close(c.id)
		for _, o := range members {
			e.placeBestExisting(o, t)
		}
		size := 1
		if m == model.Group {
			size = p.P.GroupMin
		}
		room := e.sessionRoom(t, m, size, p.Students[i].NeedsAccessible, []int{i})
		if room < 0 || !e.openFor(i, t, j, m, c.k, room) {
			return 0, false
		}
	}
	return sol.Objective() - before, true
}

// openFor opens a session of teacher j, mode m, skill k in room r in slot t
// for i: tutoring alone, or a small group completed to group_min with the
// compatible free students that move the fewest placements from the
// reference, then gain the most (a dissolved session's former members, who
// moved already, come first). It reports false if i may not join or
// group_min is not reached (the caller rolls back).
func (e *engine) openFor(i, t, j int, m model.Mode, k, r int) bool {
	p, sol := e.p, e.sol
	id := sol.Open(j, t, m, r, k)
	if !sol.CanJoin(i, id) {
		return false
	}
	e.moveOut(i, t, m, id)
	for len(sol.Sessions[id].Members) < p.MinSize(m) {
		best, bestCost, bestD := -1, 0, 0.0
		for _, o := range p.BySkill[k] {
			if !e.free(o, t) || !sol.CanJoin(o, id) {
				continue
			}
			cost, d := sol.ChurnDelta(o, t, m, id), sol.DeltaMove(o, t, m, id)
			if best < 0 || cost < bestCost || cost == bestCost && d > bestD {
				best, bestCost, bestD = o, cost, d
			}
		}
		if best < 0 {
			return false
		}
		sol.Move(best, t, m, id)
	}
	return true
}

// hasPinned reports whether session id has a pinned member.
func (e *engine) hasPinned(id int) bool {
	ss := &e.sol.Sessions[id]
	for _, i := range ss.Members {
		if e.p.Pin(i, ss.Slot) != nil {
			return true
		}
	}
	return false
}

// skillFor is the focus skill of i in teacher j's subjects with the highest
// value for i in a session of mode m in slot t, or -1.
func (e *engine) skillFor(i, t, j int, m model.Mode) int {
	p := e.p
	k, best := -1, 0.0
	for _, f := range p.Students[i].Focus {
		if !p.Teachers[j].Subjects[p.Skills[f.Skill].Subject] {
			continue
		}
		if v := p.SessionValue(i, t, m, j, f.Skill); k < 0 || v > best {
			k, best = f.Skill, v
		}
	}
	return k
}

// moveOut moves i in slot t to (m, ref), closing the session it leaves if
// that is left empty.
func (e *engine) moveOut(i, t int, m model.Mode, ref int) {
	sol := e.sol
	cur, old := sol.Mode(i, t), sol.Ref(i, t)
	sol.Move(i, t, m, ref)
	if cur.IsSession() && len(sol.Sessions[old].Members) == 0 {
		sol.Close(old)
	}
}

// repairItem is a student and mode to repair with its best move when last
// evaluated.
type repairItem struct {
	i int
	m model.Mode
	c repairMove
}

// repairHeap orders repairItems by decreasing score, then student, then mode.
type repairHeap struct{ items []repairItem }

func (h *repairHeap) Len() int { return len(h.items) }
func (h *repairHeap) Less(a, b int) bool {
	x, y := h.items[a], h.items[b]
	if x.c.score != y.c.score {
		return x.c.score > y.c.score
	}
	if x.i != y.i {
		return x.i < y.i
	}
	return x.m < y.m
}
func (h *repairHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *repairHeap) Push(x any)    { h.items = append(h.items, x.(repairItem)) }
func (h *repairHeap) Pop() any {
	n := len(h.items)
	x := h.items[n-1]
	h.items = h.items[:n-1]
	return x
}
