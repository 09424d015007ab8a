package heuristic

import (
	"cmp"
	"math"
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// Independent work in one slot is a transportation problem: students to rooms
// of limited capacity, a student's value depending on the room only through
// its topic, and whether the student may go there only through its
// accessibility. Rooms of the same topic and accessibility — a class — are
// interchangeable, so the problem is one of students to classes, each of the
// summed free places of its rooms. With the sessions of the slot fixed,
// optimizeRooms solves it exactly by cycle cancelling (Klein, 1967, "A primal
// method for minimal cost flows", Management Science 14(3)) on the graph of
// classes: an arc a→b carries the best gain of moving one student from a
// room of class a to one of class b; a class with a free place ends an
// improving path, a positive cycle moves one student along each arc (distinct
// students, since each leaves a different class; each takes the room the
// student leaving its new class frees). When neither exists, no exchange of
// students between rooms improves the slot.

// maxRoomClasses is the largest number of room classes per slot the exact
// reassignment is run on (it costs classes³ per improvement).
const maxRoomClasses = 48

// maxRoomRounds caps the improvements of one optimizeRooms call.
const maxRoomRounds = 500

// optimizeRooms reassigns the independent students of slot t to rooms
// optimally (see above); it returns the objective change (≥ 0).
func (e *engine) optimizeRooms(t int) float64 {
	p, sol := e.p, e.sol
	// The classes of the slot's rooms for independent work: rep holds one
	// room per class, cls each room's class (-1: not usable in t).
	if len(e.roomCls) < len(p.Rooms) {
		e.roomCls = make([]int, len(p.Rooms))
	}
	cls, rep := e.roomCls[:len(p.Rooms)], e.clsRep[:0]
	for r := range p.Rooms {
		cls[r] = -1
		if rm := &p.Rooms[r]; !rm.Allows(model.Indep) || !rm.Avail[t] || rm.Capacity <= 0 {
			continue
		}
		c := slices.IndexFunc(rep, func(q int) bool {
			return p.Rooms[q].Key == p.Rooms[r].Key && p.Rooms[q].Accessible == p.Rooms[r].Accessible
		})
		if c < 0 {
			c = len(rep)
			rep = append(rep, r)
		}
		cls[r] = c
	}
	e.clsRep = rep
	n := len(rep)
	if n < 2 || n > maxRoomClasses {
		return 0
	}
	// The students each class holds, but those pinned to their room or
	// frozen by a stable re-solve, and each one's value in every class.
	if cap(e.byRoom) < n {
		e.byRoom = make([][]int, n)
	}
	by := e.byRoom[:n]
	for c := range by {
		by[c] = by[c][:0]
	}
	if len(e.clsVal) < len(p.Students)*n {
		e.clsVal = make([]float64, len(p.Students)*n)
	}
	val := e.clsVal
	for i := range p.Students {
		if sol.Mode(i, t) != model.Indep {
			continue
		}
		if pn := p.Pin(i, t); pn != nil && pn.Room >= 0 || e.frozen(i, t) {
			continue
		}
		c := cls[sol.Ref(i, t)]
		by[c] = append(by[c], i)
		p.IndepValues(i, t, rep, val[i*n:(i+1)*n])
	}
	// The rooms of each class, in index order: class c's are
	// inClass[at[c]:at[c+1]].
	at := append(e.clsAt[:0], make([]int, n+1)...)
	for _, c := range cls {
		if c >= 0 {
			at[c+1]++
		}
	}
	for c := 0; c < n; c++ {
		at[c+1] += at[c]
	}
	inClass := append(e.clsRooms[:0], make([]int, at[n])...)
	next := append(e.clsNext[:0], at[:n]...)
	for r, c := range cls {
		if c >= 0 {
			inClass[next[c]] = r
			next[c]++
		}
	}
	e.clsAt, e.clsRooms, e.clsNext = at, inClass, next
	// spare is a room of class c with a free place, or -1.
	spare := func(c int) int {
		for _, r := range inClass[at[c]:at[c+1]] {
			if sol.RoomLoad(t, r) < p.Rooms[r].Capacity {
				return r
			}
		}
		return -1
	}
	gain := make([]float64, n*n)
	best := make([]int, n*n)          // the student on each arc, -1: no arc
	w := make([]float64, (n+1)*(n+1)) // the arcs' weights, F last
	dist := make([]float64, n+1)
	pred := make([]int, n+1)
	total := 0.0
	// arc recomputes the arc a→b: the best student of class a for class b
	// (the first of the best in a's list), or none.
	arc := func(a, b int) {
		best[a*n+b], gain[a*n+b] = -1, -1
		if a == b {
			return
		}
		acc := p.Rooms[rep[b]].Accessible
		for _, i := range by[a] {
			if p.Students[i].NeedsAccessible && !acc {
				continue
			}
			if g := val[i*n+b] - val[i*n+a]; best[a*n+b] < 0 || g > gain[a*n+b] {
				best[a*n+b], gain[a*n+b] = i, g
			}
		}
	}
	row := func(a int) {
		for b := range rep {
			arc(a, b)
		}
	}
	// fill moves the students of class a who gain by moving to class b
	// there, best first, while b has free places (and a stable re-solve's
	// churn limit admits them); it returns the objective change and whether
	// anyone moved.
	fill := func(a, b int) (float64, bool) {
		acc := p.Rooms[rep[b]].Accessible
		order := e.fillOrder[:0]
		for x, i := range by[a] {
			if (!p.Students[i].NeedsAccessible || acc) && val[i*n+b]-val[i*n+a] > eps {
				order = append(order, x)
			}
		}
		slices.SortStableFunc(order, func(x, y int) int {
			i, j := by[a][x], by[a][y]
			return cmp.Compare(val[j*n+b]-val[j*n+a], val[i*n+b]-val[i*n+a])
		})
		d := 0.0
		moved := e.fillMoved[:0]
		for _, x := range order {
			i := by[a][x]
			r := spare(b)
			if r < 0 {
				break
			}
			if e.admitsMove(i, t, model.Indep, r) {
				d += sol.Move(i, t, model.Indep, r)
				moved = append(moved, i)
			}
		}
		e.fillOrder, e.fillMoved = order, moved
		by[a] = slices.DeleteFunc(by[a], func(i int) bool { return cls[sol.Ref(i, t)] != a })
		by[b] = append(by[b], moved...)
		return d, len(moved) > 0
	}
	for a := 0; a < n; a++ {
		row(a)
	}
	for round := 0; round < maxRoomRounds; round++ {
		// Improving moves into free places.
		moved := false
		for a := 0; a < n && !moved; a++ {
			for b := 0; b < n; b++ {
				if best[a*n+b] < 0 || gain[a*n+b] <= eps || spare(b) < 0 {
					continue
				}
				if d, ok := fill(a, b); ok {
					total += d
					row(a)
					row(b)
					moved = true
					break
				}
			}
		}
		if moved {
			continue
		}
		// A positive cycle: Bellman-Ford for longest paths from a virtual
		// source joined to every node. Node n is the "free place" node F:
		// an arc F→a (weight 0) lets class a release a student without
		// receiving one, an arc c→F (weight 0, if c has a free place) lets c
		// receive one without releasing one, so a cycle through F is an
		// improving chain of moves that ends in a free place.
		free := e.spares[:0]
		for c := 0; c < n; c++ {
			free = append(free, spare(c))
		}
		e.spares = free
		for a := 0; a <= n; a++ {
			for b := 0; b <= n; b++ {
				v := math.Inf(-1) // no arc
				switch {
				case a == b:
				case a == n:
					v = 0
				case b == n:
					if free[a] >= 0 {
						v = 0
					}
				case best[a*n+b] >= 0:
					v = gain[a*n+b]
				}
				w[a*(n+1)+b] = v
			}
		}
		for x := range dist {
			dist[x], pred[x] = 0, -1
		}
		last := -1
		for it := 0; it <= n; it++ {
			last = -1
			for a := 0; a <= n; a++ {
				da := dist[a]
				for b, wab := range w[a*(n+1) : (a+1)*(n+1)] {
					if da+wab > dist[b]+eps {
						dist[b], pred[b], last = da+wab, a, b
					}
				}
			}
			if last < 0 {
				break
			}
		}
		if last < 0 {
			break
		}
		// Walk back n+1 steps to land on the cycle, then collect it.
		v := last
		for x := 0; x <= n; x++ {
			v = pred[v]
		}
		cycle := e.cycle[:0]
		for u := v; ; u = pred[u] {
			cycle = append(cycle, u)
			if pred[u] == v {
				break
			}
		}
		e.cycle = cycle
		// cycle lists nodes backwards: pred[cycle[x]] = cycle[x+1] (mod
		// len), so the arc out of cycle[x] goes to cycle[x-1]. Arcs touching
		// F move nobody. The mover of an arc a→b takes the room that b's own
		// mover leaves or, where b ends the chain (b→F), b's free place.
		sum := 0.0
		movers, dests, from, to := e.movers[:0], e.dests[:0], e.from[:0], e.to[:0]
		for x, a := range cycle {
			b := cycle[(x+len(cycle)-1)%len(cycle)]
			sum += w[a*(n+1)+b]
			if a < n && b < n {
				i := best[a*n+b]
				movers, from, to = append(movers, i), append(from, sol.Ref(i, t)), append(to, b)
			}
		}
		e.movers, e.from, e.to = movers, from, to
		if sum <= eps || len(movers) == 0 {
			break
		}
		for _, b := range to {
			r := free[b]
			for _, f := range from {
				if cls[f] == b {
					r = f // b's own mover leaves room f
				}
			}
			dests = append(dests, r)
		}
		e.dests = dests
		d := 0.0
		for _, i := range movers {
			d += sol.Move(i, t, model.None, -1)
		}
		for x, r := range dests {
			d += sol.Move(movers[x], t, model.Indep, r)
		}
		if !e.withinLimit() {
			// A stable re-solve's churn limit forbids the cycle: undo it.
			for _, i := range movers {
				sol.Move(i, t, model.None, -1)
			}
			for x, i := range movers {
				sol.Move(i, t, model.Indep, from[x])
			}
			break
		}
		total += d
		// Update the class lists, then the arcs out of the classes touched:
		// an arc whose student left is recomputed, and a student who joined
		// a class (last in its list) takes an arc it is strictly better on.
		for x, i := range movers {
			a, b := cls[from[x]], cls[dests[x]]
			by[a] = slices.Delete(by[a], slices.Index(by[a], i), slices.Index(by[a], i)+1)
			by[b] = append(by[b], i)
		}
		for x, i := range movers {
			a := cls[from[x]]
			for b := range rep {
				if best[a*n+b] == i {
					arc(a, b)
				}
			}
		}
		for x, i := range movers {
			a := cls[dests[x]]
			for b, r := range rep {
				if b == a || p.Students[i].NeedsAccessible && !p.Rooms[r].Accessible {
					continue
				}
				if g := val[i*n+b] - val[i*n+a]; best[a*n+b] < 0 || g > gain[a*n+b] {
					best[a*n+b], gain[a*n+b] = i, g
				}
			}
		}
	}
	return total
}
