package model

import (
	"math/rand/v2"
	"testing"
)

// recount is the churn of s counted from scratch.
func recount(s *Solution) int {
	n := 0
	for i := range s.P.Students {
		for t := 0; t < s.T; t++ {
			if s.Placement(i, t) != s.refer.At[i*s.T+t] {
				n++
			}
		}
	}
	return n
}

// TestChurnCounterIsExact applies random moves, opens and closes against a
// reference taken from a random schedule and checks, after each, that the
// O(1) churn counter equals a recount, that ChurnDelta predicted the change,
// that Matches agrees, and that Rollback restores the count.
func TestChurnCounterIsExact(t *testing.T) {
	p := smallProblem()
	s := NewSolution(p)
	rng := rand.New(rand.NewPCG(3, 4))
	randomMoves(t, p, s, rng, 300)
	// The reference: the schedule reached, plus placements naming unknown
	// ids, which no placement can equal.
	ref := NewReference(p)
	for i := range p.Students {
		for tt := 0; tt < s.T; tt++ {
			ref.At[i*s.T+tt] = s.Placement(i, tt)
		}
	}
	ref.At[0] = Placement{Mode: Group, Teacher: UnknownID, Room: 0, Skill: 0}
	ref.At[1] = Placement{Mode: Indep, Teacher: -1, Room: UnknownID, Skill: -1}
	s.SetReference(ref)
	if got, want := s.Churn(), recount(s); got != want || got < 2 {
		t.Fatalf("after SetReference: churn %d, recount %d (want at least the 2 unknown placements)", got, want)
	}
	for step := 0; step < 2000; step++ {
		i, tt := rng.IntN(len(p.Students)), rng.IntN(p.T())
		m, ref, ok := randomTarget(p, s, rng, i, tt)
		if !ok {
			continue
		}
		before := s.Churn()
		want := s.ChurnDelta(i, tt, m, ref)
		s.Begin()
		s.Move(i, tt, m, ref)
		if got := s.Churn(); got != recount(s) || got-before != want {
			t.Fatalf("step %d: churn %d, recount %d, change %d, ChurnDelta predicted %d", step, got, recount(s), got-before, want)
		}
		if s.Matches(i, tt) != (s.Placement(i, tt) == s.refer.At[i*s.T+tt]) {
			t.Fatalf("step %d: Matches disagrees with the reference", step)
		}
		if rng.IntN(3) == 0 {
			s.Rollback()
			if s.Churn() != before || recount(s) != before {
				t.Fatalf("step %d: rollback left churn %d (recount %d), want %d", step, s.Churn(), recount(s), before)
			}
		} else {
			s.Commit()
		}
	}
	c := s.Clone()
	if c.Churn() != s.Churn() || c.Reference() != s.Reference() {
		t.Errorf("Clone: churn %d, want %d, with the same reference", c.Churn(), s.Churn())
	}
	s.SetReference(nil)
	if s.Churn() != 0 || !s.Matches(0, 0) {
		t.Errorf("without a reference: churn %d, want 0", s.Churn())
	}
}

// randomMoves makes n random feasible moves on s.
func randomMoves(t *testing.T, p *Problem, s *Solution, rng *rand.Rand, n int) {
	t.Helper()
	for step := 0; step < n; step++ {
		i, tt := rng.IntN(len(p.Students)), rng.IntN(p.T())
		if m, ref, ok := randomTarget(p, s, rng, i, tt); ok {
			s.Move(i, tt, m, ref)
		}
	}
}

// randomTarget picks a random feasible placement for i in slot tt (opening a
// session for a random free teacher now and then), or reports none.
func randomTarget(p *Problem, s *Solution, rng *rand.Rand, i, tt int) (Mode, int, bool) {
	if !p.Students[i].Avail[tt] {
		return None, -1, false
	}
	if rng.IntN(4) == 0 {
		j := rng.IntN(len(p.Teachers))
		k := p.Students[i].Focus[0].Skill
		if s.Busy(j, tt) < 0 && p.Teachers[j].Avail[tt] && p.Teachers[j].Subjects[p.Skills[k].Subject] {
			s.Open(j, tt, Mode(rng.IntN(2)), 0, k)
		}
	}
	switch rng.IntN(4) {
	case 0:
		r := 1 + rng.IntN(2)
		return Indep, r, s.CanIndep(i, tt, r)
	case 1:
		return None, -1, true
	default:
		id := s.Busy(rng.IntN(len(p.Teachers)), tt)
		if id < 0 || !s.CanJoin(i, id) {
			return None, -1, false
		}
		return s.Sessions[id].Mode, id, true
	}
}
