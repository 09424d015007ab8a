package bound

import (
	"math"
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// Room prices (docs/model.md §5.4). Every schedule places at most cap(r)
// students in room r in slot t, so at most cap(r) of them work there
// independently:
//
//	Σ_i x[i,t,r] ≤ cap(r)   for every room r and slot t.
//
// Dualising these rows with prices μ[r,t] ≥ 0 adds Σ μ[r,t]·cap(r) to L and
// makes a student's independent value in slot t the best over its rooms of
// value(i,t,r) − μ[r,t]. For every λ and every μ ≥ 0 the result is still an
// upper bound (students in sessions only fill the room further, so leaving
// them out of the row loosens it); with μ = 0 it is the bound without rooms.
//
// A student's independent value depends on the room only through the room's
// interest key and its price, so the rooms fall into classes by (key,
// accessible) and a student takes the cheapest available room of its best
// class; a pin to a room leaves the student that room alone.

// roomClass is the independent rooms of one interest key (−1: no topic) and
// one accessibility.
type roomClass struct {
	key        int
	accessible bool
	rooms      []int
}

// roomPrices is the room-price part of the relaxation.
type roomPrices struct {
	classes []roomClass
	// mu[r*T+t] ≥ 0 is the price of a seat in room r in slot t.
	mu []float64
	// cheap[t*C+c] is the cheapest room of class c available in slot t
	// (−1: none), cheapMu its price.
	cheap   []int
	cheapMu []float64
	// stable[i*T+t]: i earns the continuity term for independent work in t.
	stable []bool
	// pinRoom[i*T+t] is the room a pin names, or −1.
	pinRoom []int32
	// chose[i*T+t] says that i's subproblem chose independent work in the
	// last evaluation.
	chose []bool
	// pick[i*T+t] is the class of the room i's independent value comes
	// from at the current prices (priceRooms), or −1.
	pick []int32
	// classOf[r] is room r's class, or −1.
	classOf []int
	// nu[c*T+t] is the price of class c in slot t (setClassPrices): every
	// room of the class available in t has it.
	nu []float64
}

// clearSweeps is the number of coordinate-descent sweeps over the room
// classes' prices of a slot in clearRooms.
const clearSweeps = 5

func (r *relax) initRooms() {
	p := r.p
	T := r.T
	rp := &r.rooms
	for x := range p.Rooms {
		rm := &p.Rooms[x]
		if !rm.Allows(model.Indep) || rm.Capacity <= 0 {
			continue
		}
		c := slices.IndexFunc(rp.classes, func(cl roomClass) bool {
			return cl.key == rm.Key && cl.accessible == rm.Accessible
		})
		if c < 0 {
			rp.classes = append(rp.classes, roomClass{key: rm.Key, accessible: rm.Accessible})
			c = len(rp.classes) - 1
		}
		rp.classes[c].rooms = append(rp.classes[c].rooms, x)
	}
	rp.classOf = make([]int, len(p.Rooms))
	for x := range rp.classOf {
		rp.classOf[x] = -1
	}
	for c := range rp.classes {
		for _, x := range rp.classes[c].rooms {
			rp.classOf[x] = c
		}
	}
	rp.nu = make([]float64, len(rp.classes)*T)
	rp.pick = make([]int32, r.S*T)
	rp.mu = make([]float64, len(p.Rooms)*T)
	rp.cheap = make([]int, T*len(rp.classes))
	rp.cheapMu = make([]float64, T*len(rp.classes))
	rp.stable = make([]bool, r.S*T)
	rp.pinRoom = make([]int32, r.S*T)
	rp.chose = make([]bool, r.S*T)
	for i := range p.Students {
		for t := 0; t < T; t++ {
			k := i*T + t
			rp.pinRoom[k] = -1
			rp.stable[k] = p.Stable(i, t, model.Indep, -1)
			if pn := p.Pin(i, t); pn != nil && pn.Room >= 0 {
				rp.pinRoom[k] = int32(pn.Room)
			}
		}
	}
}

// classValue is student i's independent value in a room of class c in the
// slot of student-slot k before the price, or −Inf if the class is closed to
// i. It sums the terms in model.Problem.IndepValue's order, so that with
// zero prices the bound is bit for bit the one without them.
func (r *relax) classValue(i, k int, c *roomClass) float64 {
	p := r.p
	st := &p.Students[i]
	if st.NeedsAccessible && !c.accessible {
		return math.Inf(-1)
	}
	v := p.P.WIndep
	if c.key >= 0 {
		v += p.P.WInterest * st.Interest[c.key]
	}
	if r.rooms.stable[k] {
		v += p.P.WStable
	}
	return v
}

// priceRooms sets r.indep of every student-slot that may work independently
// from the current room prices (with prices 0 it is the value initChoices
// set, bit for bit).
func (r *relax) priceRooms() {
	p := r.p
	T := r.T
	rp := &r.rooms
	C := len(rp.classes)
	for t := 0; t < T; t++ {
		for c := range rp.classes {
			best, bm := -1, math.Inf(1)
			for _, x := range rp.classes[c].rooms {
				if p.Rooms[x].Avail[t] && rp.mu[x*T+t] < bm {
					best, bm = x, rp.mu[x*T+t]
				}
			}
			rp.cheap[t*C+c], rp.cheapMu[t*C+c] = best, bm
		}
	}
	r.parallel(r.S, func(i int) {
		for t := 0; t < T; t++ {
			k := i*T + t
			if r.allowed[k]&2 == 0 {
				continue
			}
			if x := rp.pinRoom[k]; x >= 0 {
				r.indep[k] = p.IndepValue(i, t, int(x)) - rp.mu[int(x)*T+t]
				rp.pick[k] = int32(rp.classOf[x])
				continue
			}
			best, pick := math.Inf(-1), -1
			for c := range rp.classes {
				if rp.cheap[t*C+c] >= 0 {
					if v := r.classValue(i, k, &rp.classes[c]) - rp.cheapMu[t*C+c]; v > best {
						best, pick = v, c
					}
				}
			}
			r.indep[k] = best
			rp.pick[k] = int32(pick)
		}
	})
}

// roomValue is the priced rows' constant term Σ μ[r,t]·cap(r).
func (r *relax) roomValue() float64 {
	v := 0.0
	for x := range r.p.Rooms {
		for t := 0; t < r.T; t++ {
			v += r.rooms.mu[x*r.T+t] * float64(r.p.Rooms[x].Capacity)
		}
	}
	return v
}

// clearRooms sets the room prices of every slot to clear the market of the
// students whose subproblems chose independent work (chose): the prices
// minimise Σ_i max(−p_unplaced, max_c (v_ic − μ_c)) + Σ_c μ_c·cap_c over
// the classes' prices, by coordinate descent — for one class, the best price
// is the (cap_c+1)-th largest margin v_ic − (i's best elsewhere), or 0 —
// as the dual of assigning those students to rooms (Bertsekas 1998,
// "Network Optimization", §7.2: the prices at which demand meets
// capacity). Students pinned to a room use up its seats. All rooms of a
// class get the class's price.
func (r *relax) clearRooms(chose []bool) {
	p := r.p
	T := r.T
	rp := &r.rooms
	C := len(rp.classes)
	var vals, margins []float64 // market student × class values
	mu := make([]float64, C)
	capc := make([]int, C)
	pinned := make([]int, len(p.Rooms))
	for t := 0; t < T; t++ {
		vals = vals[:0]
		clear(pinned)
		n := 0
		for i := range p.Students {
			k := i*T + t
			if !chose[k] {
				continue
			}
			if x := rp.pinRoom[k]; x >= 0 {
				pinned[x]++
				continue
			}
			for c := range rp.classes {
				vals = append(vals, r.classValue(i, k, &rp.classes[c]))
			}
			n++
		}
		for c := range rp.classes {
			capc[c], mu[c] = 0, 0
			for _, x := range rp.classes[c].rooms {
				if p.Rooms[x].Avail[t] {
					capc[c] += max(0, p.Rooms[x].Capacity-pinned[x])
				}
			}
		}
		for range clearSweeps {
			for c := 0; c < C; c++ {
				margins = margins[:0]
				for s := 0; s < n; s++ {
					row := vals[s*C : (s+1)*C]
					if math.IsInf(row[c], -1) {
						continue
					}
					other := -p.P.PUnplaced
					for c2, v := range row {
						if c2 != c {
							other = math.Max(other, v-mu[c2])
						}
					}
					if d := row[c] - other; d > 0 {
						margins = append(margins, d)
					}
				}
				mu[c] = 0
				if len(margins) > capc[c] {
					slices.SortFunc(margins, cmpDesc)
					mu[c] = margins[capc[c]]
				}
			}
		}
		for c := range rp.classes {
			rp.nu[c*T+t] = mu[c]
		}
	}
	r.setClassPrices(rp.nu)
}

// setClassPrices makes nu[c*T+t] (negative read as 0) the price of every
// room of class c available in slot t — a room closed in t is in no
// schedule's row and gets no price — and updates the independent values.
func (r *relax) setClassPrices(nu []float64) {
	T := r.T
	rp := &r.rooms
	for c := range rp.classes {
		for _, x := range rp.classes[c].rooms {
			for t := 0; t < T; t++ {
				rp.mu[x*T+t] = 0
				if r.p.Rooms[x].Avail[t] {
					rp.mu[x*T+t] = math.Max(0, nu[c*T+t])
				}
			}
		}
	}
	r.priceRooms()
}

// classGrad writes into g[c*T+t] the derivative of L in the price of class
// c in slot t at the last evaluation: the class's seats in t less the
// students whose subproblems chose a room of it.
func (r *relax) classGrad(g []float64) {
	T := r.T
	rp := &r.rooms
	clear(g)
	for c := range rp.classes {
		for _, x := range rp.classes[c].rooms {
			for t := 0; t < T; t++ {
				if r.p.Rooms[x].Avail[t] {
					g[c*T+t] += float64(r.p.Rooms[x].Capacity)
				}
			}
		}
	}
	for k, ok := range rp.chose {
		if ok && rp.pick[k] >= 0 {
			g[int(rp.pick[k])*T+k%T]--
		}
	}
}
