package triage_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
	"github.com/weekplan/weekplan/solver/triage"
)

func intp(v int) *int { return &v }

var allModes = []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}

// teacherLimitWeek: s-1 needs two tutoring blocks of math, and the only math
// teacher, t-m, may lead one session in the week. The reading teacher t-r is
// at its limit too, but s-1 has no reading focus: triage must leave it alone.
// The room has a spare station in every slot, so rooms are not short.
func teacherLimitWeek() *solver.Instance {
	return &solver.Instance{
		Format: solver.InstanceFormat, School: solver.School{ID: "tri"}, WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45},
			{ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 45},
			{ID: "mon-3", Day: "mon", Start: "11:00", Minutes: 45},
		},
		Skills: []solver.Skill{{ID: "math.1", Subject: "math", Seq: 1}, {ID: "read.1", Subject: "reading", Seq: 1}},
		Rooms: []solver.Room{
			{ID: "r1", Capacity: 10, Stations: intp(2), Modes: allModes},
		},
		Teachers: []solver.Teacher{
			{ID: "t-m", Subjects: []string{"math"}, MaxSessions: intp(1)},
			{ID: "t-r", Subjects: []string{"reading"}, MaxSessions: intp(1)},
		},
		Students: []solver.Student{
			{ID: "s-1", Progress: map[string]float64{"math.1": 0.3}, MinMinutes: map[solver.Mode]int{solver.Tutoring: 90}},
			{ID: "s-2", Progress: map[string]float64{"read.1": 0.2}, MinMinutes: map[solver.Mode]int{solver.Tutoring: 45}},
		},
	}
}

// closedRoomWeek: s-1 needs an accessible room and two tutoring blocks; the
// only accessible room that hosts sessions, r-acc, is unavailable in mon-1
// (s-1 works in the accessible library then). r-up hosts sessions in every
// slot but is not accessible: triage must not propose it.
func closedRoomWeek() *solver.Instance {
	return &solver.Instance{
		Format: solver.InstanceFormat, School: solver.School{ID: "tri"}, WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 50},
			{ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 45},
		},
		Skills: []solver.Skill{{ID: "math.1", Subject: "math", Seq: 1}},
		Rooms: []solver.Room{
			{ID: "r-acc", Capacity: 4, Stations: intp(1), Modes: []solver.Mode{solver.Tutoring, solver.Independent}, Accessible: true, Unavailable: []string{"mon-1"}},
			{ID: "r-lib", Capacity: 4, Stations: intp(0), Modes: []solver.Mode{solver.Independent}, Accessible: true},
			{ID: "r-up", Capacity: 4, Stations: intp(1), Modes: []solver.Mode{solver.Tutoring, solver.Independent}},
		},
		Teachers: []solver.Teacher{{ID: "t-m", Subjects: []string{"math"}}},
		Students: []solver.Student{
			{ID: "s-1", NeedsAccessible: true, Progress: map[string]float64{"math.1": 0.3}, MinMinutes: map[solver.Mode]int{solver.Tutoring: 95}},
			{ID: "s-2", Progress: map[string]float64{"math.1": 0.6}},
		},
	}
}

// solveChecked solves inst as Triage does (seed, effort) and returns the
// checker's report of the schedule, failing the test on an invalid one.
func solveChecked(t *testing.T, inst *solver.Instance, seed int64, effort int) *solver.CheckReport {
	t.Helper()
	res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: seed, Effort: effort})
	if err != nil {
		t.Fatal(err)
	}
	rep := solver.Check(inst, res.Schedule)
	if !rep.Valid() {
		t.Fatalf("checker rejects the re-solve: %v", rep.Violations)
	}
	return rep
}

// solveBase solves inst as a run would, at a small effort to keep the tests
// quick (any effort would do).
func solveBase(t *testing.T, inst *solver.Instance, seed int64) *solver.Schedule {
	t.Helper()
	res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: seed, Effort: triage.DefaultEffort})
	if err != nil {
		t.Fatal(err)
	}
	return res.Schedule
}

func TestTriageProposesTheMinimalChange(t *testing.T) {
	tests := []struct {
		name string
		inst func() *solver.Instance
		want triage.Change
		// changed is the modified week, built by hand (not with Apply).
		changed func(*solver.Instance)
		minutes int // the minutes one more block gives
	}{
		{
			name: "teacher at max_sessions", inst: teacherLimitWeek,
			want:    triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-m", From: 1, To: 2},
			changed: func(inst *solver.Instance) { inst.Teachers[0].MaxSessions = intp(2) },
			minutes: 45,
		},
		{
			name: "accessible room unavailable", inst: closedRoomWeek,
			want:    triage.Change{Kind: triage.RoomAvailable, Room: "r-acc", Slot: "mon-1"},
			changed: func(inst *solver.Instance) { inst.Rooms[0].Unavailable = nil },
			minutes: 50, // mon-1; 95 required − 45 scheduled
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := tt.inst()
			const seed = 3
			base := solveBase(t, inst, seed)
			if len(base.Shortfalls) != 1 || base.Shortfalls[0].Student != "s-1" || base.Shortfalls[0].Minutes != tt.minutes {
				t.Fatalf("the test week is not as designed: base shortfalls %+v, want s-1 short by %d", base.Shortfalls, tt.minutes)
			}
			rep, err := triage.Triage(context.Background(), inst, base, triage.Options{Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete || rep.Examined == 0 || rep.StudentsShort != 1 || rep.BaseShortfallMinutes != tt.minutes {
				t.Errorf("report header %+v, want complete, 1 student short by %d, candidates examined", rep, tt.minutes)
			}
			if len(rep.Remedies) != 1 {
				t.Fatalf("got %d remedies %+v, want exactly %+v", len(rep.Remedies), rep.Remedies, tt.want)
			}
			got := rep.Remedies[0]
			if got.Change != tt.want {
				t.Errorf("change %+v, want %+v", got.Change, tt.want)
			}
			if got.Recovered != tt.minutes || !slices.Equal(got.Students, []string{"s-1"}) {
				t.Errorf("recovered %d minutes for %v, want %d for [s-1]", got.Recovered, got.Students, tt.minutes)
			}
			if got.Description != tt.want.Description() || got.Description == "" {
				t.Errorf("description %q, want %q", got.Description, tt.want.Description())
			}
			if len(got.Slots) == 0 {
				t.Error("the remedy does not say in which slot the change is used")
			}
			if tt.want.Slot != "" && !slices.Contains(got.Slots, tt.want.Slot) {
				t.Errorf("slots %v, want them to include %s", got.Slots, tt.want.Slot)
			}

			// The same input gives the same report.
			again, err := triage.Triage(context.Background(), inst, base, triage.Options{Seed: seed})
			if err != nil || !reflect.DeepEqual(rep, again) {
				t.Errorf("two triages of the same week differ (error %v):\n%+v\n%+v", err, rep, again)
			}

			// An independent re-solve of the unchanged and the changed week,
			// scored by the checker, recovers the same minutes.
			ref := solveChecked(t, inst, seed, triage.DefaultEffort)
			mod := tt.inst()
			tt.changed(mod)
			after := solveChecked(t, mod, seed, triage.DefaultEffort)
			if want := ref.Score.ShortfallMinutes - after.Score.ShortfallMinutes; got.Recovered != want {
				t.Errorf("triage says %d minutes recovered; the independent re-solve recovers %d", got.Recovered, want)
			}
			if rep.ReferenceShortfallMinutes != ref.Score.ShortfallMinutes || got.ShortfallMinutes != after.Score.ShortfallMinutes {
				t.Errorf("shortfall reference %d, with change %d; the checker scores %d and %d",
					rep.ReferenceShortfallMinutes, got.ShortfallMinutes, ref.Score.ShortfallMinutes, after.Score.ShortfallMinutes)
			}
		})
	}
}

// shortTeachersWeek is a generated school whose teachers may lead only four
// sessions each: too few for its IEP tutoring minutes.
func shortTeachersWeek() *solver.Instance {
	inst := fixtures.Generate(fixtures.GenOptions{Students: 30, Seed: 2})
	for j := range inst.Teachers {
		inst.Teachers[j].MaxSessions = intp(4)
	}
	return inst
}

// TestTriageGeneratedSchool triages a generated school whose teachers are too
// few for its IEP minutes: every remedy is verified by applying it and
// re-solving independently, the remedies are sorted, and the caller's
// instance is left as it was.
func TestTriageGeneratedSchool(t *testing.T) {
	t.Parallel()
	inst := shortTeachersWeek()
	const seed = 1
	base := solveBase(t, inst, seed)
	if len(base.Shortfalls) == 0 {
		t.Fatal("the generated school was expected to have shortfalls")
	}
	before, _ := json.Marshal(inst)
	opt := triage.Options{Seed: seed, MaxCandidates: 2}

	rep, err := triage.Triage(context.Background(), inst, base, opt)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(inst); string(after) != string(before) {
		t.Error("Triage modified the caller's instance")
	}
	if rep.Examined != min(rep.Candidates, opt.MaxCandidates) || rep.Candidates <= opt.MaxCandidates {
		t.Errorf("examined %d of %d candidates, want the cap %d of more", rep.Examined, rep.Candidates, opt.MaxCandidates)
	}
	if len(rep.Remedies) == 0 {
		t.Fatalf("no remedy (base shortfalls %+v)", base.Shortfalls)
	}
	ref := solveChecked(t, inst, seed, triage.DefaultEffort)
	for k, r := range rep.Remedies {
		if k > 0 {
			p := rep.Remedies[k-1]
			if p.Recovered < r.Recovered || p.Recovered == r.Recovered && p.Kind == r.Kind && p.Teacher+p.Room >= r.Teacher+r.Room {
				t.Errorf("remedies not sorted by minutes, then kind and id: %+v before %+v", p, r)
			}
		}
		changed, err := r.Change.Apply(inst)
		if err != nil {
			t.Fatal(err)
		}
		after := solveChecked(t, changed, seed, triage.DefaultEffort)
		if want := ref.Score.ShortfallMinutes - after.Score.ShortfallMinutes; r.Recovered != want || want <= 0 {
			t.Errorf("%s: triage says %d minutes recovered; the independent re-solve recovers %d", r.Description, r.Recovered, want)
		}
		if len(r.Students) == 0 {
			t.Errorf("%s: no student helped", r.Description)
		}
	}
}

func TestTriageWithoutShortfallIsEmpty(t *testing.T) {
	inst := teacherLimitWeek()
	inst.Teachers[0].MaxSessions = nil // t-m may lead a session in every slot
	base := solveBase(t, inst, 1)
	if len(base.Shortfalls) != 0 {
		t.Fatalf("the test week is not as designed: shortfalls %+v", base.Shortfalls)
	}
	rep, err := triage.Triage(context.Background(), inst, base, triage.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete || len(rep.Remedies) != 0 || rep.Candidates != 0 || rep.Examined != 0 || rep.BaseShortfallMinutes != 0 || rep.StudentsShort != 0 {
		t.Errorf("got %+v, want an empty, complete report with nothing re-solved", rep)
	}
}

// TestTriageCancellation: a context that ends the triage returns promptly the
// report so far, marked incomplete, with an error wrapping the context's.
func TestTriageCancellation(t *testing.T) {
	t.Parallel()
	inst := shortTeachersWeek()
	base := solveBase(t, inst, 1)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	deadline, stop := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer stop()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled before", cancelled, context.Canceled},
		{"deadline during", deadline, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			// Effort 2000 takes seconds per re-solve on this school: only the
			// context can end the triage this soon.
			rep, err := triage.Triage(tt.ctx, inst, base, triage.Options{Seed: 1, Effort: 2000})
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("returned after %v, want promptly", elapsed)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tt.want)
			}
			if rep == nil || rep.Complete || rep.BaseShortfallMinutes == 0 {
				t.Fatalf("report %+v, want the incomplete report so far with the base shortfall", rep)
			}
			for _, r := range rep.Remedies {
				if r.Recovered <= 0 {
					t.Errorf("incomplete report lists %s recovering %d minutes", r.Description, r.Recovered)
				}
			}
		})
	}
}

func TestTriageRejectsBadInput(t *testing.T) {
	inst := teacherLimitWeek()
	base := &solver.Schedule{Format: solver.ScheduleFormat, School: "tri", WeekStart: "2026-11-30"}
	invalid := teacherLimitWeek()
	invalid.Students[0].Progress["math.1"] = 1.5
	other := *base
	other.WeekStart = "2026-12-07"
	tests := []struct {
		name string
		inst *solver.Instance
		base *solver.Schedule
		opt  triage.Options
		want string
	}{
		{"no instance", nil, base, triage.Options{}, "an instance and a schedule are required"},
		{"no schedule", inst, nil, triage.Options{}, "an instance and a schedule are required"},
		{"other week", inst, &other, triage.Options{}, `schedule of school "tri" week 2026-12-07 does not belong`},
		{"negative effort", inst, base, triage.Options{Effort: -1}, "negative option"},
		{"negative candidates", inst, base, triage.Options{MaxCandidates: -3}, "negative option"},
		{"invalid instance", invalid, base, triage.Options{}, "math.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := triage.Triage(context.Background(), tt.inst, tt.base, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if rep != nil {
				t.Errorf("got a report %+v with the error", rep)
			}
		})
	}
	if _, err := triage.Triage(context.Background(), invalid, base, triage.Options{}); !errors.Is(err, solver.ErrInvalidInstance) {
		t.Errorf("invalid instance: error %v, want solver.ErrInvalidInstance", err)
	}
}

func TestMaxCandidatesCapsTheResolves(t *testing.T) {
	inst := closedRoomWeek()
	base := solveBase(t, inst, 1)
	full, err := triage.Triage(context.Background(), inst, base, triage.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if full.Candidates < 2 {
		t.Fatalf("closedRoomWeek has %d candidates, want at least 2 for this test", full.Candidates)
	}
	capped, err := triage.Triage(context.Background(), inst, base, triage.Options{Seed: 1, MaxCandidates: 1})
	if err != nil {
		t.Fatal(err)
	}
	if capped.Examined != 1 || capped.Candidates != full.Candidates || full.Examined != full.Candidates {
		t.Errorf("capped: examined %d of %d; uncapped: examined %d of %d; want 1 of all and all of all",
			capped.Examined, capped.Candidates, full.Examined, full.Candidates)
	}
}
