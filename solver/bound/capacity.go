package bound

import (
	"math"
	"slices"

	"github.com/weekplan/weekplan/solver/model"
)

// Capacity returns the capacity bound of docs/model.md §5.2: every
// student-slot's best independent value (or the unplaced penalty where no
// room can take it), plus what sessions can add on top of that — at most the
// teacher-slots the week has, each adding at most the sum of the G largest
// per-student surpluses of its slot, G the largest session size — plus the
// contact term of at most G members per session. IEP shortfall penalties,
// which are never positive, count as 0; the level band, subjects beyond "a
// teacher of the subject is available", room capacities and pins are
// dropped. Every dropped constraint can only raise the maximum, so the value
// is a proven upper bound. It is cheap (one pass over the focus skills and a
// few sorts) and, on large schools where the Lagrangian's subgradient method
// has too few iterations to converge, much the tighter of the two.
func Capacity(p *model.Problem) float64 {
	T := p.T()
	par := &p.P
	G := max(par.TutoringMax, 0)
	if par.GroupMax >= par.GroupMin {
		G = max(G, par.GroupMax)
	}
	// Which (slot, mode) has a room, and how many sessions each slot can
	// hold: teachers available and stations of usable rooms.
	roomOK := make([]bool, T*2)
	stations := make([]int, T)
	for t := 0; t < T; t++ {
		for r := range p.Rooms {
			rm := &p.Rooms[r]
			if !rm.Avail[t] || rm.Stations <= 0 {
				continue
			}
			usable := false
			for m := model.Group; m <= model.Tutor; m++ {
				if rm.Allows(m) && rm.Capacity >= p.MinSize(m) {
					roomOK[t*2+int(m)] = true
					usable = true
				}
			}
			if usable {
				stations[t] += rm.Stations
			}
		}
	}
	if par.GroupMax < max(par.GroupMin, 1) {
		for t := 0; t < T; t++ {
			roomOK[t*2+int(model.Group)] = false
		}
	}
	if par.TutoringMax < 1 {
		for t := 0; t < T; t++ {
			roomOK[t*2+int(model.Tutor)] = false
		}
	}
	teachersAt, weekSessions := teacherSupply(p)
	subjectAt := subjectsAt(p)
	total := 0.0
	surplus := make([][]float64, T)
	var units []float64 // contact units, one per possible counted session
	for i := range p.Students {
		st := &p.Students[i]
		sessionSlots := 0
		for t := 0; t < T; t++ {
			if !st.Avail[t] {
				continue
			}
			base := -par.PUnplaced
			for r := range p.Rooms {
				if p.IndepRoomOK(i, t, r) {
					base = math.Max(base, p.IndepValue(i, t, r))
				}
			}
			total += base
			best, any := math.Inf(-1), false
			for _, f := range st.Focus {
				k := f.Skill
				if !subjectAt[t*p.NumSubjects+p.Skills[k].Subject] {
					continue
				}
				for m := model.Group; m <= model.Tutor; m++ {
					if roomOK[t*2+int(m)] {
						best = math.Max(best, relaxedValue(p, i, t, m, k))
						any = true
					}
				}
			}
			if !any {
				continue
			}
			sessionSlots++
			if d := best - base; d > 0 {
				surplus[t] = append(surplus[t], d)
			}
		}
		for range min(par.ContactTarget, sessionSlots) {
			units = append(units, par.WContact*st.Priority)
		}
	}
	// Chunks: the c-th session of slot t adds at most the c-th block of G
	// surpluses of the slot, in decreasing order; the week holds at most
	// weekSessions sessions, slot t at most min(teachers, stations).
	var chunks []float64
	for t := 0; t < T; t++ {
		xs := surplus[t]
		slices.SortFunc(xs, func(a, b float64) int { return cmpDesc(a, b) })
		n := min(teachersAt[t], stations[t])
		for c := 0; c < n && c*G < len(xs) && G > 0; c++ {
			sum := 0.0
			for _, v := range xs[c*G : min(len(xs), (c+1)*G)] {
				sum += v
			}
			chunks = append(chunks, sum)
		}
	}
	slices.SortFunc(chunks, cmpDesc)
	for _, v := range chunks[:min(len(chunks), weekSessions)] {
		total += v
	}
	// Contact: each session counts for at most G members, each student for
	// at most contact_target sessions.
	slices.SortFunc(units, cmpDesc)
	for _, v := range units[:min(len(units), weekSessions*G)] {
		total += v
	}
	// A small margin absorbs floating-point rounding in the sums.
	return total + 1e-9*math.Max(1, math.Abs(total))
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// teacherSupply counts, per slot, the teachers available then who may lead
// a session at all (weekly limit above 0), and the sessions the week can
// hold: Σ_j min(L_j, available slots of j).
func teacherSupply(p *model.Problem) (teachersAt []int, week int) {
	teachersAt = make([]int, p.T())
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		if tc.Limit <= 0 {
			continue
		}
		avail := 0
		for t := range teachersAt {
			if tc.Avail[t] {
				teachersAt[t]++
				avail++
			}
		}
		week += min(tc.Limit, avail)
	}
	return teachersAt, week
}

// subjectsAt reports, at [t*NumSubjects+s], whether a teacher of subject s
// who may lead a session at all (weekly limit above 0) is available in t.
func subjectsAt(p *model.Problem) []bool {
	T, NS := p.T(), p.NumSubjects
	at := make([]bool, T*NS)
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		for t := 0; t < T && tc.Limit > 0; t++ {
			if !tc.Avail[t] {
				continue
			}
			for s, ok := range tc.Subjects {
				if ok {
					at[t*NS+s] = true
				}
			}
		}
	}
	return at
}
