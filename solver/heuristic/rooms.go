package heuristic

import (
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// Independent work in one slot is a transportation problem: students to rooms
// of limited capacity, a student's value depending on the room's topic. With
// the sessions of the slot fixed, optimizeRooms solves it exactly by cycle
// cancelling (Klein, 1967, "A primal method for minimal cost flows",
// Management Science 14(3)) on the graph of rooms: an arc a→b carries the
// best gain of moving one student from a to b; a room with a free place ends
// an improving path, a positive cycle moves one student along each arc
// (distinct students, since each leaves a different room). When neither
// exists, no exchange of students between rooms improves the slot.

// maxRoomGraph is the largest number of independent rooms per slot the exact
// reassignment is run on (it costs rooms³ per improvement).
const maxRoomGraph = 48

// maxRoomRounds caps the improvements of one optimizeRooms call.
const maxRoomRounds = 500

// optimizeRooms reassigns the independent students of slot t to rooms
// optimally (see above); it returns the objective change (≥ 0).
func (e *engine) optimizeRooms(t int) float64 {
	p, sol := e.p, e.sol
	rooms := e.roomIdx[:0]
	for r := range p.Rooms {
		if rm := &p.Rooms[r]; rm.Allows(model.Indep) && rm.Avail[t] && rm.Capacity > 0 {
			rooms = append(rooms, r)
		}
	}
	e.roomIdx = rooms
	n := len(rooms)
	if n < 2 || n > maxRoomGraph {
		return 0
	}
	// Students of the slot by room position.
	if cap(e.byRoom) < n {
		e.byRoom = make([][]int, n)
	}
	by := e.byRoom[:n]
	pos := e.roomPos
	if len(pos) < len(p.Rooms) {
		pos = make([]int, len(p.Rooms))
		e.roomPos = pos
	}
	for x := range pos {
		pos[x] = -1
	}
	for x, r := range rooms {
		pos[r] = x
		by[x] = by[x][:0]
	}
	for i := range p.Students {
		if sol.Mode(i, t) != model.Indep {
			continue
		}
		if pn := p.Pin(i, t); pn != nil && pn.Room >= 0 || e.frozen(i, t) {
			continue // pinned to its room, or frozen by a stable re-solve
		}
		by[pos[sol.Ref(i, t)]] = append(by[pos[sol.Ref(i, t)]], i)
	}
	gain := make([]float64, n*n)
	arg := make([]int, n*n)
	dist := make([]float64, n+1)
	pred := make([]int, n+1)
	total := 0.0
	// row recomputes the arcs out of room position a: the best student of a
	// for each other room.
	row := func(a int) {
		for b := 0; b < n; b++ {
			gain[a*n+b], arg[a*n+b] = -1, -1
			if a == b {
				continue
			}
			rb := rooms[b]
			for x, i := range by[a] {
				if p.Students[i].NeedsAccessible && !p.Rooms[rb].Accessible {
					continue
				}
				g := p.IndepValue(i, t, rb) - p.IndepValue(i, t, rooms[a])
				if arg[a*n+b] < 0 || g > gain[a*n+b] {
					gain[a*n+b], arg[a*n+b] = g, x
				}
			}
		}
	}
	for a := 0; a < n; a++ {
		row(a)
	}
	for round := 0; round < maxRoomRounds; round++ {
		// An improving move into a free place.
		moved := false
		for a := 0; a < n && !moved; a++ {
			for b := 0; b < n; b++ {
				if arg[a*n+b] >= 0 && gain[a*n+b] > eps && sol.RoomLoad(t, rooms[b]) < p.Rooms[rooms[b]].Capacity {
					if i := by[a][arg[a*n+b]]; !e.admitsMove(i, t, model.Indep, rooms[b]) {
						continue // a stable re-solve's churn limit forbids it
					}
					total += e.shift(t, by, rooms, a, b, arg[a*n+b])
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
		// an arc F→a (weight 0) lets room a release a student without
		// receiving one, an arc c→F (weight 0, if c has a free place) lets c
		// receive one without releasing one, so a cycle through F is an
		// improving chain of moves that ends in a free place.
		spare := func(c int) bool { return sol.RoomLoad(t, rooms[c]) < p.Rooms[rooms[c]].Capacity }
		weight := func(a, b int) (float64, bool) {
			switch {
			case a == n:
				return 0, true
			case b == n:
				return 0, spare(a)
			}
			return gain[a*n+b], arg[a*n+b] >= 0
		}
		for x := range dist {
			dist[x], pred[x] = 0, -1
		}
		last := -1
		for it := 0; it <= n; it++ {
			last = -1
			for a := 0; a <= n; a++ {
				for b := 0; b <= n; b++ {
					if a == b {
						continue
					}
					if w, ok := weight(a, b); ok && dist[a]+w > dist[b]+eps {
						dist[b], pred[b], last = dist[a]+w, a, b
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
		// cycle lists nodes backwards: pred[cycle[x]] = cycle[x+1] (mod len);
		// arcs touching F move nobody.
		sum := 0.0
		movers, dests := e.movers[:0], e.dests[:0]
		for x, b := range cycle {
			a := cycle[(x+1)%len(cycle)]
			w, _ := weight(a, b)
			sum += w
			if a < n && b < n {
				movers = append(movers, by[a][arg[a*n+b]])
				dests = append(dests, b)
			}
		}
		e.movers, e.dests = movers, dests
		if sum <= eps || len(movers) == 0 {
			break
		}
		// Take every mover out first, then seat each in its new room.
		d := 0.0
		from := e.from[:0]
		for _, i := range movers {
			from = append(from, sol.Ref(i, t))
			d += sol.Move(i, t, model.None, -1)
		}
		e.from = from
		for x, b := range dests {
			d += sol.Move(movers[x], t, model.Indep, rooms[b])
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
		// Update the room lists and the arcs out of the rooms touched.
		for x, b := range dests {
			i := movers[x]
			for a := range by {
				if y := slices.Index(by[a], i); y >= 0 {
					by[a] = append(by[a][:y], by[a][y+1:]...)
					row(a)
					break
				}
			}
			by[b] = append(by[b], i)
		}
		for _, b := range dests {
			row(b)
		}
	}
	return total
}

// shift moves the x-th student of room position a to room position b and
// updates the lists.
func (e *engine) shift(t int, by [][]int, rooms []int, a, b, x int) float64 {
	i := by[a][x]
	d := e.sol.Move(i, t, model.Indep, rooms[b])
	by[a] = append(by[a][:x], by[a][x+1:]...)
	by[b] = append(by[b], i)
	return d
}
