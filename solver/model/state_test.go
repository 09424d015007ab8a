package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// smallProblem is 6 students, 3 slots, 2 teachers, 3 rooms, 2 skills.
func smallProblem() *Problem {
	T := 3
	all := func() []bool { return []bool{true, true, true} }
	p := &Problem{
		P: Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 4, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:       []Slot{{45}, {40}, {45}},
		Skills:      []Skill{{Subject: 0, Key: 0}, {Subject: 1, Key: 1}},
		NumSubjects: 2, NumKeys: 3,
		Rooms: []Room{
			{Capacity: 4, Stations: 2, Modes: Group.Bit() | Tutor.Bit(), Accessible: true, Key: -1, Avail: all()},
			{Capacity: 5, Stations: 0, Modes: Indep.Bit(), Key: 2, Avail: all()},
			{Capacity: 3, Stations: 1, Modes: Group.Bit() | Tutor.Bit() | Indep.Bit(), Accessible: true, Key: 0, Avail: all()},
		},
		Teachers: []Teacher{{Subjects: []bool{true, false}, Limit: 2, Avail: all()}, {Subjects: []bool{true, true}, Limit: 3, Avail: []bool{true, false, true}}},
	}
	for i := 0; i < 6; i++ {
		st := Student{Priority: 1 + float64(i%2)/2, Avail: all(), MaxGroup: MaxGroupNone,
			Interest: []float64{0.1 * float64(i), 0.5, 1 - 0.1*float64(i)},
			Focus:    []Focus{{Skill: i % 2, Need: 0.4 + 0.05*float64(i), Mastery: 0.6 - 0.05*float64(i)}}}
		if i == 1 {
			st.MinMinutes[Tutor] = 60
		}
		if i == 2 {
			st.Avail[1] = false
			st.NeedsAccessible = true
		}
		if i == 3 {
			st.Last = []LastRow{{Mode: Indep, Teacher: -1}, {Mode: Group, Teacher: 0}}
			st.LastAt = []int32{0, 1, 2, 2}
		}
		p.Students = append(p.Students, st)
	}
	p.Students[4].Apart = []int{5}
	p.Students[5].Apart = []int{4}
	_ = T
	p.Finish()
	return p
}

// TestRandomMovesKeepTheObjectiveExact applies random feasible moves and
// checks, after each, that the incremental objective equals a full
// re-evaluation, that DeltaMove predicted the change, and that rollback
// restores the state.
func TestRandomMovesKeepTheObjectiveExact(t *testing.T) {
	p := smallProblem()
	s := NewSolution(p)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 3000; step++ {
		i, tt := rng.IntN(len(p.Students)), rng.IntN(p.T())
		if !p.Students[i].Avail[tt] {
			continue
		}
		if rng.IntN(4) == 0 {
			// Open a session for a random free teacher and move i in.
			j := rng.IntN(len(p.Teachers))
			k := p.Students[i].Focus[0].Skill
			if s.Busy(j, tt) >= 0 || !p.Teachers[j].Avail[tt] || !p.Teachers[j].Subjects[p.Skills[k].Subject] {
				continue
			}
			m := Mode(rng.IntN(2))
			s.Open(j, tt, m, 0, k)
		}
		var m Mode
		var ref int
		switch x := rng.IntN(3); {
		case x == 0:
			m, ref = Indep, 1+rng.IntN(2)
			if !s.CanIndep(i, tt, ref) {
				continue
			}
		default:
			j := rng.IntN(len(p.Teachers))
			ref = s.Busy(j, tt)
			if ref < 0 || !s.CanJoin(i, ref) {
				continue
			}
			m = s.Sessions[ref].Mode
		}
		before := s.Objective()
		want := s.DeltaMove(i, tt, m, ref)
		old, oldRef := s.Mode(i, tt), s.Ref(i, tt)
		s.Begin()
		got := s.Move(i, tt, m, ref)
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("step %d: Move returned %v, DeltaMove predicted %v", step, got, want)
		}
		if e := s.Evaluate(); math.Abs(e-s.Objective()) > 1e-9 {
			t.Fatalf("step %d: cached objective %v, evaluated %v", step, s.Objective(), e)
		}
		if rng.IntN(3) == 0 {
			s.Rollback()
			if s.Mode(i, tt) != old || s.Ref(i, tt) != oldRef || math.Abs(s.Objective()-before) > 1e-9 {
				t.Fatalf("step %d: rollback did not restore the state", step)
			}
		} else {
			s.Commit()
		}
	}
}

// TestCopyFromIsExact copies a solution over a different one of the same
// problem and checks that every observable of the state agrees.
func TestCopyFromIsExact(t *testing.T) {
	p := smallProblem()
	a, b := NewSolution(p), NewSolution(p)
	rng := rand.New(rand.NewPCG(5, 6))
	for step := 0; step < 500; step++ {
		for _, s := range []*Solution{a, b} {
			i, tt := rng.IntN(len(p.Students)), rng.IntN(p.T())
			if r := rng.IntN(len(p.Rooms)); s.CanIndep(i, tt, r) {
				from := -1
				if s.Mode(i, tt) == Tutor {
					from = s.Ref(i, tt)
				}
				if s.Mode(i, tt) != Group {
					s.Move(i, tt, Indep, r)
				}
				if from >= 0 {
					s.Close(from)
				}
			}
			if j := rng.IntN(len(p.Teachers)); s.Busy(j, tt) < 0 && p.Teachers[j].Avail[tt] && s.TeacherSessions(j) < p.Teachers[j].Limit {
				k := p.Students[i].Focus[0].Skill
				if p.Teachers[j].Subjects[p.Skills[k].Subject] {
					id := s.Open(j, tt, Tutor, 0, k)
					if s.CanJoin(i, id) {
						s.Move(i, tt, Tutor, id)
					} else {
						s.Close(id)
					}
				}
			}
		}
	}
	for _, s := range []*Solution{a, b} {
		for id := range s.Sessions {
			if s.Sessions[id].Alive && len(s.Sessions[id].Members) == 0 {
				s.Close(id)
			}
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("test set-up: %v", err)
		}
	}
	b.CopyFrom(a)
	if err := b.Verify(); err != nil {
		t.Fatalf("copy breaks the model: %v", err)
	}
	if a.Objective() != b.Objective() {
		t.Fatalf("objective %v after CopyFrom, want %v", b.Objective(), a.Objective())
	}
	for i := range p.Students {
		for tt := 0; tt < p.T(); tt++ {
			if a.Mode(i, tt) != b.Mode(i, tt) || a.Ref(i, tt) != b.Ref(i, tt) {
				t.Fatalf("student %d slot %d: copy (%v, %d), original (%v, %d)", i, tt, b.Mode(i, tt), b.Ref(i, tt), a.Mode(i, tt), a.Ref(i, tt))
			}
		}
	}
	// The copy is independent of the original.
	for i := range p.Students {
		if a.Mode(i, 0) == Indep {
			a.Move(i, 0, None, -1)
			if b.Mode(i, 0) != Indep {
				t.Fatal("a move on the original changed the copy")
			}
			break
		}
	}
}
