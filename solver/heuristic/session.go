// Package heuristic builds and improves schedules on the compiled model: a
// greedy construction that honours every pin (docs/model.md §4) and an
// adaptive large-neighbourhood search over sessions and placements in the
// spirit of Ropke & Pisinger (2006), "An adaptive large neighborhood search
// heuristic for the pickup and delivery problem with time windows",
// Transportation Science 40(4), and of Wouda, Aslan & Vis (2023), "An adaptive
// large neighbourhood search metaheuristic for a personalised learning
// problem", whose destroy/repair operators act on teacher-slot sessions.
//
// Everything is deterministic for a given seed: ties break by index and the
// only randomness is a seeded PCG generator.
package heuristic

import (
	"math/rand/v2"
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// candidate is a session that could be opened: teacher, slot, mode, skill,
// room, members and the total objective gain of opening it.
type candidate struct {
	j, t, k, room int
	mode          model.Mode
	members       []int
	gain          float64
	ok            bool
}

// engine carries the scratch buffers of the session builders.
type engine struct {
	p   *model.Problem
	sol *model.Solution
	// est, when non-nil, is the estimated value of an unplaced student-slot
	// (its best independent room) used during construction in place of the
	// unplaced penalty.
	est []float64
	// slack, bySubject and nSubjects serve the construction's choice of
	// teacher (pickTeacher).
	slack     []int
	bySubject [][]int
	nSubjects []int
	// Scratch of ruinRecreate.
	slots   []int
	freed   [][2]int
	items   []heapItem
	alive   []int
	subj    []bool
	pickIDs []int
	student int
	// Scratch of optimizeRooms.
	roomCls, clsRep, spares, cycle, movers, dests, from, to []int
	fillOrder, fillMoved, clsAt, clsRooms, clsNext          []int
	byRoom                                                  [][]int
	clsVal                                                  []float64
	// Scratch of trySwap.
	members []int
	// noise, when set, randomises the repair's order and teacher choice.
	noise *rand.Rand
	elig  []member
	win   []member
	pick  []int
	gains []float64
	order []int

	stability // stable.go: the churn limit and the warm start's mask

	places slotPlaces // relocate's index of one slot (search.go)

	// Scratch of reteachSlot.
	rtSess, rtTeachers []int
	rtGain             []int
	assign             assignment
}

type member struct {
	i       int
	gain    float64
	mastery float64
	acc     bool
	maxg    int
}

func newEngine(p *model.Problem, sol *model.Solution) *engine {
	return &engine{p: p, sol: sol}
}

// gain is the objective change of moving i (currently independent or
// unplaced, not pinned) into a session (t, m, j, k).
func (e *engine) gain(i, t int, m model.Mode, j, k int) float64 {
	return e.gainAt(i, t, m, j, k, e.p.Students[i].FocusOn(k))
}

// gainAt is gain with the student's focus entry on k already looked up.
func (e *engine) gainAt(i, t int, m model.Mode, j, k int, f *model.Focus) float64 {
	sol, p := e.sol, e.p
	cur := sol.Mode(i, t)
	base := sol.PlacementValue(i, t)
	if cur == model.None && e.est != nil {
		base = e.est[i*sol.T+t]
	}
	st := &p.Students[i]
	w := p.P.WGroup
	if m == model.Tutor {
		w = p.P.WTutor
	}
	v := w*f.Need*st.Priority + p.P.WInterest*st.Interest[p.Skills[k].Key]
	if st.LastAt != nil && p.Stable(i, t, m, j) {
		v += p.P.WStable
	}
	return v - base + sol.CrossDelta(i, cur, m, p.Slots[t].Minutes)
}

// free reports whether i in slot t may be drawn into a new session: available,
// not in a session, not pinned, and movable under a stable re-solve.
func (e *engine) free(i, t int) bool {
	return e.p.Students[i].Avail[t] && !e.sol.Mode(i, t).IsSession() && e.p.Pin(i, t) == nil && e.movable(i, t)
}

// sessionRoom picks the room for a session of mode m in slot t with `size`
// students: a free station, the capacity, accessibility if acc. Rooms that do
// not host independent work are preferred, then the smallest capacity, then
// the lowest index. movers are the members, some of whom may already sit in
// a room independently (they free their place). Returns -1 if none.
func (e *engine) sessionRoom(t int, m model.Mode, size int, acc bool, movers []int) int {
	p, sol := e.p, e.sol
	best, bestKey := -1, [2]int{}
	for r := range p.Rooms {
		rm := &p.Rooms[r]
		if !rm.Allows(m) || !rm.Avail[t] || sol.RoomSessions(t, r) >= rm.Stations || (acc && !rm.Accessible) {
			continue
		}
		load := sol.RoomLoad(t, r)
		for _, i := range movers {
			if sol.Mode(i, t) == model.Indep && sol.Ref(i, t) == r {
				load--
			}
		}
		if rm.Capacity-load < size {
			continue
		}
		ind := 0
		if rm.Allows(model.Indep) {
			ind = 1
		}
		key := [2]int{ind, rm.Capacity}
		if best < 0 || key[0] < bestKey[0] || (key[0] == bestKey[0] && key[1] < bestKey[1]) {
			best, bestKey = r, key
		}
	}
	return best
}

// maxRoom returns the largest free capacity of a room that could host a
// session of mode m in slot t, and the same over accessible rooms.
func (e *engine) maxRoom(t int, m model.Mode) (any, acc int) {
	p, sol := e.p, e.sol
	any, acc = -1, -1
	for r := range p.Rooms {
		rm := &p.Rooms[r]
		if !rm.Allows(m) || !rm.Avail[t] || sol.RoomSessions(t, r) >= rm.Stations {
			continue
		}
		c := rm.Capacity - sol.RoomLoad(t, r)
		any = max(any, c)
		if rm.Accessible {
			acc = max(acc, c)
		}
	}
	return any, acc
}

// best returns the best session teacher j could open in slot t, given the
// current placements (members are drawn from free students only).
func (e *engine) best(j, t int) candidate {
	p := e.p
	tc := &p.Teachers[j]
	out := candidate{}
	if !tc.Avail[t] || e.sol.Busy(j, t) >= 0 || e.sol.TeacherSessions(j) >= tc.Limit {
		return out
	}
	for _, m := range [2]model.Mode{model.Group, model.Tutor} {
		capAny, capAcc := e.maxRoom(t, m)
		if capAny < 1 {
			continue
		}
		for k := range p.Skills {
			if !tc.Subjects[p.Skills[k].Subject] || len(p.BySkill[k]) == 0 {
				continue
			}
			if c := e.bestMK(j, t, m, k, capAny, capAcc); c.ok && (!out.ok || c.gain > out.gain+1e-12) {
				out = c
				out.members = append([]int(nil), c.members...)
			}
		}
	}
	return out
}

// bestMK picks members and a room for a session (j, t, m, k); if the members
// it picks fit no room (accessibility), it retries without students who need
// an accessible room.
func (e *engine) bestMK(j, t int, m model.Mode, k, capAny, capAcc int) candidate {
	p := e.p
	if m == model.Tutor && p.P.TutoringMax < 1 {
		return candidate{}
	}
	if m == model.Group && (p.P.GroupMax < p.P.GroupMin || p.P.GroupMax < 1) {
		return candidate{}
	}
	for pass := 0; pass < 2; pass++ {
		c := e.bestFor(j, t, m, k, capAny, pass == 0 && capAcc >= 1, capAcc)
		if !c.ok {
			continue
		}
		acc := false
		for _, i := range c.members {
			acc = acc || p.Students[i].NeedsAccessible
		}
		c.room = e.sessionRoom(t, m, len(c.members), acc, c.members)
		if c.room < 0 {
			continue
		}
		return c
	}
	return candidate{}
}

// bestFor picks members for a session (j, t, m, k): for tutoring the best
// TutoringMax positive gains; for a small group the best level-band window
// (members sorted by mastery, each window starting at one member), filled
// greedily by gain subject to apart, max_group_size and the room size.
func (e *engine) bestFor(j, t int, m model.Mode, k, capAny int, allowAcc bool, capAcc int) candidate {
	p := e.p
	e.elig = e.elig[:0]
	for _, i := range p.BySkill[k] {
		if !e.free(i, t) {
			continue
		}
		st := &p.Students[i]
		if st.NeedsAccessible && !allowAcc {
			continue
		}
		f := st.FocusOn(k)
		g := e.gainAt(i, t, m, j, k, f)
		e.elig = append(e.elig, member{i: i, gain: g, mastery: f.Mastery, acc: st.NeedsAccessible, maxg: st.MaxGroup})
	}
	c := candidate{j: j, t: t, k: k, mode: m}
	if len(e.elig) == 0 {
		return c
	}
	if m == model.Group {
		e.keepTop(poolFactor * max(p.P.GroupMax, 1))
	}
	if m == model.Tutor {
		limit := min(p.P.TutoringMax, capAny)
		e.pick = e.pick[:0]
		total := 0.0
		// Repeated arg-max: tutoring_max is small.
		for len(e.pick) < limit {
			bx := -1
			for x := range e.elig {
				c := &e.elig[x]
				if c.gain <= 0 || (bx >= 0 && c.gain <= e.elig[bx].gain) {
					continue
				}
				if (c.acc && capAcc < len(e.pick)+1) || e.clash(c.i) || slices.Contains(e.pick, c.i) {
					continue
				}
				bx = x
			}
			if bx < 0 {
				break
			}
			e.pick = append(e.pick, e.elig[bx].i)
			total += e.elig[bx].gain
		}
		if len(e.pick) > 0 && total > 1e-9 {
			c.members, c.gain, c.ok = e.pick, total, true
		}
		return c
	}
	band := p.P.LevelBand + model.BandTol
	// byGain lists the eligible positions (into e.elig, which is in mastery
	// order) by decreasing gain; each window scans it and takes the members
	// inside the window.
	e.order = e.order[:0]
	for x := range e.elig {
		e.order = append(e.order, x)
	}
	slices.SortFunc(e.order, func(a, b int) int {
		ga, gb := e.elig[a].gain, e.elig[b].gain
		switch {
		case ga > gb:
			return -1
		case ga < gb:
			return 1
		}
		return a - b
	})
	prevEnd := -1
	var bestMembers []int
	bestGain := 0.0
	for a := range e.elig {
		end := a
		for end+1 < len(e.elig) && e.elig[end+1].mastery-e.elig[a].mastery <= band {
			end++
		}
		if end <= prevEnd || end-a+1 < p.P.GroupMin {
			continue
		}
		prevEnd = end
		e.pick = e.pick[:0]
		total := 0.0
		size := min(p.P.GroupMax, capAny)
		minMax := model.MaxGroupNone
		anyAcc := false
		for _, x := range e.order {
			if x < a || x > end {
				continue
			}
			m := &e.elig[x]
			if len(e.pick) >= size || len(e.pick) >= minMax {
				break
			}
			if m.gain <= 0 && len(e.pick) >= p.P.GroupMin {
				break
			}
			n := len(e.pick) + 1
			if n > m.maxg || e.clash(m.i) {
				continue
			}
			if (m.acc || anyAcc) && n > capAcc {
				continue
			}
			e.pick = append(e.pick, m.i)
			total += m.gain
			minMax = min(minMax, m.maxg)
			anyAcc = anyAcc || m.acc
		}
		if len(e.pick) >= p.P.GroupMin && total > bestGain+1e-9 {
			bestGain = total
			bestMembers = append(bestMembers[:0], e.pick...)
		}
	}
	if bestMembers != nil {
		c.members, c.gain, c.ok = bestMembers, bestGain, true
	}
	return c
}

// poolFactor times group_max is the number of highest-gain students a small
// group is chosen from: beyond them, a group can only be worse, except when
// the level band splits the best ones.
const poolFactor = 4

// keepTop keeps the n highest-gain entries of e.elig, in mastery order.
func (e *engine) keepTop(n int) {
	if len(e.elig) <= n {
		return
	}
	// Threshold by a partial selection on a copy of the gains.
	e.gains = e.gains[:0]
	for _, m := range e.elig {
		e.gains = append(e.gains, m.gain)
	}
	th := kth(e.gains, n)
	// Keep those above the threshold, then those equal to it, in order.
	above := 0
	for _, m := range e.elig {
		if m.gain > th {
			above++
		}
	}
	eq := n - above
	out := e.elig[:0]
	for _, m := range e.elig {
		if m.gain > th || (m.gain == th && eq > 0) {
			if m.gain == th {
				eq--
			}
			out = append(out, m)
		}
	}
	e.elig = out
}

// kth returns the n-th largest value of xs (1-based), reordering xs
// (Hoare's quickselect with a deterministic middle pivot).
func kth(xs []float64, n int) float64 {
	lo, hi := 0, len(xs)-1
	target := n - 1
	for lo < hi {
		pivot := xs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] > pivot {
				i++
			}
			for xs[j] < pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case target <= j:
			hi = j
		case target >= i:
			lo = i
		default:
			return xs[target]
		}
	}
	return xs[target]
}

// clash reports whether i is apart from someone already picked.
func (e *engine) clash(i int) bool {
	st := &e.p.Students[i]
	if len(st.Apart) == 0 {
		return false
	}
	for _, o := range e.pick {
		if st.IsApart(o) {
			return true
		}
	}
	return false
}

// apply opens candidate c and moves its members in; it returns the exact
// objective change. Members leave independent work or unplaced status.
func (e *engine) apply(c *candidate) float64 {
	sol := e.sol
	id := sol.Open(c.j, c.t, c.mode, c.room, c.k)
	d := 0.0
	for _, i := range c.members {
		d += sol.Move(i, c.t, c.mode, id)
	}
	return d
}
