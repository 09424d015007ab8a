package triage_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/solver"
	"github.com/weekplan/weekplan/solver/triage"
)

// TestApplyChangesOneField applies each kind of change and compares the
// result with the week edited by hand; the original must stay as it was.
func TestApplyChangesOneField(t *testing.T) {
	tests := []struct {
		name   string
		change triage.Change
		edit   func(*solver.Instance)
		text   string
	}{
		{"teacher max_sessions", triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-m", From: 1, To: 2},
			func(i *solver.Instance) { i.Teachers[0].MaxSessions = intp(2) }, "teacher t-m leads one more session in the week (max_sessions 1 → 2)"},
		{"default max_sessions", triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-x", From: 2, To: 3},
			func(i *solver.Instance) { i.Teachers[1].MaxSessions = intp(3) }, "max_sessions 2 → 3"},
		{"teacher available", triage.Change{Kind: triage.TeacherAvailable, Teacher: "t-x", Slot: "mon-1"},
			func(i *solver.Instance) { i.Teachers[1].Unavailable = []string{} }, "teacher t-x made available in slot mon-1"},
		{"room freed", triage.Change{Kind: triage.RoomAvailable, Room: "r-acc", Slot: "mon-1"},
			func(i *solver.Instance) { i.Rooms[0].Unavailable = []string{} }, "room r-acc freed in slot mon-1"},
		{"room stations", triage.Change{Kind: triage.RoomStations, Room: "r-lib", From: 0, To: 1},
			func(i *solver.Instance) { i.Rooms[1].Stations = intp(1) }, "one more station in room r-lib (stations 0 → 1)"},
		{"room capacity", triage.Change{Kind: triage.RoomCapacity, Room: "r-up", From: 4, To: 5},
			func(i *solver.Instance) { i.Rooms[2].Capacity = 5 }, "one more place in room r-up (capacity 4 → 5)"},
	}
	week := func() *solver.Instance {
		inst := closedRoomWeek()
		inst.Teachers[0].MaxSessions = intp(1)
		inst.Teachers = append(inst.Teachers, solver.Teacher{ID: "t-x", Subjects: []string{"math"}, Unavailable: []string{"mon-1"}})
		return inst
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := week()
			before, _ := json.Marshal(inst)
			got, err := tt.change.Apply(inst)
			if err != nil {
				t.Fatal(err)
			}
			want := week()
			tt.edit(want)
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Errorf("applied:\n%s\nwant:\n%s", gj, wj)
			}
			if after, _ := json.Marshal(inst); string(after) != string(before) {
				t.Error("Apply modified its input")
			}
			if d := tt.change.Description(); !strings.Contains(d, tt.text) {
				t.Errorf("description %q, want it to contain %q", d, tt.text)
			}
		})
	}
}

func TestApplyRejectsChangesThatDoNotFit(t *testing.T) {
	tests := []struct {
		name   string
		change triage.Change
		want   string
	}{
		{"unknown teacher", triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-zz", From: 1, To: 2}, `no teacher "t-zz"`},
		{"unknown room", triage.Change{Kind: triage.RoomCapacity, Room: "r-zz", From: 1, To: 2}, `no room "r-zz"`},
		{"stale max_sessions", triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-m", From: 4, To: 5}, "the current value is 2"},
		{"not one more", triage.Change{Kind: triage.RoomStations, Room: "r-up", From: 1, To: 3}, "stations 1 → 3"},
		{"stale capacity", triage.Change{Kind: triage.RoomCapacity, Room: "r-up", From: 9, To: 10}, "the current value is 4"},
		{"teacher not unavailable", triage.Change{Kind: triage.TeacherAvailable, Teacher: "t-m", Slot: "mon-1"}, `teacher t-m unavailable: slot "mon-1" is not in the list`},
		{"room not unavailable", triage.Change{Kind: triage.RoomAvailable, Room: "r-acc", Slot: "mon-2"}, `room r-acc unavailable: slot "mon-2" is not in the list`},
		{"unknown kind", triage.Change{Kind: "hire_teacher"}, `unknown change kind "hire_teacher"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.change.Apply(closedRoomWeek()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
