package solver_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/solver"
)

func TestExplainStudent(t *testing.T) {
	inst, s := adminInstance(), adminSchedule()

	cy, err := solver.ExplainStudent(inst, s, "stu-cy")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cy.Blocks); got != 3 {
		t.Fatalf("got %d blocks, want 3", got)
	}
	mon1 := cy.Blocks[0]
	if mon1.Status != solver.BlockPlaced || mon1.Placement != (solver.Spot{Mode: solver.Tutoring, Teacher: "t-lee", Room: "r1", Skill: "math.2"}) {
		t.Errorf("mon-1: got %s %+v, want tutoring with t-lee on math.2", mon1.Status, mon1.Placement)
	}
	if mon1.Skill == nil || mon1.Skill.Mastery != 0.6 || !strings.Contains(mon1.Skill.Why, "next math skill") {
		t.Errorf("mon-1 skill: got %+v, want math.2 at 0.60 as the next math skill", mon1.Skill)
	}
	if len(mon1.Pins) != 1 || !mon1.PinsMet || !mon1.Stable {
		t.Errorf("mon-1: pins %v met %v continuity %v; want one honoured pin and continuity", mon1.Pins, mon1.PinsMet, mon1.Stable)
	}
	if mon1.Group == nil || mon1.Group.Size != 1 {
		t.Errorf("mon-1 group: got %+v, want size 1", mon1.Group)
	}
	if b := cy.Blocks[1]; b.Status != solver.BlockPlaced || b.Placement.Mode != solver.Independent || b.Placement.Room != "lib" {
		t.Errorf("mon-2: got %s %+v, want independent in lib", b.Status, b.Placement)
	}
	if b := cy.Blocks[2]; b.Status != solver.BlockUnplaced || b.Reason != "every room is at capacity in slot tue-1" {
		t.Errorf("tue-1: got %s %q, want unplaced with the schedule's reason", b.Status, b.Reason)
	}
	wantLedger := []solver.MinutesLedger{
		{Mode: solver.Tutoring, Required: 90, Scheduled: 45, Shortfall: 45, Reason: "tutoring: only 1 of 2 required blocks; teachers of math (t-lee) are busy"},
		{Mode: solver.Independent, Required: 0, Scheduled: 45},
	}
	if len(cy.Minutes) != len(wantLedger) || cy.Minutes[0] != wantLedger[0] || cy.Minutes[1] != wantLedger[1] {
		t.Errorf("ledger: got %+v, want %+v", cy.Minutes, wantLedger)
	}
	if cy.KeptApartFrom != 1 || cy.Priority != 1.5 || cy.Sessions != 1 {
		t.Errorf("got apart %d priority %g sessions %d, want 1, 1.5, 1", cy.KeptApartFrom, cy.Priority, cy.Sessions)
	}

	di, err := solver.ExplainStudent(inst, s, "stu-di")
	if err != nil {
		t.Fatal(err)
	}
	group := di.Blocks[1]
	if group.Group == nil || group.Group.Size != 3 || group.Group.Min != 0.5 || group.Group.Max != 0.7 || group.Group.LevelBand != 0.25 {
		t.Errorf("mon-2 band: got %+v, want 3 students, 0.50–0.70, level band 0.25", group.Group)
	}
	if group.Skill == nil || group.Skill.Mastery != 0.55 {
		t.Errorf("mon-2: got %+v, want the student's own mastery 0.55", group.Skill)
	}
	if b := di.Blocks[2]; b.Status != solver.BlockUnavailable {
		t.Errorf("tue-1: got %s, want unavailable", b.Status)
	}
	var goal *solver.FocusSkillInfo
	for i := range di.Focus {
		if di.Focus[i].Skill == "math.2" {
			goal = &di.Focus[i]
		}
	}
	if goal == nil || !goal.Goal || !strings.Contains(goal.Why, "goal") {
		t.Errorf("focus math.2: got %+v, want a goal", goal)
	}

	if _, err := solver.ExplainStudent(inst, s, "stu-nobody"); err == nil {
		t.Error("unknown student: no error")
	}
}

// TestExplainStudentShowsNoOtherStudent: a student's explanation names no
// other student, by id or name.
func TestExplainStudentShowsNoOtherStudent(t *testing.T) {
	inst, s := adminInstance(), adminSchedule()
	for _, st := range inst.Students {
		e, err := solver.ExplainStudent(inst, s, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range inst.Students {
			if other.ID == st.ID {
				continue
			}
			if strings.Contains(string(data), other.ID) || strings.Contains(string(data), other.Name) {
				t.Errorf("explanation of %s names %s:\n%s", st.ID, other.ID, data)
			}
		}
	}
}
