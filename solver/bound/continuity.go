package bound

import (
	"math"

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
	st := &p.Students[i]
	f := st.FocusOn(k)
	w := p.P.WGroup
	if m == model.Tutor {
		w = p.P.WTutor
	}
	v := w*f.Need*st.Priority + p.P.WInterest*st.Interest[p.Skills[k].Key]
	if anyTeacherStable(p, i, t, m) {
		v += p.P.WStable
	}
	return v
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

// ownPick marks a teacher-slot whose best session is its own (r.own).
const ownPick = -2

// teachersAt sets, for every teacher available in slot t, its best session
// value there (tv) and which session it is (tp: a shared (skill, mode)
// index, ownPick, or −1 for none worth leading). The shared bests of slot t
// must be computed.
func (r *relax) teachersAt(t int, buf []cand, order []int) ([]cand, []int) {
	p := r.p
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
		entries := r.cont[x]
		for e := range entries {
			k, m := entries[e].k, entries[e].mode
			if !r.roomOK[t*2+int(m)] || r.seen(entries[:e], k, m) {
				continue
			}
			// The bonus adds at most w_stable per member to any member set,
			// whose shared weight is at most the shared best (or 0 when no
			// set has a positive one): skip when even that cannot win.
			if math.Max(r.best[(t*K+k)*2+int(m)].value, 0)+float64(r.bonusSeats(entries, k, m))*p.P.WStable <= r.tv[x] {
				continue
			}
			// j's session on (k, m) with its own students' bonus.
			buf = buf[:0]
			for pos, i := range p.BySkill[k] {
				if r.allowed[i*T+t]&modeBit(m) == 0 {
					continue
				}
				f := r.off[k] + pos
				v := r.base[(t*r.nfocus+f)*2+int(m)] - r.lambda[(i*T+t)*2+int(m)]
				for _, o := range entries {
					if o.k == k && o.mode == m && o.pos == pos {
						v += p.P.WStable
						break
					}
				}
				buf = append(buf, cand{i: i, w: v, mastery: r.mastery[f]})
			}
			if len(buf) == 0 {
				continue
			}
			b := sessionBest{value: math.Inf(-1), members: r.spare(x), mode: m}
			order = bestSubset(p, m, buf, order, &b)
			if b.value > r.tv[x] {
				r.tv[x], r.tp[x] = b.value, ownPick
				r.own[x] = b
			}
		}
	}
	return buf, order
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
