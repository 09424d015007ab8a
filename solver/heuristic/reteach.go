package heuristic

import (
	"math"
)

// With the sessions of a slot fixed — skill, mode, room and members — which
// teacher leads which session changes only the continuity term: a member
// earns w_stable where last week had it in that slot and mode with that
// teacher. Choosing the teachers is then an assignment problem, sessions to
// the teachers free to lead them (those leading in the slot, and those
// available with weekly budget left), solved exactly by the Hungarian method
// (Kuhn 1955, "The Hungarian method for the assignment problem", Naval
// Research Logistics Quarterly 2; in the O(n²m) form with potentials of
// Jonker & Volgenant 1987). Relocations and swaps never change a session's
// teacher, and a ruin-and-recreate move does so only by chance, so without
// this the sessions' continuity with last week's teachers is mostly lost.

// reteachSlot gives the sessions of slot t the teachers that maximise their
// members' continuity, keeping everything else; it returns the objective
// change (≥ 0).
func (e *engine) reteachSlot(t int) float64 {
	p, sol := e.p, e.sol
	if p.P.WStable <= 0 {
		return 0
	}
	// The slot's sessions that may change teacher, and the teachers that
	// may take them: those leading them, and the free ones with budget.
	sess, teachers := e.rtSess[:0], e.rtTeachers[:0]
	for j := range p.Teachers {
		id := sol.Busy(j, t)
		switch {
		case id >= 0 && !e.frozenSession(id):
			sess = append(sess, id)
			teachers = append(teachers, j)
		case id < 0 && p.Teachers[j].Avail[t] && sol.TeacherSessions(j) < p.Teachers[j].Limit:
			teachers = append(teachers, j)
		}
	}
	e.rtSess, e.rtTeachers = sess, teachers
	n, m := len(sess), len(teachers)
	if n == 0 || m < 2 {
		return 0
	}
	// gain[a*m+b]: continuity of session a's members under teacher b, in
	// members (−1: b may not lead a).
	e.rtGain = grow(e.rtGain, n*m)
	gain := e.rtGain
	better := false
	for a, id := range sess {
		own := -1
		for b, j := range teachers {
			g := e.continuity(id, j)
			gain[a*m+b] = g
			if j == sol.Sessions[id].Teacher {
				own = g
			}
		}
		for b := range teachers {
			better = better || gain[a*m+b] > own
		}
	}
	if !better {
		return 0
	}
	to := e.assign.solve(gain, n, m)
	now, then := 0, 0
	for a, id := range sess {
		for b, j := range teachers {
			if j == sol.Sessions[id].Teacher {
				now += gain[a*m+b]
			}
		}
		then += gain[a*m+to[a]]
	}
	if then <= now {
		return 0
	}
	churn0 := sol.Churn()
	sol.Begin()
	d := 0.0
	for a, id := range sess {
		d += sol.SetTeacher(id, teachers[to[a]])
	}
	if !e.accepts(d, churn0) {
		sol.Rollback()
		return 0
	}
	sol.Commit()
	return d
}

// continuity is the number of members of session id that would earn the
// continuity term under teacher j, or −1 if j may not lead it: a teacher of
// another subject, or one a member's pin rules out.
func (e *engine) continuity(id, j int) int {
	p, sol := e.p, e.sol
	ss := &sol.Sessions[id]
	if !p.Teachers[j].Subjects[p.Skills[ss.Skill].Subject] {
		return -1
	}
	n := 0
	for _, i := range ss.Members {
		if p.Pin(i, ss.Slot) != nil && !sol.PinAllows(i, ss.Slot, ss.Mode, j, ss.Room, ss.Skill) {
			return -1
		}
		if p.Stable(i, ss.Slot, ss.Mode, j) {
			n++
		}
	}
	return n
}

// assignment is the Hungarian method's scratch.
type assignment struct {
	u, v, minv []float64
	way, match []int
	used       []bool
	to         []int
}

// solve returns, for each of n rows, the column of m ≥ n it is assigned to,
// maximising the sum of gain[row*m+col] over the rows; a negative gain
// forbids the pair, and some assignment must avoid every forbidden pair.
func (h *assignment) solve(gain []int, n, m int) []int {
	const forbidden = 1e9
	cost := func(a, b int) float64 {
		if g := gain[a*m+b]; g >= 0 {
			return -float64(g)
		}
		return forbidden
	}
	h.u = grow(h.u, n+1)
	h.v = grow(h.v, m+1)
	h.minv = grow(h.minv, m+1)
	h.way = grow(h.way, m+1)
	h.match = grow(h.match, m+1)
	h.used = grow(h.used, m+1)
	h.to = grow(h.to, n)
	u, v, minv, way, match, used := h.u, h.v, h.minv, h.way, h.match, h.used
	clear(u)
	clear(v)
	clear(match) // match[col] is 1 + its row; 0: free (column 0 is the root)
	for row := 1; row <= n; row++ {
		match[0] = row
		j0 := 0
		for x := range minv {
			minv[x] = math.Inf(1)
		}
		clear(used)
		for {
			used[j0] = true
			i0, delta, j1 := match[j0], math.Inf(1), 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if c := cost(i0-1, j-1) - u[i0] - v[j]; c < minv[j] {
					minv[j], way[j] = c, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[match[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if match[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			match[j0] = match[j1]
			j0 = j1
		}
	}
	for j := 1; j <= m; j++ {
		if match[j] > 0 {
			h.to[match[j]-1] = j - 1
		}
	}
	return h.to
}
