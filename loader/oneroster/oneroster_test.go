package oneroster_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/weekplan/weekplan/loader/oneroster"
	"github.com/weekplan/weekplan/solver"
)

// school returns testdata/school as an in-memory file system, with files
// replaced (or removed, for an empty replacement) as given.
func school(t testing.TB, replace map[string]string) fstest.MapFS {
	t.Helper()
	entries, err := os.ReadDir("testdata/school")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range entries {
		data, err := os.ReadFile("testdata/school/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: data}
	}
	for name, content := range replace {
		if content == "" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

func ptr[T any](v T) *T { return &v }

func TestReadSchool(t *testing.T) {
	inst, sum, err := oneroster.ReadWithSummary(school(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Validate(); err != nil {
		t.Fatalf("the instance read does not validate: %v", err)
	}
	all := []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}
	want := &solver.Instance{
		Format:    solver.InstanceFormat,
		School:    solver.School{ID: "org-lincoln", Name: "Lincoln Middle School", Timezone: "America/Denver"},
		WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45}, {ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 45},
			{ID: "tue-1", Day: "tue", Start: "09:00", Minutes: 45}, {ID: "tue-2", Day: "tue", Start: "10:00", Minutes: 45},
		},
		Skills: []solver.Skill{
			{ID: "math.1", Subject: "math", Name: "Equivalent fractions", Seq: 1}, {ID: "math.2", Subject: "math", Name: "Ratios", Seq: 2},
			{ID: "read.1", Subject: "reading", Name: "Inference", Seq: 1}, {ID: "read.2", Subject: "reading", Name: "Central idea", Seq: 2},
		},
		Rooms: []solver.Room{
			{ID: "r201", Name: "Room 201", Capacity: 20, Stations: ptr(2), Modes: all, Accessible: true, Topic: "science"},
			{ID: "lib", Name: "Library", Capacity: 12, Stations: ptr(0), Modes: []solver.Mode{solver.Independent}, Topic: "reading", Unavailable: []string{"tue-1", "tue-2"}},
		},
		Teachers: []solver.Teacher{
			{ID: "u-t1", Name: "A. Lee", Subjects: []string{"math"}, Unavailable: []string{"tue-1", "tue-2"}},
			{ID: "u-t2", Name: "B. Kim", Subjects: []string{"reading"}, MaxSessions: ptr(3)},
		},
		Students: []solver.Student{
			{ID: "u-s1", Name: "Maya R.", Grade: 7, MaxGroupSize: ptr(4), MinMinutes: map[solver.Mode]int{solver.Tutoring: 90},
				Apart: []string{"u-s2"}, Goals: []string{"math.2"},
				Progress:  map[string]float64{"math.1": 0.55, "read.1": 0.9, "read.2": 0.4},
				Interests: map[string]float64{"science": 0.9, "math": 0.4}},
			{ID: "u-s2", Name: "Liam C.", Grade: 7, Priority: ptr(1.75), Progress: map[string]float64{"math.1": 0.62}},
			{ID: "u-s3", Name: "Ava O.", Grade: 7, Priority: ptr(1.25), Unavailable: []string{"mon-2"}, Progress: map[string]float64{"math.1": 0.7}},
			{ID: "u-s4", Name: "Noah K.", Grade: 8, Progress: map[string]float64{"read.1": 0.3}, Interests: map[string]float64{"reading": 0.7}},
			{ID: "u-s5", Name: "Zoe P.", Grade: 8, NeedsAccessible: true, Progress: map[string]float64{"read.1": 0.45}},
			{ID: "u-s6", Name: "Eli M.", Grade: 6, Progress: map[string]float64{"math.1": 0.95, "math.2": 0.2}},
		},
		Pins: []solver.Pin{{Student: "u-s1", Slot: "mon-1", Mode: solver.Tutoring, Teacher: "u-t1"}},
	}
	if !reflect.DeepEqual(inst, want) {
		for i := range want.Students {
			if i < len(inst.Students) && !reflect.DeepEqual(inst.Students[i], want.Students[i]) {
				t.Errorf("student %d:\ngot  %+v\nwant %+v", i, inst.Students[i], want.Students[i])
			}
		}
		t.Errorf("instance:\ngot  %+v\nwant %+v", inst, want)
	}
	// PE (no skills) and the other school's teacher are not teachers here;
	// the spring class and the other school's class are skipped.
	if sum.Students != 6 || sum.Teachers != 2 || sum.AtRisk != 2 || sum.SkippedClasses != 2 || sum.Classes != 3 {
		t.Errorf("summary %+v, want 6 students, 2 teachers, 2 at risk, 3 classes, 2 skipped", sum)
	}
}

// TestReadProblems: every problem names the file, the line and the column.
func TestReadProblems(t *testing.T) {
	tests := []struct {
		name    string
		replace map[string]string
		want    []string // fragments of the error, each a whole problem's start
	}{
		{"missing required file", map[string]string{"users.csv": ""}, []string{"users.csv: file is missing"}},
		{"missing column", map[string]string{"progress.csv": "user_sourced_id,skill\nu-s1,math.1\n"},
			[]string{`progress.csv:1: column "skill_id": required column is missing`, `progress.csv:1: column "mastery": required column is missing`}},
		{"mastery out of range and unknown skill", map[string]string{"progress.csv": "user_sourced_id,skill_id,mastery\nu-s1,math.1,1.7\nu-s2,geo.9,0.5\nu-s3,math.1,abc\n"},
			[]string{`progress.csv:2: column "mastery": 1.7 is outside [0,1]`, `progress.csv:3: column "skill_id": unknown skill "geo.9"`, `progress.csv:4: column "mastery": "abc" is not a number`}},
		{"progress of a user who is not a student", map[string]string{"progress.csv": "user_sourced_id,skill_id,mastery\nu-t1,math.1,0.5\n"},
			[]string{`progress.csv:2: column "user_sourced_id": "u-t1" is not a student enrolled`}},
		{"duplicate progress row", map[string]string{"progress.csv": "user_sourced_id,skill_id,mastery\nu-s1,math.1,0.5\nu-s1,math.1,0.6\n"},
			[]string{`progress.csv:3: column "skill_id": second progress row`}},
		{"bad quote", map[string]string{"interests.csv": "user_sourced_id,key,weight\nu-s1,\"sci\"ence,0.5\n"},
			[]string{`interests.csv:2: character`}},
		{"wrong field count", map[string]string{"slots.csv": "slot_id,day,start,minutes\nmon-1,mon,09:00\n"},
			[]string{`slots.csv:2: 3 fields, the header has 4`}},
		{"week not a Monday", map[string]string{"week.csv": "week_start\n2026-12-01\n"},
			[]string{`week.csv:2: column "week_start": 2026-12-01 is a Tuesday, not a Monday`}},
		{"week outside every session", map[string]string{"week.csv": "week_start,school\n2028-01-03,org-lincoln\n"},
			[]string{`academicSessions.csv: no active academic session covers the week of 2028-01-03`}},
		{"two schools, none named", map[string]string{"week.csv": "week_start\n2026-11-30\n"},
			[]string{`orgs.csv: 2 schools (org-lincoln, org-other)`}},
		{"enrollment of an unknown user", map[string]string{"enrollments.csv": "classSourcedId,userSourcedId,role\nc-math7,u-nobody,student\n"},
			[]string{`enrollments.csv:2: column "userSourcedId": no active user "u-nobody"`}},
		{"unknown grade", map[string]string{"users.csv": "sourcedId,givenName,familyName,grades\nu-s1,Maya,Rivera,seventh\n"},
			[]string{`users.csv:2: column "grades": unknown grade "seventh"`}},
		{"unknown room mode and slot", map[string]string{"rooms.csv": "room_id,capacity,modes,unavailable\nr1,10,lecture,sat\n"},
			[]string{`rooms.csv:2: column "modes": unknown mode "lecture"`, `rooms.csv:2: column "unavailable": unknown slot or day "sat"`}},
		{"engagement out of range", map[string]string{"engagement.csv": "user_sourced_id,attendance_rate,missed_assignments,progress_velocity\nu-s1,95,-1,fast\n"},
			[]string{`engagement.csv:2: column "attendance_rate": 95 is outside [0,1]`, `engagement.csv:2: column "missed_assignments": "-1" is not a whole number`, `engagement.csv:2: column "progress_velocity": "fast" is not a number`}},
		{"unknown policy key", map[string]string{"policy.csv": "key,value\nw_magic,1\n"}, []string{`policy.csv:2: column "key": unknown policy key "w_magic"`}},
		{"pin of unknown teacher", map[string]string{"pins.csv": "user_sourced_id,slot,teacher_sourced_id\nu-s1,mon-1,u-t3\n"},
			[]string{`pins.csv:2: column "teacher_sourced_id": "u-t3" is not a teacher`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := oneroster.Read(school(t, tt.replace))
			if err == nil {
				t.Fatalf("no error; instance %+v", inst)
			}
			if !errors.Is(err, solver.ErrInvalidInstance) {
				t.Errorf("error does not wrap ErrInvalidInstance: %v", err)
			}
			var oe *oneroster.Error
			if !errors.As(err, &oe) {
				t.Fatalf("error is not a *oneroster.Error: %v", err)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range oe.Problems {
					found = found || strings.HasPrefix(p.String(), w)
				}
				if !found {
					t.Errorf("got %v\nwant a problem starting %q", err, w)
				}
			}
		})
	}
}

// TestReadReportsEveryProblem: problems in several files come back together.
func TestReadReportsEveryProblem(t *testing.T) {
	_, err := oneroster.Read(school(t, map[string]string{
		"progress.csv":  "user_sourced_id,skill_id,mastery\nu-s1,math.1,2\n",
		"interests.csv": "user_sourced_id,key,weight\nu-s1,math,-1\n",
	}))
	var oe *oneroster.Error
	if !errors.As(err, &oe) || len(oe.Problems) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
}

func TestOptionalFilesMayBeAbsent(t *testing.T) {
	inst, err := oneroster.Read(school(t, map[string]string{
		"interests.csv": "", "accommodations.csv": "", "availability.csv": "", "staff.csv": "",
		"subjects.csv": "", "policy.csv": "", "pins.csv": "", "engagement.csv": "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Validate(); err != nil {
		t.Fatal(err)
	}
	// Without subjects.csv, "Reading" still matches the reading skills, but
	// "Mathematics" matches nothing: only the reading teacher remains.
	if len(inst.Teachers) != 1 || inst.Teachers[0].ID != "u-t2" {
		t.Errorf("teachers %+v, want u-t2 alone", inst.Teachers)
	}
	for _, st := range inst.Students {
		if st.Priority != nil {
			t.Errorf("student %s has priority %v without engagement.csv", st.ID, *st.Priority)
		}
	}
}

func TestDerivePriority(t *testing.T) {
	tests := []struct {
		name    string
		e       oneroster.Engagement
		median  float64
		want    float64
		signals int
	}{
		{"no signal", oneroster.Engagement{AttendanceRate: ptr(0.95), MissedAssignments: ptr(0), ProgressVelocity: ptr(1.0)}, 1, 1, 0},
		{"attendance at 90% is no signal", oneroster.Engagement{AttendanceRate: ptr(0.90)}, 1, 1, 0},
		{"attendance below 90%", oneroster.Engagement{AttendanceRate: ptr(0.89)}, 1, 1.25, 1},
		{"three missed assignments", oneroster.Engagement{MissedAssignments: ptr(3)}, 1, 1.25, 1},
		{"slow progress", oneroster.Engagement{ProgressVelocity: ptr(0.49)}, 1, 1.25, 1},
		{"half the median is no signal", oneroster.Engagement{ProgressVelocity: ptr(0.5)}, 1, 1, 0},
		{"zero median: velocity ignored", oneroster.Engagement{ProgressVelocity: ptr(0.0)}, 0, 1, 0},
		{"every signal", oneroster.Engagement{AttendanceRate: ptr(0.5), MissedAssignments: ptr(9), ProgressVelocity: ptr(0.0)}, 1, 1.75, 3},
		{"unknown signals", oneroster.Engagement{}, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, signals := oneroster.DerivePriority(tt.e, tt.median)
			if got != tt.want || len(signals) != tt.signals {
				t.Errorf("got %g with %v, want %g with %d signal(s)", got, signals, tt.want, tt.signals)
			}
		})
	}
}

// FuzzRead feeds arbitrary bytes to the CSV reader in place of each file in
// turn: Read never panics, and either fails with located problems or returns
// an instance.
func FuzzRead(f *testing.F) {
	f.Add(uint8(0), []byte("user_sourced_id,skill_id,mastery\nu-s1,math.1,0.5\n"))
	f.Add(uint8(1), []byte("sourcedId,givenName,familyName,grades\nu-s1,\"Ma\nya\",R,07\n"))
	f.Add(uint8(2), []byte("\xef\xbb\xbfslot_id,day,start,minutes\nmon-1,mon,09:00,45\n\n"))
	f.Add(uint8(3), []byte("a,b\n\"unterminated"))
	f.Add(uint8(4), []byte(""))
	files := []string{"progress.csv", "users.csv", "slots.csv", "enrollments.csv", "engagement.csv", "rooms.csv", "accommodations.csv", "week.csv"}
	base := school(f, nil)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		name := files[int(which)%len(files)]
		fsys[name] = &fstest.MapFile{Data: data}
		inst, err := oneroster.Read(fsys)
		if err != nil {
			var oe *oneroster.Error
			if !errors.As(err, &oe) || len(oe.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range oe.Problems {
				if p.File == "" || p.Message == "" {
					t.Fatalf("problem without file or message: %+v", p)
				}
			}
			return
		}
		if inst == nil {
			t.Fatal("no error and no instance")
		}
	})
}
