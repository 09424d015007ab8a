package heuristic

import (
	"math"
	"slices"
)

// With the sessions of a slot fixed — skill, mode, room and members — which
// teacher leads which session changes only the continuity term: a member
// earns w_stable where last week had it in that slot and mode with that
// teacher. Choosing the teachers is then an assignment problem, sessions to
// the teachers free to lead them (those leading in the slot, and those
// available with weekly budget left), solved by the Hungarian method
// (Kuhn 1955, "The Hungarian method for the assignment problem", Naval
// Research Logistics Quarterly 2; in its O(n²m) form with row and column
// potentials). Relocations and swaps never change a session's teacher, and a
// ruin-and-recreate move does so only by chance, so without this the
// sessions' continuity with last week's teachers is mostly lost. On a slot
// of more than wholeSlot sessions the assignment is solved over the sessions
// that can gain, the sessions they would displace and the teachers all of
// these may go to (see reteachSlot), not over the whole slot: that is exact
// for every reassignment in which the other sessions keep their teachers, at
// a cost that does not grow with the school.

// reteachSlot gives the sessions of slot t the teachers that maximise their
// members' continuity, keeping everything else; it returns the objective
// change (≥ 0).
func (e *engine) reteachSlot(t int) float64 {
	p, sol := e.p, e.sol
	if p.P.WStable <= 0 {
		return 0
	}
	// may reports whether teacher j may take one of the slot's sessions:
	// it leads one there that may change teacher, or it is free with
	// weekly budget left.
	may := func(j int) bool {
		if id := sol.Busy(j, t); id >= 0 {
			return !e.frozenSession(id)
		}
		return p.Teachers[j].Avail[t] && sol.TeacherSessions(j) < p.Teachers[j].Limit
	}
	// Only the sessions that some member's last-week teacher would lead
	// with more continuity can gain, and only by moving to such a teacher.
	// On a slot of more than wholeSlot sessions the assignment is solved
	// over those sessions, their teachers, the teachers they could move to,
	// the sessions those lead (which must then move too) and the free
	// teachers: every other session keeps its teacher. Over all the slot's
	// sessions the method costs O(n³) per call, seconds per run on a
	// 10,000-student school.
	if e.reteachWhole(t, may) {
		return e.reteachOver()
	}
	sess, teachers := e.rtSess[:0], e.rtTeachers[:0]
	for j := range p.Teachers {
		id := sol.Busy(j, t)
		if id < 0 || e.frozenSession(id) {
			continue
		}
		ss := &sol.Sessions[id]
		own, gains := -2, false
		for _, i := range ss.Members {
			st := &p.Students[i]
			if st.LastAt == nil {
				continue
			}
			for _, r := range st.Last[st.LastAt[t]:st.LastAt[t+1]] {
				if r.Mode != ss.Mode || r.Teacher < 0 || r.Teacher == j || !may(r.Teacher) {
					continue
				}
				if own == -2 {
					own = e.continuity(id, j)
				}
				if e.continuity(id, r.Teacher) > own {
					gains = true
					if !slices.Contains(teachers, r.Teacher) {
						teachers = append(teachers, r.Teacher)
					}
				}
			}
		}
		if gains {
			sess = append(sess, id)
		}
	}
	if len(sess) == 0 {
		e.rtSess, e.rtTeachers = sess, teachers
		return 0
	}
	// The teachers the sessions may move to lead sessions that must then
	// move: those join, and every session's own teacher is a column.
	for x := 0; x < len(teachers); x++ {
		if id := sol.Busy(teachers[x], t); id >= 0 && !slices.Contains(sess, id) {
			sess = append(sess, id)
		}
	}
	for _, id := range sess {
		if j := sol.Sessions[id].Teacher; !slices.Contains(teachers, j) {
			teachers = append(teachers, j)
		}
	}
	// A session that must move may also go to any free teacher.
	for j := range p.Teachers {
		if sol.Busy(j, t) < 0 && may(j) && !slices.Contains(teachers, j) {
			teachers = append(teachers, j)
		}
	}
	e.rtSess, e.rtTeachers = sess, teachers
	return e.reteachOver()
}

// wholeSlot is the largest number of sessions of a slot whose teachers
// reteachSlot reassigns all together (a variable for the tests of the
// restricted assignment).
var wholeSlot = 64

// reteachWhole puts every session of slot t that may change teacher and
// every teacher that may take one (may) into e.rtSess and e.rtTeachers and
// reports true, when there are at most wholeSlot such sessions.
func (e *engine) reteachWhole(t int, may func(j int) bool) bool {
	sess, teachers := e.rtSess[:0], e.rtTeachers[:0]
	for j := range e.p.Teachers {
		if !may(j) {
			continue
		}
		teachers = append(teachers, j)
		if id := e.sol.Busy(j, t); id >= 0 {
			sess = append(sess, id)
		}
	}
	e.rtSess, e.rtTeachers = sess, teachers
	return len(sess) <= wholeSlot
}

// reteachOver solves the assignment of the sessions e.rtSess to the
// teachers e.rtTeachers (which hold every session's own teacher) and makes
// it if it gains.
func (e *engine) reteachOver() float64 {
	sol := e.sol
	sess, teachers := e.rtSess, e.rtTeachers
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
		own := e.continuity(id, sol.Sessions[id].Teacher)
		for b, j := range teachers {
			gain[a*m+b] = e.continuity(id, j)
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
		if gain[a*m+to[a]] < 0 {
			return 0 // cannot happen: keeping every teacher is allowed
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
