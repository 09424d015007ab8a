package heuristic

import (
	"math"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// fullGroup is one slot, one skill, one teacher and a room for groups and
// independent work; students 0 and 1 (masteries 0.5 and 0.6) fill a group of
// at most 2, student 2 (mastery 0.55, so more need than student 1) works
// independently.
func fullGroup() *model.Problem {
	p := &model.Problem{
		P: model.Params{LevelBand: 0.25, GroupMin: 2, GroupMax: 2, TutoringMax: 1, WGroup: 1, WTutor: 2,
			WIndep: 0.2, PUnplaced: 1000, ContactTarget: 2},
		Slots:  []model.Slot{{Minutes: 45}},
		Skills: []model.Skill{{Subject: 0, Key: 0}}, NumSubjects: 1, NumKeys: 1,
		Rooms:    []model.Room{{Capacity: 10, Stations: 1, Modes: model.Group.Bit() | model.Indep.Bit(), Key: -1, Avail: []bool{true}}},
		Teachers: []model.Teacher{{Subjects: []bool{true}, Limit: 1, Avail: []bool{true}}},
	}
	for _, m := range []float64{0.5, 0.6, 0.55} {
		p.Students = append(p.Students, model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone,
			Interest: []float64{0}, Focus: []model.Focus{{Skill: 0, Mastery: m, Need: 1 - m}}})
	}
	p.Finish()
	return p
}

// TestSwapSlotExchangesIntoFullGroup: no relocation can improve the full
// group (student 2 cannot join, and a member leaving would break the group's
// minimum), but exchanging student 2 with student 1 gains their need
// difference, 0.05; swapSlot must find it and keep the schedule valid.
func TestSwapSlotExchangesIntoFullGroup(t *testing.T) {
	p := fullGroup()
	sol := model.NewSolution(p)
	id := sol.Open(0, 0, model.Group, 0, 0)
	sol.Move(0, 0, model.Group, id)
	sol.Move(1, 0, model.Group, id)
	sol.Move(2, 0, model.Indep, 0)
	e := newEngine(p, sol)
	before := sol.Objective()
	e.relocateSlot(0)
	if sol.Objective() != before {
		t.Fatalf("relocation changed the objective %v -> %v; the case no longer isolates swaps", before, sol.Objective())
	}
	e.swapSlot(0)
	if got, want := sol.Objective()-before, 0.05; math.Abs(got-want) > 1e-9 {
		t.Errorf("swap gained %v, want %v", got, want)
	}
	if sol.Mode(2, 0) != model.Group || sol.Mode(1, 0) != model.Indep {
		t.Errorf("student 2 in %v and student 1 in %v, want them exchanged", sol.Mode(2, 0), sol.Mode(1, 0))
	}
	if err := sol.Verify(); err != nil {
		t.Fatal(err)
	}
	// A second pass finds nothing better and leaves the schedule alone.
	after := sol.Objective()
	e.swapSlot(0)
	if sol.Objective() != after {
		t.Errorf("second pass changed the objective %v -> %v", after, sol.Objective())
	}
}
