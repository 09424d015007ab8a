package solver_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/solver"
)

func intp(v int) *int           { return &v }
func floatp(v float64) *float64 { return &v }

// smallInstance is a hand-made valid school: two slots, three skills, two
// rooms, two teachers and four students.
func smallInstance() *solver.Instance {
	return &solver.Instance{
		Format:    solver.InstanceFormat,
		School:    solver.School{ID: "test-ms", Name: "Test MS", Timezone: "America/Denver"},
		WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45},
			{ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 45},
		},
		Skills: []solver.Skill{
			{ID: "math.1", Subject: "math", Name: "Fractions", Seq: 1},
			{ID: "math.2", Subject: "math", Name: "Ratios", Seq: 2},
			{ID: "read.1", Subject: "reading", Name: "Inference", Seq: 1},
		},
		Rooms: []solver.Room{
			{ID: "r1", Name: "Room 1", Capacity: 10, Stations: intp(2), Modes: []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}, Accessible: true, Topic: "science"},
			{ID: "lib", Name: "Library", Capacity: 3, Stations: intp(0), Modes: []solver.Mode{solver.Independent}},
		},
		Teachers: []solver.Teacher{
			{ID: "t1", Name: "A. Lee", Subjects: []string{"math"}, MaxSessions: intp(2)},
			{ID: "t2", Name: "B. Kim", Subjects: []string{"reading"}, Unavailable: []string{"mon-2"}},
		},
		Students: []solver.Student{
			{ID: "s1", Name: "Ann", Grade: 7, Progress: map[string]float64{"math.1": 0.5, "math.2": 0.1}, Interests: map[string]float64{"math": 0.5, "science": 1}},
			{ID: "s2", Name: "Bo", Grade: 7, Progress: map[string]float64{"math.1": 0.7}, Apart: []string{"s4"}},
			{ID: "s3", Name: "Cy", Grade: 7, Priority: floatp(1.5), Progress: map[string]float64{"math.1": 0.9, "math.2": 0.6}, MinMinutes: map[solver.Mode]int{solver.Tutoring: 90}},
			{ID: "s4", Name: "Di", Grade: 6, NeedsAccessible: true, Unavailable: []string{"mon-2"}, Progress: map[string]float64{"math.1": 0.55, "read.1": 0.3}, Goals: []string{"math.2"}},
		},
		LastWeek: []solver.LastWeekEntry{{Student: "s1", Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t1"}},
		Pins:     []solver.Pin{{Student: "s3", Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t1", Room: "r1", Skill: "math.2"}},
	}
}

func TestValidateAcceptsValidInstance(t *testing.T) {
	if err := smallInstance().Validate(); err != nil {
		t.Fatalf("valid instance rejected: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*solver.Instance)
		path   string // the record and field the error must name
		msg    string // a fragment of the message
	}{
		{"wrong format", func(in *solver.Instance) { in.Format = "x/v0" }, "format", "want"},
		{"missing school id", func(in *solver.Instance) { in.School.ID = "" }, "school.id", "missing"},
		{"bad timezone", func(in *solver.Instance) { in.School.Timezone = "Mars/Olympus" }, "school.timezone", "unknown time zone"},
		{"bad week", func(in *solver.Instance) { in.WeekStart = "30/11/2026" }, "week_start", "YYYY-MM-DD"},
		{"unknown policy key", func(in *solver.Instance) { in.Policy = map[string]float64{"w_magic": 1} }, "policy.w_magic", "unknown policy key"},
		{"group_min above group_max", func(in *solver.Instance) { in.Policy = map[string]float64{"group_min": 5, "group_max": 3} }, "policy.group_min", "exceeds group_max"},
		{"fractional count", func(in *solver.Instance) { in.Policy = map[string]float64{"group_max": 2.5} }, "policy.group_max", "whole number"},
		{"negative weight", func(in *solver.Instance) { in.Policy = map[string]float64{"w_tutor": -1} }, "policy.w_tutor", "negative"},
		{"duplicate student", func(in *solver.Instance) { in.Students[1].ID = "s1" }, "students[s1]", "duplicate id"},
		{"duplicate slot", func(in *solver.Instance) { in.Slots[1].ID = "mon-1" }, "slots[mon-1]", "duplicate id"},
		{"duplicate room", func(in *solver.Instance) { in.Rooms[1].ID = "r1" }, "rooms[r1]", "duplicate id"},
		{"duplicate teacher", func(in *solver.Instance) { in.Teachers[1].ID = "t1" }, "teachers[t1]", "duplicate id"},
		{"duplicate skill", func(in *solver.Instance) { in.Skills[1].ID = "math.1" }, "skills[math.1]", "duplicate id"},
		{"missing id", func(in *solver.Instance) { in.Students[2].ID = "" }, "students[2].id", "missing id"},
		{"mastery above 1", func(in *solver.Instance) { in.Students[0].Progress["math.1"] = 1.7 }, `students[s1].progress["math.1"]`, "mastery 1.7 outside [0,1]"},
		{"mastery NaN", func(in *solver.Instance) { in.Students[0].Progress["math.1"] = math.NaN() }, `students[s1].progress["math.1"]`, "outside [0,1]"},
		{"mastery negative", func(in *solver.Instance) { in.Students[0].Progress["math.1"] = -0.1 }, `students[s1].progress["math.1"]`, "outside [0,1]"},
		{"progress unknown skill", func(in *solver.Instance) { in.Students[0].Progress["geo.9"] = 0.5 }, `students[s1].progress["geo.9"]`, "unknown skill"},
		{"negative capacity", func(in *solver.Instance) { in.Rooms[0].Capacity = -1 }, "rooms[r1].capacity", "negative capacity"},
		{"negative stations", func(in *solver.Instance) { in.Rooms[0].Stations = intp(-2) }, "rooms[r1].stations", "negative stations"},
		{"unknown room mode", func(in *solver.Instance) { in.Rooms[0].Modes = []solver.Mode{"lecture"} }, "rooms[r1].modes", "unknown mode"},
		{"negative slot minutes", func(in *solver.Instance) { in.Slots[0].Minutes = -45 }, "slots[mon-1].minutes", "negative minutes"},
		{"bad slot day", func(in *solver.Instance) { in.Slots[0].Day = "monday" }, "slots[mon-1].day", "want one of"},
		{"bad slot start", func(in *solver.Instance) { in.Slots[0].Start = "9am" }, "slots[mon-1].start", "HH:MM"},
		{"negative min minutes", func(in *solver.Instance) { in.Students[2].MinMinutes[solver.Tutoring] = -5 }, `students[s3].min_minutes["tutoring"]`, "negative minutes"},
		{"unknown min minutes mode", func(in *solver.Instance) { in.Students[2].MinMinutes["lecture"] = 5 }, `students[s3].min_minutes["lecture"]`, "unknown mode"},
		{"apart self", func(in *solver.Instance) { in.Students[1].Apart = []string{"s2"} }, "students[s2].apart", "itself"},
		{"apart unknown", func(in *solver.Instance) { in.Students[1].Apart = []string{"s-ghost"} }, "students[s2].apart", `unknown student "s-ghost"`},
		{"unknown unavailable slot", func(in *solver.Instance) { in.Students[0].Unavailable = []string{"sat-9"} }, "students[s1].unavailable", `unknown slot "sat-9"`},
		{"interest key neither subject nor topic", func(in *solver.Instance) { in.Students[0].Interests["cooking"] = 0.5 }, `students[s1].interests["cooking"]`, "neither a subject nor a room topic"},
		{"interest weight above 1", func(in *solver.Instance) { in.Students[0].Interests["math"] = 1.5 }, `students[s1].interests["math"]`, "outside [0,1]"},
		{"unknown goal", func(in *solver.Instance) { in.Students[0].Goals = []string{"math.9"} }, "students[s1].goals", `unknown skill "math.9"`},
		{"negative priority", func(in *solver.Instance) { in.Students[0].Priority = floatp(-1) }, "students[s1].priority", "finite number"},
		{"teacher subject with no skill", func(in *solver.Instance) { in.Teachers[0].Subjects = []string{"math", "latin"} }, "teachers[t1].subjects", `subject "latin" has no skill`},
		{"teacher negative max_sessions", func(in *solver.Instance) { in.Teachers[0].MaxSessions = intp(-1) }, "teachers[t1].max_sessions", "negative"},
		{"last week unknown teacher", func(in *solver.Instance) { in.LastWeek[0].Teacher = "t9" }, "last_week[0].teacher", `unknown teacher "t9"`},
		{"last week bad mode", func(in *solver.Instance) { in.LastWeek[0].Mode = "nap" }, "last_week[0].mode", "unknown mode"},
		{"pin unknown student", func(in *solver.Instance) { in.Pins[0].Student = "s9" }, "pins[0].student", `unknown student "s9"`},
		{"pin in unavailable slot", func(in *solver.Instance) { in.Pins = []solver.Pin{{Student: "s4", Slot: "mon-2"}} }, "pins[0].slot", "unavailable"},
		{"pin teacher unavailable", func(in *solver.Instance) {
			in.Pins = []solver.Pin{{Student: "s4", Slot: "mon-1", Teacher: "t2"}}
			in.Teachers[1].Unavailable = []string{"mon-1"}
		}, "pins[0].teacher", "unavailable"},
		{"pin skill not focus", func(in *solver.Instance) { in.Pins[0].Skill = "math.1" }, "pins[0].skill", "not a focus skill"},
		{"pin teacher wrong subject", func(in *solver.Instance) { in.Pins[0].Teacher = "t2" }, "pins[0].skill", "does not teach"},
		{"pin independent with teacher", func(in *solver.Instance) { in.Pins[0].Mode = solver.Independent }, "pins[0].mode", "independent work has no teacher"},
		{"pin room disallows mode", func(in *solver.Instance) { in.Pins[0].Room = "lib" }, "pins[0].room", "does not allow"},
		{"pin inaccessible room", func(in *solver.Instance) {
			in.Rooms[1].Accessible = false
			in.Pins = []solver.Pin{{Student: "s4", Slot: "mon-1", Room: "lib"}}
		}, "pins[0].room", "accessible"},
		{"contradicting pins", func(in *solver.Instance) {
			in.Pins = append(in.Pins, solver.Pin{Student: "s3", Slot: "mon-1", Mode: solver.SmallGroup})
		}, "pins[1].mode", "contradicts pins[0]"},
		{"two tutees pinned to one tutoring", func(in *solver.Instance) {
			in.Pins = append(in.Pins, solver.Pin{Student: "s1", Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t1", Skill: "math.1"})
		}, "pins[", "tutoring_max"},
		{"apart students pinned together", func(in *solver.Instance) {
			in.Pins = []solver.Pin{
				{Student: "s2", Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t1", Skill: "math.1"},
				{Student: "s4", Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t1", Skill: "math.1"},
			}
		}, "pins[0]", "kept apart"},
		{"pins above max_sessions", func(in *solver.Instance) {
			in.Teachers[0].MaxSessions = intp(1)
			in.Pins = append(in.Pins, solver.Pin{Student: "s1", Slot: "mon-2", Teacher: "t1"})
		}, "teachers[t1].max_sessions", "pins need 2 sessions"},
		{"pins above room capacity", func(in *solver.Instance) {
			in.Rooms[1].Capacity = 1
			in.Pins = []solver.Pin{{Student: "s1", Slot: "mon-1", Room: "lib"}, {Student: "s2", Slot: "mon-1", Room: "lib"}}
		}, "rooms[lib].capacity", "above capacity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := smallInstance()
			tt.mutate(inst)
			err := inst.Validate()
			if err == nil {
				t.Fatalf("got nil, want an error naming %s", tt.path)
			}
			if !errors.Is(err, solver.ErrInvalidInstance) {
				t.Errorf("errors.Is(err, ErrInvalidInstance) = false for %v", err)
			}
			var ve *solver.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %T, want *solver.ValidationError", err)
			}
			for _, p := range ve.Problems {
				if strings.HasPrefix(p.Path, tt.path) && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("got %v, want a problem at %s containing %q", err, tt.path, tt.msg)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	inst := smallInstance()
	inst.Students[0].Progress["math.1"] = 2
	inst.Rooms[0].Capacity = -3
	inst.Teachers[0].Subjects = []string{"latin"}
	var ve *solver.ValidationError
	if err := inst.Validate(); !errors.As(err, &ve) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	if len(ve.Problems) < 3 {
		t.Fatalf("got %d problems (%v), want at least 3", len(ve.Problems), ve)
	}
}

func TestParseInstanceNamesField(t *testing.T) {
	_, err := solver.ParseInstance([]byte(`{"format":"weekplan.instance/v1","students":[{"id":"s1","grade":"seven"}]}`))
	if err == nil || !strings.Contains(err.Error(), "students.grade") {
		t.Fatalf("got %v, want an error naming students.grade", err)
	}
	if !errors.Is(err, solver.ErrInvalidInstance) {
		t.Errorf("got %v, want ErrInvalidInstance", err)
	}
	if _, err := solver.ParseInstance([]byte(`{"format":`)); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	if _, err := solver.ParseInstance([]byte(`{} {}`)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("got %v, want a trailing-data error", err)
	}
}

func TestFocusSkills(t *testing.T) {
	inst := smallInstance()
	tests := []struct {
		student string
		want    string
	}{
		{"s1", "math.1"},               // lowest seq below 0.8
		{"s2", "math.1"},               // only math.1 known
		{"s3", "math.2"},               // math.1 mastered (0.9)
		{"s4", "math.1,math.2,read.1"}, // goal math.2 added; reading frontier read.1
	}
	for _, tt := range tests {
		var st *solver.Student
		for i := range inst.Students {
			if inst.Students[i].ID == tt.student {
				st = &inst.Students[i]
			}
		}
		if got := strings.Join(inst.FocusSkills(st), ","); got != tt.want {
			t.Errorf("FocusSkills(%s) = %s, want %s", tt.student, got, tt.want)
		}
	}
	// Exactly the threshold counts as mastered; equal seq breaks ties by id.
	inst.Students[0].Progress = map[string]float64{"math.1": 0.8}
	if got := strings.Join(inst.FocusSkills(&inst.Students[0]), ","); got != "math.2" {
		t.Errorf("mastery 0.8 at threshold 0.8: got %s, want math.2", got)
	}
	inst.Skills = append(inst.Skills, solver.Skill{ID: "math.0b", Subject: "math", Seq: 2})
	if got := strings.Join(inst.FocusSkills(&inst.Students[0]), ","); got != "math.0b" {
		t.Errorf("equal seq tie: got %s, want math.0b", got)
	}
}
