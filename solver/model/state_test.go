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

// TestSetTeacherIsExact permutes the teachers of one slot's sessions, one
// SetTeacher at a time, and hands one session to a free teacher: after each
// step the cached objective equals a full re-evaluation, the churn a
// recount, and every teacher's slot and weekly count agree with the
// sessions; Rollback restores all of it.
func TestSetTeacherIsExact(t *testing.T) {
	p := &Problem{
		P: Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 4, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:       []Slot{{45}},
		Skills:      []Skill{{Subject: 0, Key: 0}},
		NumSubjects: 1, NumKeys: 1,
		Rooms: []Room{{Capacity: 10, Stations: 3, Modes: Group.Bit() | Tutor.Bit(), Key: -1, Avail: []bool{true}}},
	}
	for range 3 {
		p.Teachers = append(p.Teachers, Teacher{Subjects: []bool{true}, Limit: 1, Avail: []bool{true}})
	}
	// Students 0–1 had teacher 1 last week, 2 teacher 2, 3 teacher 0.
	for i, j := range []int{1, 1, 2, 0} {
		p.Students = append(p.Students, Student{Priority: 1, Avail: []bool{true}, MaxGroup: MaxGroupNone,
			Interest: []float64{0.5}, Focus: []Focus{{Skill: 0, Need: 0.5, Mastery: 0.5 + 0.01*float64(i)}},
			Last: []LastRow{{Mode: Group, Teacher: j}}, LastAt: []int32{0, 1}})
	}
	p.Finish()
	s := NewSolution(p)
	a, b := s.Open(0, 0, Group, 0, 0), s.Open(1, 0, Group, 0, 0)
	for i, id := range []int{a, a, b, b} {
		s.Move(i, 0, Group, id)
	}
	ref := NewReference(p)
	for i := range p.Students {
		ref.At[i] = s.Placement(i, 0)
	}
	s.SetReference(ref)
	check := func(step string, owner map[int]int) {
		t.Helper()
		if e := s.Evaluate(); math.Abs(e-s.Objective()) > 1e-9 {
			t.Fatalf("%s: cached objective %v, evaluated %v", step, s.Objective(), e)
		}
		c := s.Churn()
		s.SetReference(ref)
		if s.Churn() != c {
			t.Fatalf("%s: churn %d, recount %d", step, c, s.Churn())
		}
		for j := range p.Teachers {
			id, n := -1, 0
			if x, ok := owner[j]; ok {
				id, n = x, 1
			}
			if s.Busy(j, 0) != id || s.TeacherSessions(j) != n {
				t.Fatalf("%s: teacher %d leads %d (%d sessions), want %d (%d)", step, j, s.Busy(j, 0), s.TeacherSessions(j), id, n)
			}
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	before := s.Objective()
	check("start", map[int]int{0: a, 1: b})
	s.Begin()
	// Teachers 0 and 1 swap: students 0 and 1 gain continuity, 3 loses it.
	if d := s.SetTeacher(a, 1); math.Abs(d-0.2) > 1e-9 {
		t.Errorf("session a to teacher 1 changed the objective by %v, want +0.2", d)
	}
	if d := s.SetTeacher(b, 0); math.Abs(d-0.1) > 1e-9 {
		t.Errorf("session b to teacher 0 changed the objective by %v, want +0.1", d)
	}
	check("swapped", map[int]int{1: a, 0: b})
	// Teacher 2, free, takes session b: student 2 gains, student 3 loses.
	if d := s.SetTeacher(b, 2); math.Abs(d) > 1e-9 {
		t.Errorf("session b to teacher 2 changed the objective by %v, want 0", d)
	}
	check("handed over", map[int]int{1: a, 2: b})
	if s.Churn() != 4 {
		t.Errorf("churn %d, want 4 (every member's teacher changed)", s.Churn())
	}
	s.Rollback()
	check("rolled back", map[int]int{0: a, 1: b})
	if s.Objective() != before || s.Churn() != 0 {
		t.Errorf("rollback left objective %v (was %v), churn %d", s.Objective(), before, s.Churn())
	}
}
