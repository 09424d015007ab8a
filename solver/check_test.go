package solver_test

import (
	"math"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/solver"
)

// smallSchedule is a hand-made valid schedule of smallInstance, scored by hand
// in TestCheckScoresByHand.
func smallSchedule() *solver.Schedule {
	return &solver.Schedule{
		Format:    solver.ScheduleFormat,
		School:    "test-ms",
		WeekStart: "2026-11-30",
		Sessions: []solver.Session{
			{Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t1", Room: "r1", Skill: "math.2", Students: []string{"s3"}},
			{Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t2", Room: "r1", Skill: "read.1", Students: []string{"s4"}},
			{Slot: "mon-2", Mode: solver.SmallGroup, Teacher: "t1", Room: "r1", Skill: "math.1", Students: []string{"s1", "s2"}},
		},
		Independent: []solver.IndependentWork{
			{Slot: "mon-1", Room: "lib", Students: []string{"s1", "s2"}},
			{Slot: "mon-2", Room: "r1", Students: []string{"s3"}},
		},
		Unplaced:   []solver.Unplaced{},
		Shortfalls: []solver.Shortfall{{Student: "s3", Mode: solver.Tutoring, Minutes: 45, Reason: "teacher t1 is at max_sessions"}},
		Objective:  -441.35,
	}
}

func TestCheckScoresByHand(t *testing.T) {
	rep := solver.Check(smallInstance(), smallSchedule())
	if !rep.Valid() {
		t.Fatalf("hand-made schedule invalid: %v", rep.Violations)
	}
	want := solver.Score{
		GroupNeed: 0.8, TutorNeed: 2.6, Interest: 0.15, Independent: 0.6, Stable: 0,
		Contact: 4.5, Unplaced: 0, IEP: -450, Total: -441.35, ShortfallMinutes: 45,
	}
	got := rep.Score
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"group_need", got.GroupNeed, want.GroupNeed}, {"tutor_need", got.TutorNeed, want.TutorNeed},
		{"interest", got.Interest, want.Interest}, {"independent", got.Independent, want.Independent},
		{"stable", got.Stable, want.Stable}, {"contact", got.Contact, want.Contact},
		{"unplaced", got.Unplaced, want.Unplaced}, {"iep", got.IEP, want.IEP}, {"total", got.Total, want.Total},
	} {
		if math.Abs(f.got-f.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", f.name, f.got, f.want)
		}
	}
	if got.ShortfallMinutes != 45 || got.UnplacedSlots != 0 {
		t.Errorf("shortfall minutes %d, unplaced %d: want 45, 0", got.ShortfallMinutes, got.UnplacedSlots)
	}
}

func TestCheckContinuityAndUnplaced(t *testing.T) {
	inst := smallInstance()
	s := smallSchedule()
	// Put s1 in t1's tutoring in mon-1 as last week (small_group with t1):
	// mode differs, so no continuity; then match it.
	inst.LastWeek = []solver.LastWeekEntry{
		{Student: "s1", Slot: "mon-2", Mode: solver.SmallGroup, Teacher: "t1"}, // matches
		{Student: "s2", Slot: "mon-2", Mode: solver.SmallGroup, Teacher: "t2"}, // wrong teacher
		{Student: "s3", Slot: "mon-2", Mode: solver.Independent, Room: "lib"},  // mode alone
		{Student: "s2", Slot: "mon-1", Mode: solver.Independent},               // mode alone
		{Student: "s2", Slot: "mon-1", Mode: solver.Independent},               // at most once
	}
	// Leave s2 unplaced in mon-1 instead: continuity for s2 in mon-1 is lost.
	s.Independent[0].Students = []string{"s1"}
	s.Unplaced = []solver.Unplaced{{Student: "s2", Slot: "mon-1", Reason: "test"}}
	rep := solver.Check(inst, s)
	if math.Abs(rep.Score.Stable-0.2) > 1e-9 {
		t.Errorf("stable: got %v, want 0.2 (s1 mon-2 and s3 mon-2)", rep.Score.Stable)
	}
	if rep.Score.UnplacedSlots != 1 || rep.Score.Unplaced != -1000 {
		t.Errorf("unplaced: got %d slots, %v; want 1, -1000", rep.Score.UnplacedSlots, rep.Score.Unplaced)
	}
	for _, v := range rep.Violations {
		if v.Rule != solver.RuleObjective {
			t.Errorf("unexpected violation %v", v)
		}
	}
}

func TestCheckFlagsEachRule(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*solver.Instance, *solver.Schedule)
		rule   string
		msg    string
	}{
		{"H1 two placements", func(_ *solver.Instance, s *solver.Schedule) {
			s.Independent[1].Students = append(s.Independent[1].Students, "s1")
		}, "H1", "2 placements"},
		{"H1 unavailable slot", func(_ *solver.Instance, s *solver.Schedule) {
			s.Independent[1].Students = append(s.Independent[1].Students, "s4")
		}, "H1", "unavailable"},
		{"H1 listed twice in a session", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[2].Students = []string{"s1", "s1", "s2"}
		}, "H1", "listed twice"},
		{"H2 two sessions in a slot", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[1].Teacher, s.Sessions[1].Skill = "t1", "math.1"
			s.Sessions[1].Students = []string{"s4"}
		}, "H2", "leads 2 sessions"},
		{"H2 unavailable teacher", func(in *solver.Instance, _ *solver.Schedule) {
			in.Teachers[0].Unavailable = []string{"mon-2"}
		}, "H2", "unavailable"},
		{"H2 over max_sessions", func(in *solver.Instance, _ *solver.Schedule) {
			in.Teachers[0].MaxSessions = intp(1)
		}, "H2", "max_sessions 1"},
		{"H2 wrong subject", func(in *solver.Instance, _ *solver.Schedule) {
			in.Teachers[1].Subjects = []string{"math"}
		}, "H2", "does not teach"},
		{"H3 mode not allowed", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[2].Room = "lib"
		}, "H3", "does not allow small_group"},
		{"H3 unavailable room", func(in *solver.Instance, _ *solver.Schedule) {
			in.Rooms[1].Unavailable = []string{"mon-1"}
		}, "H3", "unavailable"},
		{"H3 capacity", func(in *solver.Instance, _ *solver.Schedule) {
			in.Rooms[1].Capacity = 1
		}, "H3", "capacity 1"},
		{"H3 stations", func(in *solver.Instance, _ *solver.Schedule) {
			in.Rooms[0].Stations = intp(1)
		}, "H3", "stations 1"},
		{"H3 accessibility", func(in *solver.Instance, _ *solver.Schedule) {
			in.Students[0].NeedsAccessible = true
		}, "H3", "needs an accessible room"},
		{"H4 group too small", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[2].Students = []string{"s1"}
			s.Independent[1].Students = []string{"s2", "s3"}
		}, "H4", "small group of 1"},
		{"H4 max_group_size", func(in *solver.Instance, _ *solver.Schedule) {
			in.Students[0].MaxGroupSize = intp(1)
		}, "H4", "max_group_size 1"},
		{"H4 empty group", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions = append(s.Sessions, solver.Session{Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t1", Room: "r1", Skill: "math.1"})
		}, "H4", "no students"},
		{"H5 not a focus skill", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[0].Skill = "math.1"
		}, "H5", "not a focus skill of student s3"},
		{"H5 level band", func(in *solver.Instance, _ *solver.Schedule) {
			in.Students[1].Progress["math.1"] = 0.76 // 0.76 − 0.5 > 0.25
		}, "H5", "above level_band"},
		{"H6 tutoring of two", func(in *solver.Instance, s *solver.Schedule) {
			s.Sessions[2].Mode = solver.Tutoring
		}, "H6", "tutoring session of 2"},
		{"H7 apart in a session", func(in *solver.Instance, _ *solver.Schedule) {
			in.Students[0].Apart = []string{"s2"}
		}, "H7", "kept apart"},
		{"H8 pin not honoured", func(in *solver.Instance, _ *solver.Schedule) {
			in.Pins = append(in.Pins, solver.Pin{Student: "s1", Slot: "mon-1", Room: "r1"})
		}, "H8", "room lib, pinned r1"},
		{"H8 pinned student unplaced", func(in *solver.Instance, s *solver.Schedule) {
			s.Independent[0].Students = []string{"s1"}
			s.Unplaced = []solver.Unplaced{{Student: "s2", Slot: "mon-1", Reason: "x"}}
			in.Pins = append(in.Pins, solver.Pin{Student: "s2", Slot: "mon-1"})
		}, "H8", "not placed"},
		{"unknown student", func(_ *solver.Instance, s *solver.Schedule) {
			s.Independent[0].Students = append(s.Independent[0].Students, "s-ghost")
		}, solver.RuleFormat, "unknown student"},
		{"unknown teacher", func(_ *solver.Instance, s *solver.Schedule) {
			s.Sessions[0].Teacher = "t-ghost"
		}, solver.RuleFormat, "unknown teacher"},
		{"wrong school", func(_ *solver.Instance, s *solver.Schedule) { s.School = "other" }, solver.RuleFormat, "school"},
		{"objective mismatch", func(_ *solver.Instance, s *solver.Schedule) { s.Objective = 12 }, solver.RuleObjective, "claims"},
		{"bound below objective", func(_ *solver.Instance, s *solver.Schedule) {
			b := -500.0
			s.Bound = &b
		}, solver.RuleBound, "below"},
		{"unlisted unplaced", func(_ *solver.Instance, s *solver.Schedule) {
			s.Independent[0].Students = []string{"s1"}
		}, solver.RuleReport, "not listed in unplaced"},
		{"unlisted shortfall", func(_ *solver.Instance, s *solver.Schedule) {
			s.Shortfalls = nil
		}, solver.RuleReport, "no shortfall is listed"},
		{"wrong shortfall minutes", func(_ *solver.Instance, s *solver.Schedule) {
			s.Shortfalls[0].Minutes = 30
		}, solver.RuleReport, "lists 30 minutes"},
		{"shortfall without reason", func(_ *solver.Instance, s *solver.Schedule) {
			s.Shortfalls[0].Reason = " "
		}, solver.RuleReport, "no reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, s := smallInstance(), smallSchedule()
			tt.mutate(inst, s)
			rep := solver.Check(inst, s)
			if rep.Valid() {
				t.Fatalf("got valid, want a %s violation", tt.rule)
			}
			for _, v := range rep.Violations {
				if v.Rule == tt.rule && strings.Contains(v.Message, tt.msg) {
					return
				}
			}
			t.Errorf("got %v, want %s containing %q", rep.Violations, tt.rule, tt.msg)
		})
	}
}
