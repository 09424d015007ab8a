package heuristic

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// TestAssignmentIsOptimal compares the Hungarian method with enumeration of
// every assignment on random gain matrices with forbidden pairs.
func TestAssignmentIsOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var h assignment
	for c := 0; c < 500; c++ {
		n := 1 + rng.IntN(5)
		m := n + rng.IntN(3)
		gain := make([]int, n*m)
		for x := range gain {
			gain[x] = rng.IntN(5)
			if rng.IntN(4) == 0 {
				gain[x] = -1
			}
		}
		for a := 0; a < n; a++ {
			gain[a*m+a] = max(0, gain[a*m+a]) // the identity stays allowed
		}
		best := bestByEnumeration(gain, n, m, 0, make([]bool, m))
		to := h.solve(gain, n, m)
		got, used := 0, make([]bool, m)
		for a, b := range to[:n] {
			if gain[a*m+b] < 0 || used[b] {
				t.Fatalf("case %d: row %d assigned to forbidden or shared column %d (%v)", c, a, b, gain)
			}
			used[b] = true
			got += gain[a*m+b]
		}
		if got != best {
			t.Fatalf("case %d: assignment gains %d, enumeration %d (%v, n=%d m=%d)", c, got, best, gain, n, m)
		}
	}
}

func bestByEnumeration(gain []int, n, m, a int, used []bool) int {
	if a == n {
		return 0
	}
	best := math.MinInt
	for b := 0; b < m; b++ {
		if used[b] || gain[a*m+b] < 0 {
			continue
		}
		used[b] = true
		if rest := bestByEnumeration(gain, n, m, a+1, used); rest != math.MinInt {
			best = max(best, gain[a*m+b]+rest)
		}
		used[b] = false
	}
	return best
}

// lastWeekSlot is one slot, one subject, four teachers (teacher 3 free with
// budget, teacher 2 of another subject) and two groups of two: group A led by
// teacher 0 holds students 0 and 1, whose teacher last week was 1; group B
// led by teacher 1 holds students 2 and 3, whose teacher was 3.
func lastWeekSlot() (*model.Problem, *model.Solution, [2]int) {
	p := &model.Problem{
		P: model.Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 4, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:       []model.Slot{{Minutes: 45}},
		Skills:      []model.Skill{{Subject: 0, Key: 0}},
		NumSubjects: 2, NumKeys: 1,
		Rooms: []model.Room{{Capacity: 10, Stations: 3, Modes: model.Group.Bit(), Key: -1, Avail: []bool{true}}},
	}
	for j := range 4 {
		p.Teachers = append(p.Teachers, model.Teacher{Subjects: []bool{j != 2, j == 2}, Limit: 1, Avail: []bool{true}})
	}
	for _, j := range []int{1, 1, 3, 3} {
		p.Students = append(p.Students, model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone,
			Interest: []float64{0.5}, Focus: []model.Focus{{Skill: 0, Need: 0.5, Mastery: 0.5}},
			Last: []model.LastRow{{Mode: model.Group, Teacher: j}}, LastAt: []int32{0, 1}})
	}
	p.Finish()
	sol := model.NewSolution(p)
	a, b := sol.Open(0, 0, model.Group, 0, 0), sol.Open(1, 0, model.Group, 0, 0)
	for i, id := range []int{a, a, b, b} {
		sol.Move(i, 0, model.Group, id)
	}
	return p, sol, [2]int{a, b}
}

// TestReteachSlotRestoresLastWeeksTeachers: teacher 1 takes group A and the
// free teacher 3 group B — every member back with last week's teacher, +0.4
// — leaving teacher 0 free and teacher 2 (another subject) untouched; a
// second call finds nothing.
func TestReteachSlotRestoresLastWeeksTeachers(t *testing.T) {
	bothWays(t, testReteachSlotRestoresLastWeeksTeachers)
}

func testReteachSlotRestoresLastWeeksTeachers(t *testing.T) {
	p, sol, id := lastWeekSlot()
	e := newEngine(p, sol)
	before := sol.Objective()
	if d := e.reteachSlot(0); math.Abs(d-0.4) > 1e-9 || math.Abs(sol.Objective()-before-0.4) > 1e-9 {
		t.Fatalf("reteach gained %v (objective %v → %v), want 0.4", d, before, sol.Objective())
	}
	if a, b := sol.Sessions[id[0]].Teacher, sol.Sessions[id[1]].Teacher; a != 1 || b != 3 {
		t.Errorf("groups led by teachers %d and %d, want 1 and 3", a, b)
	}
	if sol.Busy(0, 0) != -1 || sol.TeacherSessions(0) != 0 || sol.TeacherSessions(3) != 1 {
		t.Errorf("teacher 0 leads %d (%d sessions), teacher 3 has %d sessions", sol.Busy(0, 0), sol.TeacherSessions(0), sol.TeacherSessions(3))
	}
	if err := sol.Verify(); err != nil {
		t.Fatal(err)
	}
	if d := e.reteachSlot(0); d != 0 {
		t.Errorf("a second call changed the objective by %v", d)
	}
}

// TestReteachSlotHonoursLimitsAndPins: the free teacher at its weekly limit
// cannot take group B, and a member of group A pinned to teacher 0 keeps
// group A with it; only what is left is done.
func TestReteachSlotHonoursLimitsAndPins(t *testing.T) {
	bothWays(t, testReteachSlotHonoursLimitsAndPins)
}

func testReteachSlotHonoursLimitsAndPins(t *testing.T) {
	p, sol, id := lastWeekSlot()
	p.Teachers[3].Limit = 0
	e := newEngine(p, sol)
	if d := e.reteachSlot(0); math.Abs(d-0.2) > 1e-9 {
		t.Errorf("with teacher 3 at its limit: gained %v, want 0.2 (teacher 1 to group A)", d)
	}
	if b := sol.Sessions[id[1]].Teacher; b == 3 {
		t.Errorf("teacher 3, at its weekly limit, took group B")
	}

	p, sol, id = lastWeekSlot()
	p.Pins = []model.Pin{{Student: 0, Slot: 0, Mode: model.None, Teacher: 0, Room: -1, Skill: -1}}
	p.Finish()
	e = newEngine(p, sol)
	if d := e.reteachSlot(0); math.Abs(d-0.2) > 1e-9 {
		t.Errorf("with student 0 pinned to teacher 0: gained %v, want 0.2 (teacher 3 to group B)", d)
	}
	if a := sol.Sessions[id[0]].Teacher; a != 0 {
		t.Errorf("group A, whose member is pinned to teacher 0, is led by %d", a)
	}
	if err := sol.Verify(); err != nil {
		t.Fatal(err)
	}
}

// TestReteachSlotMovesADisplacedSessionToAFreeTeacher: group A's members had
// teacher 1 last week, but teacher 1 leads group B, on a skill of a subject
// teacher 0 does not teach; only teacher 2, free, can take group B. The
// assignment is solved over the sessions that can gain and those they
// displace, and a displaced session may go to any free teacher: A to
// teacher 1, B to teacher 2, +0.2.
func TestReteachSlotMovesADisplacedSessionToAFreeTeacher(t *testing.T) {
	bothWays(t, testReteachSlotMovesADisplacedSessionToAFreeTeacher)
}

func testReteachSlotMovesADisplacedSessionToAFreeTeacher(t *testing.T) {
	p := &model.Problem{
		P: model.Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 4, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:       []model.Slot{{Minutes: 45}},
		Skills:      []model.Skill{{Subject: 0, Key: 0}, {Subject: 1, Key: 0}},
		NumSubjects: 2, NumKeys: 1,
		Rooms: []model.Room{{Capacity: 10, Stations: 3, Modes: model.Group.Bit(), Key: -1, Avail: []bool{true}}},
		Teachers: []model.Teacher{
			{Subjects: []bool{true, false}, Limit: 1, Avail: []bool{true}},
			{Subjects: []bool{true, true}, Limit: 1, Avail: []bool{true}},
			{Subjects: []bool{false, true}, Limit: 1, Avail: []bool{true}},
		},
	}
	for i := range 4 {
		st := model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone,
			Interest: []float64{0.5}, Focus: []model.Focus{{Skill: i / 2, Need: 0.5, Mastery: 0.5}}}
		if i < 2 {
			st.Last, st.LastAt = []model.LastRow{{Mode: model.Group, Teacher: 1}}, []int32{0, 1}
		}
		p.Students = append(p.Students, st)
	}
	p.Finish()
	sol := model.NewSolution(p)
	a, b := sol.Open(0, 0, model.Group, 0, 0), sol.Open(1, 0, model.Group, 0, 1)
	for i, id := range []int{a, a, b, b} {
		sol.Move(i, 0, model.Group, id)
	}
	e := newEngine(p, sol)
	if d := e.reteachSlot(0); math.Abs(d-0.2) > 1e-9 {
		t.Errorf("reteach gained %v, want 0.2", d)
	}
	if ta, tb := sol.Sessions[a].Teacher, sol.Sessions[b].Teacher; ta != 1 || tb != 2 {
		t.Errorf("groups led by teachers %d and %d, want 1 and 2", ta, tb)
	}
	if err := sol.Verify(); err != nil {
		t.Fatal(err)
	}
}

// bothWays runs a reteach test with the whole slot's assignment and with the
// restricted one of large slots.
func bothWays(t *testing.T, f func(t *testing.T)) {
	for _, whole := range []int{wholeSlot, 0} {
		name := "whole slot"
		if whole == 0 {
			name = "restricted"
		}
		t.Run(name, func(t *testing.T) {
			defer func(w int) { wholeSlot = w }(wholeSlot)
			wholeSlot = whole
			f(t)
		})
	}
}
