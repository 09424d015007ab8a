package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// testEffort is the solver effort of in-process test runs (WEEKPLAN_EFFORT).
const testEffort = "5"

// result is what one weekplan invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// weekplan runs one command line in-process with the given environment
// (nothing else of the process environment is visible to it).
func weekplan(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return weekplanCtx(t, context.Background(), env, args...)
}

func weekplanCtx(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	// Tests solve at a small effort: what they check holds at any effort, and
	// the solver's quality is measured by `make bench`, not here.
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "WEEKPLAN_EFFORT" {
			return testEffort
		}
		return ""
	}
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: getenv}
	code := m.Run(ctx, args)
	return result{code, out.String(), errb.String()}
}

// writeJSONFile writes v as JSON into dir/name and returns the path.
func writeJSONFile(t *testing.T, dir, name string, v any) string {
	t.Helper()
	data, err := marshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func benchFile(t *testing.T, name string) string {
	t.Helper()
	inst, err := fixtures.Bench(name)
	if err != nil {
		t.Fatal(err)
	}
	return writeJSONFile(t, t.TempDir(), name+".json", inst)
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate" (see 'weekplan help')`},
		{"solve without --in", []string{"solve"}, "missing --in (see 'weekplan solve -h')"},
		{"bad flag", []string{"solve", "--nope"}, "flag provided but not defined"},
		{"stray argument", []string{"check", "--in", "a", "--schedule", "b", "extra"}, `unexpected argument "extra"`},
		{"export without week", []string{"export", "--school", "x"}, "missing --week"},
		{"bad week", []string{"history", "--school", "x", "--week", "monday"}, "is not a date"},
		{"gen without students", []string{"gen"}, "--students must be between"},
		{"bad cron", []string{"daemon", "--cron", "every tuesday"}, "cron spec"},
		{"bad time limit env", []string{"solve", "--in", "x.json"}, ""},
		{"no DATABASE_URL", []string{"migrate"}, "DATABASE_URL is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.name == "bad time limit env" {
				env["WEEKPLAN_TIME_LIMIT"] = "soon"
				tt.want = "WEEKPLAN_TIME_LIMIT"
			}
			r := weekplan(t, env, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.want)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	if r := weekplan(t, nil, "help"); r.code != exitOK || !strings.Contains(r.stderr, "rosters") {
		t.Errorf("help: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := weekplan(t, nil, "solve", "-h"); r.code != exitOK || !strings.Contains(r.stderr, "--time-limit") && !strings.Contains(r.stderr, "-time-limit") {
		t.Errorf("solve -h: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestSolveThenCheck(t *testing.T) {
	in := benchFile(t, "tiny-30-seed101")
	out := filepath.Join(t.TempDir(), "s.json")
	r := weekplan(t, nil, "solve", "--in", in, "--out", out, "--seed", "7")
	// tiny-30 cannot meet every IEP minute (its optimum is negative): exit 3.
	if r.code != exitIncomplete {
		t.Fatalf("solve: exit %d, want %d; stderr %s", r.code, exitIncomplete, r.stderr)
	}
	c := weekplan(t, nil, "check", "--in", in, "--schedule", out)
	if c.code != exitOK {
		t.Fatalf("check: exit %d, stdout %s stderr %s", c.code, c.stdout, c.stderr)
	}
	for _, want := range []string{"valid", "small-group need", "IEP shortfall", "total"} {
		if !strings.Contains(c.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, c.stdout)
		}
	}
	// Same seed, same bytes.
	out2 := filepath.Join(t.TempDir(), "s2.json")
	weekplan(t, nil, "solve", "--in", in, "--out", out2, "--seed", "7")
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Error("two solves with the same seed wrote different schedules")
	}
}

func TestCheckRejectsInvalidSchedule(t *testing.T) {
	in := benchFile(t, "tiny-30-seed101")
	inst, _ := fixtures.Bench("tiny-30-seed101")
	bad := &solver.Schedule{Format: solver.ScheduleFormat, School: inst.School.ID, WeekStart: inst.WeekStart,
		Sessions: []solver.Session{{Slot: inst.Slots[0].ID, Mode: solver.SmallGroup, Teacher: inst.Teachers[0].ID, Room: inst.Rooms[0].ID, Skill: inst.Skills[0].ID}}}
	path := writeJSONFile(t, t.TempDir(), "bad.json", bad)
	r := weekplan(t, nil, "check", "--in", in, "--schedule", path)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d", r.code, exitUsage)
	}
	if !strings.Contains(r.stdout, "INVALID") || !strings.Contains(r.stdout, "H4") {
		t.Errorf("stdout lacks the violation:\n%s", r.stdout)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	os.WriteFile(garbage, []byte(`{"sessions": 3}`), 0o644)
	if r := weekplan(t, nil, "check", "--in", in, "--schedule", garbage); r.code != exitUsage || !strings.Contains(r.stderr, "sessions") {
		t.Errorf("malformed schedule: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestSolveRejectsInvalidInstance(t *testing.T) {
	inst, _ := fixtures.Bench("tiny-30-seed101")
	inst.Students[3].Progress["math.03"] = 1.7
	in := writeJSONFile(t, t.TempDir(), "bad.json", inst)
	out := filepath.Join(t.TempDir(), "s.json")
	r := weekplan(t, nil, "solve", "--in", in, "--out", out)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d", r.code, exitUsage)
	}
	want := `students[` + inst.Students[3].ID + `].progress["math.03"]: mastery 1.7 outside [0,1]`
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a schedule was written for a rejected instance")
	}
}

func TestGenWritesValidInstance(t *testing.T) {
	out := filepath.Join(t.TempDir(), "g.json")
	if r := weekplan(t, nil, "gen", "--students", "80", "--seed", "3", "--out", out); r.code != exitOK {
		t.Fatalf("gen: exit %d: %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	inst, err := solver.ParseInstance(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(inst.Students) != 80 {
		t.Errorf("got %d students, want 80", len(inst.Students))
	}
}

// TestWeeklyCycle runs migrate → import → run → export → check → rosters →
// history → run again (unchanged) → publish on a real database.
func TestWeeklyCycle(t *testing.T) {
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json"}
	inst, err := fixtures.Demo()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := writeJSONFile(t, dir, "demo.json", inst)
	school, week := inst.School.ID, inst.WeekStart

	if r := weekplan(t, env, "migrate"); r.code != exitOK {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "import", "--in", in); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	r := weekplan(t, env, "run", "--school", school, "--week", week)
	if r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, school) || !strings.Contains(r.stdout, "SCHOOL") {
		t.Errorf("run summary lacks the school:\n%s", r.stdout)
	}
	exported := filepath.Join(dir, "s.json")
	if r := weekplan(t, env, "export", "--school", school, "--week", week, "--out", exported); r.code != exitOK {
		t.Fatalf("export: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "check", "--in", in, "--schedule", exported); r.code != exitOK {
		t.Fatalf("check of the exported schedule: %d\n%s", r.code, r.stdout)
	}
	rosterDir := filepath.Join(dir, "rosters")
	if r := weekplan(t, env, "rosters", "--school", school, "--week", week, "--out", rosterDir); r.code != exitOK {
		t.Fatalf("rosters: %d %s", r.code, r.stderr)
	}
	for _, tc := range inst.Teachers {
		for _, ext := range []string{".html", ".csv", ".ics"} {
			if _, err := os.Stat(filepath.Join(rosterDir, tc.ID+ext)); err != nil {
				t.Errorf("roster file missing: %v", err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(rosterDir, "index.html")); err != nil {
		t.Error(err)
	}

	// Unchanged input: no new version, and the log says so.
	again := weekplan(t, env, "run", "--school", school, "--week", week)
	if !strings.Contains(again.stdout, statusUnchanged) || !strings.Contains(again.stderr, "nothing changed") {
		t.Errorf("re-run did not report unchanged:\n%s\n%s", again.stdout, again.stderr)
	}
	forced := weekplan(t, env, "run", "--school", school, "--week", week, "--force")
	if forced.code != exitOK && forced.code != exitIncomplete {
		t.Fatalf("run --force: %d %s", forced.code, forced.stderr)
	}
	h := weekplan(t, env, "history", "--school", school, "--week", week, "--json")
	if lines := strings.Count(h.stdout, "\n"); lines != 2 {
		t.Errorf("history has %d versions, want 2:\n%s", lines, h.stdout)
	}
	if r := weekplan(t, env, "publish", "--school", school, "--week", week, "--version", "1"); r.code != exitOK {
		t.Fatalf("publish: %d %s", r.code, r.stderr)
	}
	versions, err := db.History(context.Background(), school, week)
	if err != nil {
		t.Fatal(err)
	}
	if versions[0].State != "published" || versions[1].State != "draft" {
		t.Errorf("states %s, %s; want published, draft", versions[0].State, versions[1].State)
	}
}

func TestImportRejectsInvalidAndKeepsData(t *testing.T) {
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	inst, _ := fixtures.Demo()
	dir := t.TempDir()
	good := writeJSONFile(t, dir, "good.json", inst)
	if r := weekplan(t, env, "import", "--in", good); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	bad, _ := fixtures.Demo()
	bad.Teachers[0].Subjects = append(bad.Teachers[0].Subjects, "latin")
	bad.Students[0].Name = "Changed Name"
	badPath := writeJSONFile(t, dir, "bad.json", bad)
	r := weekplan(t, env, "import", "--in", badPath)
	if r.code != exitUsage || !strings.Contains(r.stderr, `subject "latin" has no skill`) {
		t.Fatalf("bad import: exit %d, stderr %q", r.code, r.stderr)
	}
	got, err := db.LoadInstance(context.Background(), inst.School.ID, inst.WeekStart)
	if err != nil {
		t.Fatal(err)
	}
	if got.Students[0].Name != inst.Students[0].Name {
		t.Error("a rejected import changed the stored data")
	}
}

// TestRunContainsBadSchool: one school's broken data fails that school only.
func TestRunContainsBadSchool(t *testing.T) {
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	ctx := context.Background()
	good, _ := fixtures.Demo()
	other := fixtures.Generate(fixtures.GenOptions{Students: 40, Seed: 9, SchoolID: "other-ms", WeekStart: good.WeekStart})
	for _, in := range []*solver.Instance{good, other} {
		if err := db.Import(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// Break the other school in the database itself: a pin on a slot where the
	// student is unavailable contradicts H1.
	st := other.Students[0]
	if len(st.Unavailable) == 0 {
		st.Unavailable = []string{other.Slots[0].ID}
	}
	other.Pins = append(other.Pins, solver.Pin{Student: st.ID, Slot: st.Unavailable[0]})
	other.Students[0] = st
	if err := db.Import(ctx, other); err != nil {
		t.Fatal(err)
	}
	r := weekplan(t, env, "run", "--week", good.WeekStart)
	if r.code != exitUsage {
		t.Errorf("exit %d, want %d (a school rejected)\n%s\n%s", r.code, exitUsage, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "other-ms") || !strings.Contains(r.stdout, statusRejected) {
		t.Errorf("summary lacks the rejected school:\n%s", r.stdout)
	}
	if v, err := db.History(ctx, good.School.ID, good.WeekStart); err != nil || len(v) != 1 {
		t.Errorf("good school: %d versions (%v), want 1", len(v), err)
	}
	if v, _ := db.History(ctx, "other-ms", good.WeekStart); len(v) != 0 {
		t.Errorf("rejected school got %d versions, want 0", len(v))
	}
}

func TestDaemonTicksAndStops(t *testing.T) {
	db, url := loadertest.NewDB(t)
	inst, _ := fixtures.Demo()
	// The daemon schedules next week: import the demo for the coming Monday.
	inst.WeekStart = nextWeekStart(time.Now(), inst.School.Timezone)
	if err := db.Import(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": url, "WEEKPLAN_CRON": "@every 1s"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- weekplanCtx(t, ctx, env, "daemon") }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := db.History(context.Background(), inst.School.ID, inst.WeekStart)
		if err == nil && len(v) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the daemon wrote no version within 60s: %+v", <-done)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel() // as SIGTERM does
	select {
	case r := <-done:
		if r.code != exitOK {
			t.Errorf("daemon exit %d, want 0; stderr %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "daemon stopped") {
			t.Errorf("stderr lacks the stop message: %s", r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon did not stop within 60s of cancellation")
	}
}

// TestLogsCarryNoNames scans the logs of a whole cycle for student names.
func TestLogsCarryNoNames(t *testing.T) {
	_, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_LEVEL": "debug"}
	inst, _ := fixtures.Demo()
	dir := t.TempDir()
	in := writeJSONFile(t, dir, "demo.json", inst)
	var logs strings.Builder
	for _, args := range [][]string{
		{"migrate"}, {"import", "--in", in},
		{"run", "--school", inst.School.ID, "--week", inst.WeekStart},
		{"rosters", "--school", inst.School.ID, "--week", inst.WeekStart, "--out", filepath.Join(dir, "r")},
		{"export", "--school", inst.School.ID, "--week", inst.WeekStart, "--out", filepath.Join(dir, "s.json")},
	} {
		logs.WriteString(weekplan(t, env, args...).stderr)
	}
	all := logs.String()
	for _, st := range inst.Students {
		if st.Name != "" && strings.Contains(all, st.Name) {
			t.Errorf("logs contain the name of student %s", st.ID)
		}
	}
	for _, tc := range inst.Teachers {
		if tc.Name != "" && strings.Contains(all, tc.Name) {
			t.Errorf("logs contain the name of teacher %s", tc.ID)
		}
	}
	if !strings.Contains(all, inst.School.ID) {
		t.Error("logs do not carry the school id at all")
	}
}
