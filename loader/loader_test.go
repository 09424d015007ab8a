package loader_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// benchDir is where the public benchmark instances live.
const benchDir = "../fixtures/bench"

// benchFiles returns the benchmark instance files, reference.json excluded.
func benchFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(benchDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "reference.json" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no benchmark instances in %s", benchDir)
	}
	return out
}

// readInstance decodes an instance file.
func readInstance(t testing.TB, path string) *solver.Instance {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inst solver.Instance
	if err := json.Unmarshal(b, &inst); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return &inst
}

// benchInstance reads one benchmark instance by file name.
func benchInstance(t testing.TB, name string) *solver.Instance {
	t.Helper()
	return readInstance(t, filepath.Join(benchDir, name))
}

// normalized returns the form of inst that LoadInstance gives: a deep copy,
// through JSON, with loader.Normalize applied.
func normalized(t testing.TB, inst *solver.Instance) *solver.Instance {
	t.Helper()
	b, err := json.Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	var cp solver.Instance
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	// JSON drops the difference between nil and empty that Normalize
	// erases, and keeps everything else (pointers stay nil or set).
	loader.Normalize(&cp)
	return &cp
}

// assertInstance fails the test if got differs from the normalised want,
// naming the first difference.
func assertInstance(t testing.TB, got, want *solver.Instance) {
	t.Helper()
	want = normalized(t, want)
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Fatalf("instance differs: %s", firstDifference(got, want))
}

// firstDifference describes where the JSON encodings of got and want part.
func firstDifference(got, want any) string {
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if gl[i] != wl[i] {
			return fmt.Sprintf("line %d: got %s, want %s", i+1, strings.TrimSpace(gl[i]), strings.TrimSpace(wl[i]))
		}
	}
	if len(gl) != len(wl) {
		return fmt.Sprintf("got %d JSON lines, want %d", len(gl), len(wl))
	}
	return "equal JSON, different Go values (nil vs empty or pointer)"
}

func ptr[T any](v T) *T { return &v }

// handMade is a small instance that uses every optional field both ways.
func handMade() *solver.Instance {
	return &solver.Instance{
		Format:    solver.InstanceFormat,
		School:    solver.School{ID: "hand-ms", Name: "Hand Middle School", Timezone: "Europe/Berlin"},
		WeekStart: "2026-11-30",
		Policy:    map[string]float64{"level_band": 0.2, "group_min": 3},
		Slots: []solver.Slot{
			{ID: "tue-1", Day: "tue", Start: "09:00", Minutes: 45},
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45},
			{ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 0},
		},
		Skills: []solver.Skill{
			{ID: "math.2", Subject: "math", Name: "Two", Seq: 2},
			{ID: "math.1", Subject: "math", Seq: 1},
			{ID: "read.1", Subject: "reading", Name: "Inference", Seq: 1},
		},
		Rooms: []solver.Room{
			{ID: "r2", Name: "Room 2", Capacity: 20, Modes: []solver.Mode{solver.Independent, solver.SmallGroup},
				Accessible: true, Topic: "science", Unavailable: []string{"mon-2", "tue-1"}},
			{ID: "r1", Capacity: 0, Stations: ptr(0), Modes: []solver.Mode{solver.Tutoring}},
			{ID: "r3", Capacity: 5, Stations: ptr(3), Modes: []solver.Mode{}},
		},
		Teachers: []solver.Teacher{
			{ID: "t-b", Name: "B", Subjects: []string{"reading", "math"}, MaxSessions: ptr(0), Unavailable: []string{"mon-1"}},
			{ID: "t-a", Subjects: []string{"math"}},
		},
		Students: []solver.Student{
			{ID: "s-2", Name: "Second", Grade: 7, Priority: ptr(1.5), Unavailable: []string{"tue-1", "mon-1"},
				NeedsAccessible: true, MaxGroupSize: ptr(3),
				MinMinutes: map[solver.Mode]int{solver.Tutoring: 90, solver.SmallGroup: 0},
				Apart:      []string{"s-1"},
				Progress:   map[string]float64{"math.1": 0.55, "math.2": 0, "read.1": 1},
				Interests:  map[string]float64{"science": 0.9, "math": 0.1234567890123},
				Goals:      []string{"read.1", "math.2"}},
			{ID: "s-1", Priority: ptr(0.0), MaxGroupSize: ptr(0)},
			{ID: "s-3", Grade: 8, Progress: map[string]float64{"math.1": 0.1 + 0.2}},
		},
		LastWeek: []solver.LastWeekEntry{
			{Student: "s-1", Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t-a"},
			{Student: "s-1", Slot: "mon-1", Mode: solver.Independent},
			{Student: "s-2", Slot: "tue-1", Mode: solver.SmallGroup, Teacher: "t-b", Room: "r2", Skill: "math.1"},
		},
		Pins: []solver.Pin{
			{Student: "s-1", Slot: "tue-1"},
			{Student: "s-1", Slot: "tue-1", Room: "r2"},
			{Student: "s-3", Slot: "mon-2", Mode: solver.Tutoring, Teacher: "t-a", Room: "r1", Skill: "math.1"},
		},
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := loader.Open(ctx, loadertest.NewEmptyDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migs, err := loader.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for _, m := range migs {
		all = append(all, m.Version)
	}
	tests := []struct {
		name string
		want []int
	}{
		{"first applies every migration", all},
		{"second applies nothing", nil},
		{"third applies nothing", nil},
	}
	for _, tt := range tests {
		got, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	var recorded int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM weekplan_migrations`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(all) {
		t.Errorf("weekplan_migrations rows: got %d, want %d", recorded, len(all))
	}
}

func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := loadertest.NewEmptyDB(t)
	const n = 6
	applied := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := loader.Open(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	migs, _ := loader.Migrations()
	if total != len(migs) {
		t.Errorf("migrations applied over all migrators: got %d, want %d", total, len(migs))
	}
}

func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name string
		inst func(t testing.TB) *solver.Instance
	}
	tests := []testCase{{"hand-made", func(testing.TB) *solver.Instance { return handMade() }}}
	for _, f := range benchFiles(t) {
		tests = append(tests, testCase{filepath.Base(f), func(t testing.TB) *solver.Instance { return readInstance(t, f) }})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := loadertest.NewDB(t)
			inst := tt.inst(t)
			if err := db.Import(ctx, inst); err != nil {
				t.Fatal(err)
			}
			got, err := db.LoadInstance(ctx, inst.School.ID, inst.WeekStart)
			if err != nil {
				t.Fatal(err)
			}
			assertInstance(t, got, inst)
			if g, w := loader.InputHash(got), loader.InputHash(inst); g != w {
				t.Errorf("InputHash of the loaded instance: got %s, want %s", g, w)
			}
		})
	}
}

func TestImportReplacesWeek(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := loadertest.NewDB(t)

	first := handMade()
	other := handMade()
	other.WeekStart = "2026-12-07"
	other.School.Name = "Renamed Middle School"
	second := handMade()
	second.School.Timezone = "Europe/Paris"
	second.Students = second.Students[:1]
	second.Students[0].Apart = nil
	second.LastWeek = second.LastWeek[2:]
	second.Pins = nil
	second.Slots[0].Minutes = 50
	second.Policy = nil

	for _, inst := range []*solver.Instance{first, other, second} {
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		week string
		want *solver.Instance
	}{
		{"re-imported week", "2026-11-30", second},
		{"other week untouched", "2026-12-07", other},
	}
	for _, tt := range tests {
		got, err := db.LoadInstance(ctx, "hand-ms", tt.week)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		assertInstance(t, got, tt.want)
	}

	weeks, err := db.Weeks(ctx, "hand-ms")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-11-30", "2026-12-07"}; !slices.Equal(weeks, want) {
		t.Errorf("Weeks: got %v, want %v", weeks, want)
	}
	schools, err := db.Schools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []loader.SchoolRef{{ID: "hand-ms", Name: "Hand Middle School", Timezone: "Europe/Paris"}}; !reflect.DeepEqual(schools, want) {
		t.Errorf("Schools: got %v, want %v", schools, want)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := loadertest.NewDB(t)
	if err := db.Import(ctx, handMade()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"LoadInstance unknown school", func() error { _, err := db.LoadInstance(ctx, "nope", "2026-11-30"); return err }},
		{"LoadInstance unknown week", func() error { _, err := db.LoadInstance(ctx, "hand-ms", "2026-12-07"); return err }},
		{"Weeks unknown school", func() error { _, err := db.Weeks(ctx, "nope"); return err }},
		{"History unknown week", func() error { _, err := db.History(ctx, "hand-ms", "2026-12-07"); return err }},
		{"Schedule no version", func() error { _, _, err := db.Schedule(ctx, "hand-ms", "2026-11-30", 0); return err }},
		{"Schedule unknown version", func() error { _, _, err := db.Schedule(ctx, "hand-ms", "2026-11-30", 3); return err }},
		{"Publish unknown version", func() error { return db.Publish(ctx, "hand-ms", "2026-11-30", 1) }},
		{"SaveSchedule unknown week", func() error {
			_, err := db.SaveSchedule(ctx, "hand-ms", "2026-12-07", &solver.Schedule{}, loader.RunMeta{})
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, loader.ErrNotFound) {
			t.Errorf("%s: got %v, want an error wrapping ErrNotFound", tt.name, err)
		}
	}
}

func TestImportRejectedLeavesWeekIntact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		edit       func(inst *solver.Instance)
		wantTable  string
		wantRecord string
	}{
		{"mastery above 1", func(inst *solver.Instance) { inst.Students[2].Progress["math.1"] = 1.7 },
			"student_progress", `students[s-3].progress["math.1"]`},
		{"mastery NaN", func(inst *solver.Instance) { inst.Students[0].Progress["read.1"] = math.NaN() },
			"student_progress", `students[s-2].progress["read.1"]`},
		{"mastery negative", func(inst *solver.Instance) { inst.Students[0].Progress["math.2"] = -0.01 },
			"student_progress", `students[s-2].progress["math.2"]`},
		{"interest above 1", func(inst *solver.Instance) { inst.Students[0].Interests["science"] = 2 },
			"student_interests", `students[s-2].interests["science"]`},
		{"duplicate student", func(inst *solver.Instance) { inst.Students[2].ID = "s-1" },
			"students", "students[s-1]"},
		{"unknown slot", func(inst *solver.Instance) { inst.Students[1].Unavailable = []string{"fri-9"} },
			"student_unavailable", "students[s-1].unavailable[0]"},
		{"unknown skill", func(inst *solver.Instance) { inst.Students[1].Progress = map[string]float64{"math.9": 0.5} },
			"student_progress", `students[s-1].progress["math.9"]`},
		{"apart names itself", func(inst *solver.Instance) { inst.Students[1].Apart = []string{"s-1"} },
			"student_apart", "students[s-1].apart[0]"},
		{"unknown mode", func(inst *solver.Instance) { inst.Rooms[0].Modes[0] = "lecture" },
			"room_modes", "rooms[r2].modes[0]"},
		{"negative capacity", func(inst *solver.Instance) { inst.Rooms[1].Capacity = -1 },
			"rooms", "rooms[r1]"},
		{"unknown pin teacher", func(inst *solver.Instance) { inst.Pins[2].Teacher = "t-x" },
			"pins", "pins[2]"},
		{"NaN policy", func(inst *solver.Instance) { inst.Policy["w_group"] = math.NaN() },
			"week_policy", `policy["w_group"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := loadertest.NewDB(t)
			good := handMade()
			if err := db.Import(ctx, good); err != nil {
				t.Fatal(err)
			}
			bad := handMade()
			tt.edit(bad)
			err := db.Import(ctx, bad)
			var ce *loader.ConstraintError
			if !errors.As(err, &ce) {
				t.Fatalf("Import: got %v, want a *ConstraintError", err)
			}
			t.Logf("Import: %v", err)
			if ce.Table != tt.wantTable {
				t.Errorf("table: got %q, want %q (%v)", ce.Table, tt.wantTable, err)
			}
			if tt.wantRecord != "" && ce.Record != tt.wantRecord {
				t.Errorf("record: got %q, want %q (%v)", ce.Record, tt.wantRecord, err)
			}
			if !strings.Contains(err.Error(), `importing school "hand-ms" week 2026-11-30: `) {
				t.Errorf("error %q does not name the school and week", err)
			}
			for _, secret := range []string{"1.7", "NaN", "0.55", "Second"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals a value (%s)", err, secret)
				}
			}
			got, err := db.LoadInstance(ctx, good.School.ID, good.WeekStart)
			if err != nil {
				t.Fatal(err)
			}
			assertInstance(t, got, good)
		})
	}
}

func TestImportRejectedNewWeekLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := loadertest.NewDB(t)
	bad := handMade()
	bad.Students[0].Progress["math.1"] = 1.7
	if err := db.Import(ctx, bad); err == nil {
		t.Fatal("Import: got no error, want one")
	}
	if _, err := db.LoadInstance(ctx, bad.School.ID, bad.WeekStart); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("LoadInstance after a rejected import: got %v, want ErrNotFound", err)
	}
	schools, err := db.Schools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(schools) != 0 {
		t.Errorf("Schools after a rejected import: got %v, want none", schools)
	}
}

func TestInputHash(t *testing.T) {
	t.Parallel()
	base := handMade()
	h := loader.InputHash(base)
	if len(h) != 64 {
		t.Fatalf("InputHash: got %q, want 64 hex digits", h)
	}
	tests := []struct {
		name string
		edit func(*solver.Instance)
		same bool
	}{
		{"unchanged", func(*solver.Instance) {}, true},
		{"empty instead of nil lists", func(inst *solver.Instance) {
			inst.Students[1].Goals = []string{}
			inst.Students[1].Progress = map[string]float64{}
			inst.Format = ""
		}, true},
		{"mastery changed", func(inst *solver.Instance) { inst.Students[0].Progress["math.1"] = 0.56 }, false},
		{"priority default made explicit", func(inst *solver.Instance) { inst.Students[2].Priority = ptr(1.0) }, false},
		{"students reordered", func(inst *solver.Instance) {
			inst.Students[0], inst.Students[1] = inst.Students[1], inst.Students[0]
		}, false},
	}
	for _, tt := range tests {
		inst := handMade()
		tt.edit(inst)
		if got := loader.InputHash(inst) == h; got != tt.same {
			t.Errorf("%s: hash equal: got %v, want %v", tt.name, got, tt.same)
		}
	}
	if !reflect.DeepEqual(base, handMade()) {
		t.Error("InputHash modified its argument")
	}
}

// independentSchedule puts every available student of every slot to work
// independently in the room of largest capacity, adds one tutoring session
// and one small group in the first slots where teachers and students are
// free, and reports one unplaced slot and one shortfall. It is a storage
// fixture, not a valid schedule.
func independentSchedule(inst *solver.Instance) *solver.Schedule {
	room := inst.Rooms[0]
	for _, r := range inst.Rooms {
		if r.Capacity > room.Capacity {
			room = r
		}
	}
	s := &solver.Schedule{
		Format: solver.ScheduleFormat, School: inst.School.ID, WeekStart: inst.WeekStart,
		Objective: 1234.5678, Bound: ptr(1250.125),
	}
	taken := map[[2]string]bool{} // (student, slot)
	// Sessions in reverse slot order, to exercise sorting.
	teacher := inst.Teachers[0]
	for i := len(inst.Slots) - 1; i >= 0 && i >= len(inst.Slots)-2; i-- {
		slot := inst.Slots[i].ID
		mode := solver.Tutoring
		students := []string{inst.Students[0].ID}
		if i%2 == 0 {
			mode = solver.SmallGroup
			students = []string{inst.Students[2].ID, inst.Students[1].ID}
		}
		s.Sessions = append(s.Sessions, solver.Session{Slot: slot, Mode: mode, Teacher: teacher.ID,
			Room: room.ID, Skill: inst.Skills[0].ID, Students: students})
		for _, st := range students {
			taken[[2]string{st, slot}] = true
		}
	}
	s.Unplaced = []solver.Unplaced{{Student: inst.Students[3].ID, Slot: inst.Slots[0].ID, Reason: "no room with capacity"}}
	taken[[2]string{inst.Students[3].ID, inst.Slots[0].ID}] = true
	s.Shortfalls = []solver.Shortfall{
		{Student: inst.Students[1].ID, Mode: solver.Tutoring, Minutes: 45, Reason: "no tutor available"},
		{Student: inst.Students[0].ID, Mode: solver.SmallGroup, Minutes: 10, Reason: "no group at level"},
	}
	for _, slot := range inst.Slots {
		w := solver.IndependentWork{Slot: slot.ID, Room: room.ID}
		for _, st := range inst.Students {
			if !taken[[2]string{st.ID, slot.ID}] && !slices.Contains(st.Unavailable, slot.ID) {
				w.Students = append(w.Students, st.ID)
			}
		}
		// Split into two records, to exercise merging.
		half := len(w.Students) / 2
		s.Independent = append(s.Independent,
			solver.IndependentWork{Slot: slot.ID, Room: room.ID, Students: w.Students[half:]},
			solver.IndependentWork{Slot: slot.ID, Room: room.ID, Students: w.Students[:half]})
	}
	return s
}

// slotIDs lists the instance's slot ids in order.
func slotIDs(inst *solver.Instance) []string {
	var ids []string
	for _, s := range inst.Slots {
		ids = append(ids, s.ID)
	}
	return ids
}

// importBench imports a benchmark instance into a fresh database.
func importBench(t *testing.T, name string) (*loader.DB, *solver.Instance) {
	t.Helper()
	db, _ := loadertest.NewDB(t)
	inst := benchInstance(t, name)
	if err := db.Import(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	return db, inst
}

func TestScheduleRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		bound bool
	}{
		{"with bound", true},
		{"without bound", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, inst := importBench(t, "tiny-30-seed101.json")
			sched := independentSchedule(inst)
			if !tt.bound {
				sched.Bound = nil
			}
			orig := cloneSchedule(t, sched)
			res, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, sched, loader.RunMeta{InputHash: loader.InputHash(inst), Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if want := (loader.SaveResult{Version: 1}); res != want {
				t.Errorf("SaveSchedule: got %+v, want %+v", res, want)
			}
			if !reflect.DeepEqual(sched, orig) {
				t.Error("SaveSchedule modified its argument")
			}
			got, info, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := cloneSchedule(t, sched)
			loader.NormalizeSchedule(want, slotIDs(inst))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Schedule differs: %s", firstDifference(got, want))
			}
			if got.Sessions[0].Slot != inst.Slots[len(inst.Slots)-2].ID {
				t.Errorf("first session slot: got %s, want %s", got.Sessions[0].Slot, inst.Slots[len(inst.Slots)-2].ID)
			}
			wantInfo := loader.VersionInfo{Version: 1, CreatedAt: info.CreatedAt, State: loader.StateDraft,
				Objective: sched.Objective, Bound: sched.Bound, InputHash: loader.InputHash(inst),
				UnplacedSlots: 1, ShortfallMinutes: 55, Seed: 7, Shortfalls: 2, AcknowledgedBy: []string{}}
			if !reflect.DeepEqual(info, wantInfo) {
				t.Errorf("VersionInfo: got %+v, want %+v", info, wantInfo)
			}
			if time.Since(info.CreatedAt) > time.Hour || info.CreatedAt.IsZero() {
				t.Errorf("CreatedAt: got %v, want about now", info.CreatedAt)
			}
		})
	}
}

func cloneSchedule(t testing.TB, s *solver.Schedule) *solver.Schedule {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var cp solver.Schedule
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	return &cp
}

func TestScheduleVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst := importBench(t, "tiny-30-seed101.json")
	school, week := inst.School.ID, inst.WeekStart
	hash := loader.InputHash(inst)
	sched := independentSchedule(inst)

	steps := []struct {
		name string
		meta loader.RunMeta
		want loader.SaveResult
	}{
		{"first run", loader.RunMeta{InputHash: hash, Seed: 1}, loader.SaveResult{Version: 1}},
		{"same input", loader.RunMeta{InputHash: hash, Seed: 1}, loader.SaveResult{Version: 1, Unchanged: true}},
		{"forced", loader.RunMeta{InputHash: hash, Seed: 1, Force: true}, loader.SaveResult{Version: 2}},
		{"other seed", loader.RunMeta{InputHash: hash, Seed: 2}, loader.SaveResult{Version: 3}},
		{"other input", loader.RunMeta{InputHash: "other", Seed: 2}, loader.SaveResult{Version: 4}},
		{"same again", loader.RunMeta{InputHash: "other", Seed: 2}, loader.SaveResult{Version: 4, Unchanged: true}},
	}
	for _, st := range steps {
		sched.Objective++
		got, err := db.SaveSchedule(ctx, school, week, sched, st.meta)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}

	hist, err := db.History(ctx, school, week)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, h := range hist {
		versions = append(versions, h.Version)
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(versions, want) {
		t.Fatalf("History versions: got %v, want %v", versions, want)
	}
	if got, want := hist[3].InputHash, "other"; got != want {
		t.Errorf("History[3].InputHash: got %q, want %q", got, want)
	}
	if got, want := hist[0].Objective, 1234.5678+1; got != want {
		t.Errorf("History[0].Objective: got %v, want %v", got, want)
	}

	// Version 0 is the latest until one is published, then the published one.
	publishSteps := []struct {
		name      string
		publish   int
		want      int
		wantState map[int]string
	}{
		{"nothing published", 0, 4, map[int]string{1: "draft", 2: "draft", 3: "draft", 4: "draft"}},
		{"publish 2", 2, 2, map[int]string{1: "draft", 2: "published", 3: "draft", 4: "draft"}},
		{"publish 3", 3, 3, map[int]string{1: "draft", 2: "draft", 3: "published", 4: "draft"}},
		{"publish 3 again", 3, 3, map[int]string{1: "draft", 2: "draft", 3: "published", 4: "draft"}},
	}
	for _, st := range publishSteps {
		if st.publish > 0 {
			if err := db.Publish(ctx, school, week, st.publish); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		_, info, err := db.Schedule(ctx, school, week, 0)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if info.Version != st.want {
			t.Errorf("%s: Schedule(0) version: got %d, want %d", st.name, info.Version, st.want)
		}
		hist, err := db.History(ctx, school, week)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			if h.State != st.wantState[h.Version] {
				t.Errorf("%s: version %d state: got %s, want %s", st.name, h.Version, h.State, st.wantState[h.Version])
			}
		}
	}

	// Importing the week again keeps its versions.
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	hist, err = db.History(ctx, school, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 {
		t.Errorf("versions after re-import: got %d, want 4", len(hist))
	}
}

func TestSaveScheduleConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst := importBench(t, "small-60-seed101.json")
	sched := independentSchedule(inst)
	meta := loader.RunMeta{InputHash: loader.InputHash(inst), Seed: 101}

	const n = 8
	results := make([]loader.SaveResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, sched, meta)
		}()
	}
	wg.Wait()
	written := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if results[i].Version != 1 {
			t.Errorf("writer %d: version got %d, want 1", i, results[i].Version)
		}
		if !results[i].Unchanged {
			written++
		}
	}
	if written != 1 {
		t.Errorf("writers that wrote a version: got %d, want 1", written)
	}
	hist, err := db.History(ctx, inst.School.ID, inst.WeekStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Errorf("versions: got %d, want 1", len(hist))
	}
}

func TestSaveScheduleRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(s *solver.Schedule)
		wantTable string
	}{
		{"student twice in a slot", func(s *solver.Schedule) {
			w := &s.Independent[0]
			s.Independent = append(s.Independent, solver.IndependentWork{Slot: w.Slot, Room: "other", Students: w.Students[:1]})
		}, "placements"},
		{"teacher in two sessions of a slot", func(s *solver.Schedule) {
			se := s.Sessions[0]
			se.Room = "elsewhere"
			se.Students = nil
			s.Sessions = append(s.Sessions, se)
		}, "schedule_sessions"},
		{"session of mode independent", func(s *solver.Schedule) { s.Sessions[0].Mode = solver.Independent }, "schedule_sessions"},
		{"negative shortfall", func(s *solver.Schedule) { s.Shortfalls[0].Minutes = -5 }, "shortfalls"},
		{"NaN objective", func(s *solver.Schedule) { s.Objective = math.NaN() }, "schedule_versions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, inst := importBench(t, "tiny-30-seed101.json")
			good := independentSchedule(inst)
			if _, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, good, loader.RunMeta{InputHash: "a"}); err != nil {
				t.Fatal(err)
			}
			bad := independentSchedule(inst)
			tt.edit(bad)
			_, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, bad, loader.RunMeta{InputHash: "b"})
			var ce *loader.ConstraintError
			if !errors.As(err, &ce) {
				t.Fatalf("SaveSchedule: got %v, want a *ConstraintError", err)
			}
			if ce.Table != tt.wantTable {
				t.Errorf("table: got %q, want %q (%v)", ce.Table, tt.wantTable, err)
			}
			hist, err := db.History(ctx, inst.School.ID, inst.WeekStart)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 {
				t.Errorf("versions after a rejected save: got %d, want 1", len(hist))
			}
		})
	}
}

// TestLarge times Import, LoadInstance, SaveSchedule and Schedule on the
// 1,000-student benchmark instance.
func TestLarge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := loadertest.NewDB(t)
	inst := benchInstance(t, "large-1000-seed101.json")
	sched := independentSchedule(inst)
	placements := 0
	for _, w := range sched.Independent {
		placements += len(w.Students)
	}

	const limit = 10 * time.Second // generous: a loaded CI machine; typically well under 1s each
	steps := []struct {
		name string
		run  func() error
	}{
		{"Import", func() error { return db.Import(ctx, inst) }},
		{"Import again", func() error { return db.Import(ctx, inst) }},
		{"LoadInstance", func() error {
			got, err := db.LoadInstance(ctx, inst.School.ID, inst.WeekStart)
			if err == nil && !reflect.DeepEqual(got, normalized(t, inst)) {
				err = errors.New("loaded instance differs")
			}
			return err
		}},
		{"SaveSchedule", func() error {
			_, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, sched, loader.RunMeta{InputHash: "x"})
			return err
		}},
		{"Schedule", func() error {
			got, _, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, 0)
			if err == nil {
				n := 0
				for _, w := range got.Independent {
					n += len(w.Students)
				}
				if n != placements {
					err = fmt.Errorf("independent placements: got %d, want %d", n, placements)
				}
			}
			return err
		}},
	}
	for _, st := range steps {
		start := time.Now()
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		d := time.Since(start)
		t.Logf("%s: %v (%d students, %d last_week rows, %d independent placements)",
			st.name, d.Round(time.Millisecond), len(inst.Students), len(inst.LastWeek), placements)
		if d > limit {
			t.Errorf("%s took %v, want under %v", st.name, d, limit)
		}
	}
}

// TestSchoolsOrder checks that Schools lists every imported school by id.
func TestSchoolsOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := loadertest.NewDB(t)
	var want []string
	for _, id := range []string{"b-school", "A-school", "a-school"} {
		inst := handMade()
		inst.School.ID = id
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	sort.Strings(want)
	schools, err := db.Schools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range schools {
		got = append(got, s.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Schools: got %v, want %v", got, want)
	}
}

// TestSolvedScheduleRoundTrip stores schedules the solver wrote and checks
// that Schedule gives them back unchanged, without normalising: the solver's
// order is the order NormalizeSchedule defines, so export reproduces the
// solver's file.
func TestSolvedScheduleRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"tiny-30-seed101.json", "small-120-tight-seed101.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, inst := importBench(t, name)
			res, err := solver.Solve(ctx, inst, solver.Options{Seed: 1, Effort: 1})
			if err != nil {
				t.Fatal(err)
			}
			want := cloneSchedule(t, res.Schedule)
			meta := loader.RunMeta{InputHash: loader.InputHash(inst), Seed: 1}
			if _, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, res.Schedule, meta); err != nil {
				t.Fatal(err)
			}
			got, info, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Schedule differs from the solver's: %s", firstDifference(got, want))
			}
			if info.UnplacedSlots != res.Score.UnplacedSlots || info.ShortfallMinutes != res.Score.ShortfallMinutes {
				t.Errorf("unplaced, shortfall minutes: got %d, %d, want %d, %d", info.UnplacedSlots,
					info.ShortfallMinutes, res.Score.UnplacedSlots, res.Score.ShortfallMinutes)
			}
		})
	}
}

// BenchmarkImport imports the 1,000-student benchmark instance, replacing the
// week each time.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	db, _ := loadertest.NewDB(b)
	inst := benchInstance(b, "large-1000-seed101.json")
	b.ResetTimer()
	for b.Loop() {
		if err := db.Import(ctx, inst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveSchedule saves a schedule of the 1,000-student benchmark
// instance as a new version each time.
func BenchmarkSaveSchedule(b *testing.B) {
	ctx := context.Background()
	db, _ := loadertest.NewDB(b)
	inst := benchInstance(b, "large-1000-seed101.json")
	if err := db.Import(ctx, inst); err != nil {
		b.Fatal(err)
	}
	sched := independentSchedule(inst)
	meta := loader.RunMeta{InputHash: loader.InputHash(inst), Force: true}
	placements := 0
	for _, w := range sched.Independent {
		placements += len(w.Students)
	}
	b.ReportMetric(float64(placements), "placements/op")
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, sched, meta); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSaveScheduleCancelled cuts SaveSchedule short at various points, as a
// crash or a lost connection would, and checks that every stored version is
// whole: a version is written completely or not at all.
func TestSaveScheduleCancelled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst := importBench(t, "medium-300-seed101.json")
	sched := independentSchedule(inst)
	want := cloneSchedule(t, sched)
	loader.NormalizeSchedule(want, slotIDs(inst))
	meta := loader.RunMeta{InputHash: "h", Force: true}
	if _, err := db.SaveSchedule(ctx, inst.School.ID, inst.WeekStart, sched, meta); err != nil {
		t.Fatal(err)
	}
	cancelled := 0
	for _, after := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, time.Second} {
		cctx, cancel := context.WithTimeout(ctx, after)
		if _, err := db.SaveSchedule(cctx, inst.School.ID, inst.WeekStart, sched, meta); err != nil {
			cancelled++
		}
		cancel()
	}
	hist, err := db.History(ctx, inst.School.ID, inst.WeekStart)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of 6 saves cut short, %d versions stored", cancelled, len(hist))
	if cancelled == 0 {
		t.Error("no save was cut short: the test proves nothing")
	}
	for i, h := range hist {
		if h.Version != i+1 {
			t.Errorf("version numbers: got %d at %d, want %d", h.Version, i, i+1)
		}
		got, _, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, h.Version)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("version %d differs: %s", h.Version, firstDifference(got, want))
		}
	}
}
