package heuristic

import (
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// twoRooms is 3 students, one slot, two independent rooms.
func twoRooms() *model.Problem {
	p := &model.Problem{
		P:      model.Params{GroupMin: 2, GroupMax: 4, TutoringMax: 1, WIndep: 0.2, PUnplaced: 1000, ContactTarget: 2},
		Slots:  []model.Slot{{Minutes: 45}},
		Skills: []model.Skill{{Subject: 0, Key: 0}}, NumSubjects: 1, NumKeys: 1,
		Rooms: []model.Room{
			{Capacity: 5, Modes: model.Indep.Bit(), Key: -1, Avail: []bool{true}},
			{Capacity: 5, Modes: model.Indep.Bit(), Key: -1, Avail: []bool{true}},
		},
	}
	for range 3 {
		p.Students = append(p.Students, model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone, Interest: []float64{0}})
	}
	p.Finish()
	return p
}

// TestAcceptanceRule: a move is kept if it improves the objective within
// the churn limit, or lowers the churn at equal objective (docs/model.md
// §6.3); without a limit, if it improves the objective.
func TestAcceptanceRule(t *testing.T) {
	p := twoRooms()
	sol := model.NewSolution(p)
	ref := model.NewReference(p)
	for i := range p.Students {
		ref.At[i] = model.Placement{Mode: model.Indep, Teacher: -1, Room: 0, Skill: -1}
		sol.Move(i, 0, model.Indep, 1) // every student away from its reference: churn 3
	}
	sol.SetReference(ref)
	e := newEngine(p, sol)
	tests := []struct {
		name   string
		limit  *ChurnLimit
		d      float64
		churn0 int
		want   bool
	}{
		{"improves within the limit", &ChurnLimit{Max: 3}, 0.5, 3, true},
		{"improves above the limit", &ChurnLimit{Max: 2}, 0.5, 2, false},
		{"improves, lowering the churn to the limit", &ChurnLimit{Max: 3}, 0.5, 4, true},
		{"equal objective, lower churn", &ChurnLimit{Max: 2}, 0, 4, true},
		{"equal objective, same churn", &ChurnLimit{Max: 5}, 0, 3, false},
		{"worse objective, lower churn", &ChurnLimit{Max: 5}, -0.1, 4, false},
		{"no limit, improves", nil, 0.5, 0, true},
		{"no limit, equal objective", nil, 0, 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.limit = tt.limit
			if got := e.accepts(tt.d, tt.churn0); got != tt.want {
				t.Errorf("accepts(%v, churn0 %d) at churn %d: got %v, want %v", tt.d, tt.churn0, sol.Churn(), got, tt.want)
			}
		})
	}
}

// TestFreezeAndOnly: with Freeze, a student at its reference placement may
// not be drawn into a session, one away from it may; the warm start's only
// mask restricts further.
func TestFreezeAndOnly(t *testing.T) {
	p := twoRooms()
	sol := model.NewSolution(p)
	ref := model.NewReference(p)
	for i := range p.Students {
		ref.At[i] = model.Placement{Mode: model.Indep, Teacher: -1, Room: 0, Skill: -1}
	}
	sol.Move(0, 0, model.Indep, 0) // at its reference
	sol.Move(1, 0, model.Indep, 1) // moved away
	sol.SetReference(ref)
	e := newEngine(p, sol)
	if !e.free(0, 0) || !e.free(1, 0) {
		t.Fatal("without a limit, every independent student is free")
	}
	e.limit = &ChurnLimit{Max: 10, Freeze: true}
	if e.free(0, 0) || !e.frozen(0, 0) {
		t.Error("Freeze: a student at its reference placement is free")
	}
	if !e.free(1, 0) || e.frozen(1, 0) {
		t.Error("Freeze: a student away from its reference placement is not free")
	}
	e.limit = &ChurnLimit{Max: 10}
	e.only = []bool{false, true, true}
	if e.free(0, 0) || !e.free(1, 0) {
		t.Error("only: got a student outside the mask free, or one inside not free")
	}
}
