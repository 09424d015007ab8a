package bound

import (
	"math"

	"github.com/weekplan/weekplan/solver/model"
)

// dpNode is one state of a student's week: sessions so far (capped at the
// contact target) and minutes per mode (each capped at its requirement).
type dpNode struct {
	key    int64
	v      float64
	prev   int32
	choice int8 // bit index: 0 none, 1 indep, 2 group, 3 tutor; -1 nothing
}

type dpScratch struct {
	layers [][]dpNode
	stamps []uint32
	pos    []int32
	stamp  uint32
	dv     []float64
	dc     []int8
}

func packKey(n int, m [model.NModes]int) int64 {
	return int64(n) | int64(m[0])<<8 | int64(m[1])<<24 | int64(m[2])<<40
}

func unpackKey(k int64) (int, [model.NModes]int) {
	return int(k & 0xff), [model.NModes]int{int(k >> 8 & 0xffff), int(k >> 24 & 0xffff), int(k >> 40 & 0xffff)}
}

// studentSide solves every student's subproblem and records +x in grad.
func (r *relax) studentSide() float64 {
	// The scratch lives as long as r: allocating the DP's tables anew at
	// every evaluation was a tenth of a small school's solve (GC and page
	// clearing).
	if len(r.dp) < r.workers {
		r.dp = make([]dpScratch, r.workers)
		r.dpVals = make([]float64, r.S)
	}
	vals, scratch := r.dpVals, r.dp
	w := min(r.workers, r.S)
	if w < 1 {
		w = 1
	}
	r.parallelIndexed(r.S, w, func(g, i int) { vals[i] = r.student(i, &scratch[g]) })
	total := 0.0
	for _, v := range vals {
		total += v
	}
	return total
}

// parallelIndexed is parallel with the worker's index passed to f.
func (r *relax) parallelIndexed(n, w int, f func(g, x int)) {
	if w <= 1 {
		for x := 0; x < n; x++ {
			f(0, x)
		}
		return
	}
	done := make(chan struct{}, w)
	for g := 0; g < w; g++ {
		go func(g int) {
			for x := g; x < n; x += w {
				f(g, x)
			}
			done <- struct{}{}
		}(g)
	}
	for g := 0; g < w; g++ {
		<-done
	}
}

// student maximises Σ_t (choice value + λ for session choices) + contact −
// IEP shortfall over student i's week by dynamic programming over slots, and
// adds its session choices to grad.
func (r *relax) student(i int, sc *dpScratch) float64 {
	p := r.p
	st := &p.Students[i]
	C := max(p.P.ContactTarget, 0)
	req := st.MinMinutes
	if req == [model.NModes]int{} {
		return r.studentDense(i, sc)
	}
	W := C + 1
	dense := W * (req[0] + 1) * (req[1] + 1) * (req[2] + 1)
	if len(sc.stamps) < dense {
		sc.stamps = make([]uint32, dense)
		sc.pos = make([]int32, dense)
		sc.stamp = 0
	}
	if len(sc.layers) < r.T+1 {
		sc.layers = make([][]dpNode, r.T+1)
	}
	sc.layers[0] = append(sc.layers[0][:0], dpNode{key: packKey(0, [model.NModes]int{}), prev: -1, choice: -1})
	for t := 0; t < r.T; t++ {
		cur := sc.layers[t]
		next := sc.layers[t+1][:0]
		k := i*r.T + t
		mask := r.allowed[k]
		minutes := p.Slots[t].Minutes
		if sc.stamp == math.MaxUint32 {
			clear(sc.stamps)
			sc.stamp = 0
		}
		sc.stamp++
		add := func(from int32, v float64, n int, mins [model.NModes]int, choice int8) {
			key := packKey(n, mins)
			d := n + W*(mins[0]+(req[0]+1)*(mins[1]+(req[1]+1)*mins[2]))
			if sc.stamps[d] == sc.stamp {
				x := sc.pos[d]
				if v > next[x].v {
					next[x].v, next[x].prev, next[x].choice = v, from, choice
				}
				return
			}
			sc.stamps[d], sc.pos[d] = sc.stamp, int32(len(next))
			next = append(next, dpNode{key: key, v: v, prev: from, choice: choice})
		}
		for x := range cur {
			node := &cur[x]
			n, mins := unpackKey(node.key)
			if !st.Avail[t] {
				add(int32(x), node.v, n, mins, -1)
				continue
			}
			if mask&1 != 0 {
				add(int32(x), node.v-p.P.PUnplaced, n, mins, 0)
			}
			if mask&2 != 0 {
				m2 := mins
				m2[model.Indep] = min(m2[model.Indep]+minutes, req[model.Indep])
				add(int32(x), node.v+r.indep[k], n, m2, 1)
			}
			for _, m := range [2]model.Mode{model.Group, model.Tutor} {
				if mask&modeBit(m) == 0 {
					continue
				}
				m2 := mins
				m2[m] = min(m2[m]+minutes, req[m])
				add(int32(x), node.v+r.lambda[k*2+int(m)], min(n+1, C), m2, int8(2+m))
			}
		}
		if len(next) == 0 {
			// No allowed choice (cannot happen for a valid instance: an
			// unplaced option always exists unless pinned); treat as −∞.
			sc.layers[t+1] = next
			return math.Inf(-1)
		}
		sc.layers[t+1] = next
	}
	last := sc.layers[r.T]
	best, bx := math.Inf(-1), -1
	for x := range last {
		n, mins := unpackKey(last[x].key)
		v := last[x].v + p.Contact(i, n) + p.IEPPenalty(i, &mins)
		if v > best {
			best, bx = v, x
		}
	}
	for t := r.T; t > 0 && bx >= 0; t-- {
		node := &sc.layers[t][bx]
		if node.choice >= 2 {
			r.grad[(i*r.T+t-1)*2+int(node.choice-2)] += 1
		} else if node.choice == 1 {
			r.rooms.chose[i*r.T+t-1] = true
		}
		bx = int(node.prev)
	}
	return best
}

// studentDense is student for a student without minimum minutes: the state
// is only the number of sessions so far (capped at the contact target).
func (r *relax) studentDense(i int, sc *dpScratch) float64 {
	p := r.p
	st := &p.Students[i]
	C := max(p.P.ContactTarget, 0)
	W := C + 1
	need := (r.T + 1) * W
	if cap(sc.dv) < need {
		sc.dv = make([]float64, need)
		sc.dc = make([]int8, need)
	}
	dv, dc := sc.dv[:need], sc.dc[:need]
	for x := range dv {
		dv[x] = math.Inf(-1)
	}
	dv[0] = 0
	for t := 0; t < r.T; t++ {
		k := i*r.T + t
		cur, next := dv[t*W:(t+1)*W], dv[(t+1)*W:(t+2)*W]
		nc := dc[(t+1)*W : (t+2)*W]
		if !st.Avail[t] {
			copy(next, cur)
			for n := range nc {
				nc[n] = -1
			}
			continue
		}
		mask := r.allowed[k]
		// Best non-session and best session choice of this slot.
		stay, stayC := math.Inf(-1), int8(-1)
		if mask&1 != 0 {
			stay, stayC = -p.P.PUnplaced, 0
		}
		if mask&2 != 0 && r.indep[k] > stay {
			stay, stayC = r.indep[k], 1
		}
		sess, sessC := math.Inf(-1), int8(-1)
		for _, m := range [2]model.Mode{model.Group, model.Tutor} {
			if mask&modeBit(m) != 0 && r.lambda[k*2+int(m)] > sess {
				sess, sessC = r.lambda[k*2+int(m)], int8(2+m)
			}
		}
		for n := 0; n < W; n++ {
			next[n] = math.Inf(-1)
		}
		for n := 0; n < W; n++ {
			if math.IsInf(cur[n], -1) {
				continue
			}
			if stayC >= 0 && cur[n]+stay > next[n] {
				next[n], nc[n] = cur[n]+stay, stayC
			}
			if sessC >= 0 {
				n2 := min(n+1, C)
				if v := cur[n] + sess; v > next[n2] {
					next[n2], nc[n2] = v, sessC+int8(8*(n2-n)) // remember n moved
				}
			}
		}
	}
	best, bn := math.Inf(-1), -1
	for n := 0; n < W; n++ {
		if v := dv[r.T*W+n] + p.Contact(i, n); v > best {
			best, bn = v, n
		}
	}
	for t := r.T; t > 0 && bn >= 0; t-- {
		c := dc[t*W+bn]
		if c < 0 {
			continue // unavailable slot: state unchanged
		}
		ch := c % 8
		if ch >= 2 {
			r.grad[(i*r.T+t-1)*2+int(ch-2)] += 1
		} else if ch == 1 {
			r.rooms.chose[i*r.T+t-1] = true
		}
		bn -= int(c / 8)
	}
	return best
}
