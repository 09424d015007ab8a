package bound

import (
	"math"
	"slices"
	"sort"

	"github.com/weekplan/weekplan/solver/model"
)

// Continuity with the teacher (docs/model.md §5). A member of a session
// earns w_stable when last week had it in the same slot, in the same mode,
// with the same teacher — or in that mode with no teacher named. The second
// kind does not depend on the teacher and is part of every session's shared
// value; the first is added in the teacher's own subproblem only: where
// teacher j had a student last week, j's best session on that student's
// skills is recomputed with the bonus (cont), and j takes it when it beats
// the shared best. Few students per teacher and slot had such a session, so
// this costs a few extra session choices per teacher-slot.

// contEntry is one student's focus entry with a teacher-specific
// continuity bonus in a mode.
type contEntry struct {
	k, pos int
	mode   model.Mode
}

// sharedValue is a member's session value with the continuity term only
// where last week's row in that mode names no teacher.
func sharedValue(p *model.Problem, i, t int, m model.Mode, k int) float64 {
	return memberValue(p, i, m, k, anyTeacherStable(p, i, t, m))
}

// anyTeacherStable reports whether last week had i in mode m in slot t with
// no teacher named (continuity with any teacher).
func anyTeacherStable(p *model.Problem, i, t int, m model.Mode) bool {
	st := &p.Students[i]
	if st.LastAt == nil {
		return false
	}
	for _, row := range st.Last[st.LastAt[t]:st.LastAt[t+1]] {
		if row.Mode == m && row.Teacher == -1 {
			return true
		}
	}
	return false
}

func (r *relax) initContinuity() {
	p := r.p
	T := r.T
	J := len(p.Teachers)
	r.cont = make([][]contEntry, J*T)
	r.own = make([]sessionBest, J*T)
	r.sharedOrder = make([][]int32, T*len(p.Skills))
	r.tv = make([]float64, J*T)
	r.tp = make([]int, J*T)
	for k, list := range p.BySkill {
		subj := p.Skills[k].Subject
		for pos, i := range list {
			st := &p.Students[i]
			if st.LastAt == nil {
				continue
			}
			for t := 0; t < T; t++ {
				for _, row := range st.Last[st.LastAt[t]:st.LastAt[t+1]] {
					j, m := row.Teacher, row.Mode
					if j < 0 || !m.IsSession() || !p.Teachers[j].Subjects[subj] || anyTeacherStable(p, i, t, m) {
						continue
					}
					r.cont[j*T+t] = append(r.cont[j*T+t], contEntry{k: k, pos: pos, mode: m})
				}
			}
		}
	}
}

// contPair is a (skill, mode) of a teacher's last-week students in a slot,
// with an upper bound on the teacher's session there.
type contPair struct {
	k    int
	mode model.Mode
	ub   float64
}

// ownPick marks a teacher-slot whose best session is its own (r.own).
const ownPick = -2

// teachersAt sets, for every teacher available in slot t, its best session
// value there (tv) and which session it is (tp: a shared (skill, mode)
// index, ownPick, or −1 for none worth leading). The shared bests of slot t
// must be computed.
func (r *relax) teachersAt(t int, buf []cand, sc *subsetScratch) []cand {
	p := r.p
	var pairsBuf []contPair
	T, K := r.T, len(p.Skills)
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		x := j*T + t
		r.tv[x], r.tp[x] = 0, -1
		if !tc.Avail[t] {
			continue
		}
		for k := 0; k < K; k++ {
			if !tc.Subjects[p.Skills[k].Subject] {
				continue
			}
			for m := 0; m < 2; m++ {
				y := (t*K+k)*2 + m
				if v := r.best[y].value; v > r.tv[x] {
					r.tv[x], r.tp[x] = v, y
				}
			}
		}
		// The (skill, mode) pairs of j's students of last week, by an upper
		// bound on j's session there with their bonus: the bonus adds at
		// most w_stable per bonus seat to any member set, whose shared
		// weight is at most the shared best (or 0 when no set has a
		// positive one). Highest first, so that once a bound cannot beat
		// the best so far, none after it can.
		entries := r.cont[x]
		pairs := pairsBuf[:0]
		for e := range entries {
			k, m := entries[e].k, entries[e].mode
			if !r.roomOK[t*2+int(m)] || r.seen(entries[:e], k, m) {
				continue
			}
			ub := math.Max(r.best[(t*K+k)*2+int(m)].value, 0) + float64(r.bonusSeats(entries, k, m))*p.P.WStable
			pairs = append(pairs, contPair{k: k, mode: m, ub: ub})
		}
		slices.SortStableFunc(pairs, func(a, b contPair) int { return cmpDesc(a.ub, b.ub) })
		for _, pr := range pairs {
			if pr.ub <= r.tv[x] {
				break
			}
			k, m := pr.k, pr.mode
			buf = r.ownCandidates(t, k, m, entries, buf[:0], sc)
			if len(buf) == 0 {
				continue
			}
			b := sessionBest{value: math.Inf(-1), members: r.spare(x), mode: m}
			if m == model.Tutor {
				bestSubset(p, m, buf, sc, &b)
			} else {
				bestOrdered(p, m, buf, r.ownOrder(t, k, buf, sc), sc, &b)
			}
			if b.value > r.tv[x] {
				r.tv[x], r.tp[x] = b.value, ownPick
				r.own[x] = b
			}
		}
		pairsBuf = pairs
	}
	return buf
}

// ownCandidates appends to buf the candidates of teacher-slot (j, t)'s own
// session on (k, m), weights with the bonus of j's last-week students
// (entries), but only those that can be in a set beating the shared
// session: a set that does must hold a bonus student (else its value is a
// shared one), so for a small group every member lies within one level band
// of a bonus student's mastery, and for tutoring every member is a bonus
// student or among the TutoringMax best of the others (each member of the
// best set has fewer than TutoringMax others above it).
//
// For a small group it records, for ownOrder, each candidate's index in buf
// by its position in BySkill[k] (sc.bufAt) and which candidates carry the
// bonus (sc.bonus).
func (r *relax) ownCandidates(t, k int, m model.Mode, entries []contEntry, buf []cand, sc *subsetScratch) []cand {
	p := r.p
	T := r.T
	list := p.BySkill[k]
	mastery := r.mastery[r.off[k] : r.off[k]+len(list)]
	var bonusAt []int // positions in list of the bonus students, ascending
	for _, o := range entries {
		if o.k == k && o.mode == m {
			bonusAt = append(bonusAt, o.pos)
		}
	}
	slices.Sort(bonusAt)
	bonusAt = slices.Compact(bonusAt)
	bonus := func(pos int) bool {
		_, found := slices.BinarySearch(bonusAt, pos)
		return found
	}
	add := func(pos int, b bool) {
		i := list[pos]
		if r.allowed[i*T+t]&modeBit(m) == 0 {
			return
		}
		f := r.off[k] + pos
		v := r.base[(t*r.nfocus+f)*2+int(m)] - r.lambda[(i*T+t)*2+int(m)]
		if b {
			v += p.P.WStable
		}
		buf = append(buf, cand{i: i, w: v, mastery: mastery[pos]})
	}
	if m == model.Tutor {
		// The bonus students, then the TutoringMax best others.
		hi := max(p.P.TutoringMax, 0)
		var top []cand
		for pos := range list {
			if bonus(pos) {
				add(pos, true)
				continue
			}
			i := list[pos]
			if r.allowed[i*T+t]&modeBit(m) == 0 {
				continue
			}
			f := r.off[k] + pos
			c := cand{i: i, w: r.base[(t*r.nfocus+f)*2+int(m)] - r.lambda[(i*T+t)*2+int(m)], mastery: mastery[pos]}
			if len(top) < hi {
				top = append(top, c)
			} else if hi > 0 && c.w > top[hi-1].w {
				top[hi-1] = c
			} else {
				continue
			}
			slices.SortStableFunc(top, func(a, b cand) int { return cmpDesc(a.w, b.w) })
		}
		// bestSubset reads masteries only for small groups; the order of
		// buf does not matter for tutoring.
		return append(buf, top...)
	}
	// Small group: the positions within one band of a bonus student,
	// in mastery order (BySkill's order).
	band := p.P.LevelBand + model.BandTol
	from, to := len(list), -1
	var spans [][2]int
	for _, pos := range bonusAt {
		a := sort.Search(pos, func(a int) bool { return mastery[pos]-mastery[a] <= band })
		e := sort.Search(len(list), func(e int) bool { return e > pos && mastery[e]-mastery[pos] > band }) - 1
		spans = append(spans, [2]int{a, e})
		from, to = min(from, a), max(to, e)
	}
	bufAt := grow(&sc.bufAt, len(list))
	sc.bonus = sc.bonus[:0]
	for pos := from; pos <= to; pos++ {
		in := false
		for _, sp := range spans {
			if sp[0] <= pos && pos <= sp[1] {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		n, b := len(buf), bonus(pos)
		if add(pos, b); len(buf) > n {
			bufAt[pos] = int32(n)
			if b {
				sc.bonus = append(sc.bonus, n)
			}
		}
	}
	return buf
}

// ownOrder returns the order bestOrdered needs for a teacher's own small
// group on skill k in slot t, from the candidates ownCandidates left in buf,
// without sorting them: the candidates without a bonus weigh what they
// weigh in the shared group, so they come in the shared order (filtered to
// buf); the few with a bonus are sorted and merged in. It equals byWeight's
// order: the shared order's cut was widened by w_stable for this
// (lagrangian.go), and ties fall by index either way, since buf and the
// shared candidates are both in BySkill's order.
func (r *relax) ownOrder(t, k int, buf []cand, sc *subsetScratch) []int {
	p := r.p
	maxW := math.Inf(-1)
	for x := range buf {
		maxW = math.Max(maxW, buf[x].w)
	}
	order := sc.order[:0]
	if maxW <= 0 {
		sc.order = order
		return order
	}
	cut := pruneCut(p, model.Group, maxW)
	bonus := sc.bonus
	slices.SortFunc(bonus, func(a, b int) int {
		switch {
		case buf[a].w > buf[b].w:
			return -1
		case buf[a].w < buf[b].w:
			return 1
		}
		return a - b
	})
	inBuf := func(pos int32) (int, bool) {
		x := int(sc.bufAt[pos])
		return x, x < len(buf) && buf[x].i == p.BySkill[k][pos] && !slices.Contains(bonus, x)
	}
	y := 0
	for _, pos := range r.sharedOrder[t*len(p.Skills)+k] {
		x, ok := inBuf(pos)
		if !ok {
			continue
		}
		for ; y < len(bonus) && (buf[bonus[y]].w > buf[x].w || buf[bonus[y]].w == buf[x].w && bonus[y] < x); y++ {
			if buf[bonus[y]].w > cut {
				order = append(order, bonus[y])
			}
		}
		if buf[x].w <= cut {
			break
		}
		order = append(order, x)
	}
	for ; y < len(bonus); y++ {
		if buf[bonus[y]].w > cut {
			order = append(order, bonus[y])
		}
	}
	sc.order = order
	return order
}

// bonusSeats is how many members of a session on (k, m) can carry a
// bonus: the entries on (k, m), at most the session's size.
func (r *relax) bonusSeats(entries []contEntry, k int, m model.Mode) int {
	n := 0
	for _, o := range entries {
		if o.k == k && o.mode == m {
			n++
		}
	}
	hi := r.p.P.TutoringMax
	if m == model.Group {
		hi = r.p.P.GroupMax
	}
	return min(n, max(hi, 0))
}

// seen reports whether entries hold (k, m).
func (r *relax) seen(entries []contEntry, k int, m model.Mode) bool {
	for _, o := range entries {
		if o.k == k && o.mode == m {
			return true
		}
	}
	return false
}

// spare returns an empty member slice for a new own session of teacher-slot
// x, reusing the storage of the one it may replace only when that is not
// the current pick.
func (r *relax) spare(x int) []int {
	if r.tp[x] == ownPick {
		return nil
	}
	return r.own[x].members[:0]
}

// chosen is teacher j's session in slot t (tp must be ≥ 0 or ownPick) and
// its mode.
func (r *relax) chosen(j, t int) (*sessionBest, int) {
	x := j*r.T + t
	if r.tp[x] == ownPick {
		return &r.own[x], int(r.own[x].mode)
	}
	return &r.best[r.tp[x]], r.tp[x] % 2
}
