package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// adminWeek imports a school into a fresh database and runs it once;
// it returns the environment, the instance and the database.
func adminWeek(t *testing.T) (map[string]string, *solver.Instance, *loader.DB) {
	t.Helper()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json"}
	// A small generated school keeps these tests quick under the race
	// detector; it has IEP students, groups and last week's placements.
	inst := fixtures.Generate(fixtures.GenOptions{Students: 30, Seed: 11})
	in := writeJSONFile(t, t.TempDir(), "school.json", inst)
	if r := weekplan(t, env, "import", "--in", in); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "run", "--school", inst.School.ID, "--week", inst.WeekStart); r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return env, inst, db
}

// busiestTeacherSlot returns a teacher and a slot in which that teacher leads
// a session in the stored schedule.
func busiestTeacherSlot(t *testing.T, db *loader.DB, inst *solver.Instance) (string, string) {
	t.Helper()
	sched, _, err := db.Schedule(context.Background(), inst.School.ID, inst.WeekStart, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sched.Sessions) == 0 {
		t.Fatal("the demo schedule has no session")
	}
	return sched.Sessions[0].Teacher, sched.Sessions[0].Slot
}

// TestDiffAfterTeacherAbsence: an administrator marks a teacher out in a slot
// where the teacher led a session, re-imports and re-runs; diff shows the
// session gone and its students moved.
func TestDiffAfterTeacherAbsence(t *testing.T) {
	t.Parallel()
	env, inst, db := adminWeek(t)
	school, week := inst.School.ID, inst.WeekStart
	teacher, slot := busiestTeacherSlot(t, db, inst)

	// With one version there is nothing to compare.
	if r := weekplan(t, env, "diff", "--school", school, "--week", week); r.code != exitUsage || !strings.Contains(r.stderr, "no version before") {
		t.Errorf("diff with one version: exit %d, stderr %q", r.code, r.stderr)
	}

	for i := range inst.Teachers {
		if inst.Teachers[i].ID == teacher {
			inst.Teachers[i].Unavailable = append(inst.Teachers[i].Unavailable, slot)
		}
	}
	in := writeJSONFile(t, t.TempDir(), "absent.json", inst)
	if r := weekplan(t, env, "import", "--in", in); r.code != exitOK {
		t.Fatalf("re-import: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "run", "--school", school, "--week", week, "--force"); r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("run --force: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r := weekplan(t, env, "diff", "--school", school, "--week", week)
	if r.code != exitOK {
		t.Fatalf("diff: exit %d, stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"version 1 → version 2", "STUDENTS", "TEACHERS", teacher} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The teacher's session in the slot is removed (or its slot changed).
	var out diffOutput
	j := weekplan(t, env, "diff", "--school", school, "--week", week, "--from", "1", "--to", "2", "--json")
	if j.code != exitOK {
		t.Fatalf("diff --json: exit %d, stderr %s", j.code, j.stderr)
	}
	if err := json.Unmarshal([]byte(j.stdout), &out); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, j.stdout)
	}
	if out.From != 1 || out.To != 2 || out.Counts.Moves == 0 {
		t.Errorf("diff --json: from %d to %d, %d moves; want 1 → 2 with moves", out.From, out.To, out.Counts.Moves)
	}
	removed := false
	for _, td := range out.Teachers {
		for _, ch := range td.Changes {
			if td.Teacher == teacher && ch.Slot == slot && ch.Kind == solver.SessionRemoved {
				removed = true
				// Every member of the removed session moved.
				for _, st := range ch.From.Students {
					if !movedIn(out.Students, st, slot) {
						t.Errorf("student %s of the removed session is not listed as moved in %s", st, slot)
					}
				}
			}
		}
	}
	if !removed {
		t.Errorf("diff does not list the session of %s in %s as removed:\n%s", teacher, slot, r.stdout)
	}
	// The reverse diff mirrors it.
	rev := weekplan(t, env, "diff", "--school", school, "--week", week, "--from", "2", "--to", "1", "--json")
	var back diffOutput
	if err := json.Unmarshal([]byte(rev.stdout), &back); err != nil || back.Counts.Moves != out.Counts.Moves {
		t.Errorf("reverse diff: %v, %d moves, want %d", err, back.Counts.Moves, out.Counts.Moves)
	}
	if r := weekplan(t, env, "diff", "--school", school, "--week", week, "--from", "7"); r.code != exitUsage || !strings.Contains(r.stderr, "no version 7") {
		t.Errorf("unknown version: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, st := range inst.Students {
		if st.Name != "" && strings.Contains(r.stderr+j.stderr, st.Name) {
			t.Errorf("diff logs name student %s", st.ID)
		}
	}
}

func movedIn(students []solver.StudentDiff, student, slot string) bool {
	for _, s := range students {
		if s.Student != student {
			continue
		}
		for _, m := range s.Moves {
			if m.Slot == slot {
				return true
			}
		}
	}
	return false
}

// TestExplainShowsOneStudentOnly explains every student of the week and
// checks that the output names the student and no other student, by id or
// by name, in text and in JSON.
func TestExplainShowsOneStudentOnly(t *testing.T) {
	t.Parallel()
	env, inst, db := adminWeek(t)
	school, week := inst.School.ID, inst.WeekStart
	sched, _, err := db.Schedule(context.Background(), school, week, 0)
	if err != nil {
		t.Fatal(err)
	}
	grouped := map[string]bool{} // students in a small group of two or more
	for _, se := range sched.Sessions {
		if se.Mode == solver.SmallGroup && len(se.Students) > 1 {
			for _, st := range se.Students {
				grouped[st] = true
			}
		}
	}
	sawBand := false
	for _, st := range inst.Students {
		text := weekplan(t, env, "explain", "--school", school, "--week", week, "--student", st.ID)
		if text.code != exitOK {
			t.Fatalf("explain %s: exit %d, stderr %s", st.ID, text.code, text.stderr)
		}
		js := weekplan(t, env, "explain", "--school", school, "--week", week, "--student", st.ID, "--json")
		if js.code != exitOK {
			t.Fatalf("explain --json %s: exit %d, stderr %s", st.ID, js.code, js.stderr)
		}
		var out explainOutput
		if err := json.Unmarshal([]byte(js.stdout), &out); err != nil || out.Student != st.ID || len(out.Blocks) != len(inst.Slots) {
			t.Errorf("explain --json %s: %v; want the student and %d blocks", st.ID, err, len(inst.Slots))
		}
		for _, want := range []string{st.ID, "FOCUS SKILLS", "WEEK", "MINIMUM MINUTES", inst.Slots[0].ID} {
			if !strings.Contains(text.stdout, want) {
				t.Errorf("explain %s lacks %q:\n%s", st.ID, want, text.stdout)
			}
		}
		if grouped[st.ID] && strings.Contains(text.stdout, "group level on") {
			sawBand = true
		}
		for _, other := range inst.Students {
			if other.ID == st.ID {
				continue
			}
			for _, out := range []string{text.stdout, js.stdout, text.stderr, js.stderr} {
				// A namesake's name is the student's own (the demo school has two "Mia M.").
				named := other.Name != "" && other.Name != st.Name && strings.Contains(out, other.Name)
				if strings.Contains(out, other.ID) || named {
					t.Fatalf("explain %s shows student %s:\n%s", st.ID, other.ID, out)
				}
			}
		}
		if strings.Contains(text.stderr, st.Name) {
			t.Errorf("explain logs the name of %s", st.ID)
		}
	}
	if len(grouped) > 0 && !sawBand {
		t.Error("no explanation of a grouped student shows the group's level band")
	}
	if r := weekplan(t, env, "explain", "--school", school, "--week", week, "--student", "nobody"); r.code != exitUsage || !strings.Contains(r.stderr, `no student "nobody"`) {
		t.Errorf("unknown student: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestReportOfStoredVersion writes the report of the week's version and
// checks the page, its plots, and that a re-import is flagged.
func TestReportOfStoredVersion(t *testing.T) {
	t.Parallel()
	env, inst, _ := adminWeek(t)
	school, week := inst.School.ID, inst.WeekStart
	dir := filepath.Join(t.TempDir(), "report")
	r := weekplan(t, env, "report", "--school", school, "--week", week, "--out", dir)
	if r.code != exitOK {
		t.Fatalf("report: exit %d, stderr %s", r.code, r.stderr)
	}
	if strings.TrimSpace(r.stdout) != filepath.Join(dir, "index.html") {
		t.Errorf("stdout %q, want the page's path", r.stdout)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version 1 (draft)", "IEP minutes ledger", "Teacher load", "Room utilisation", `src="quality.svg"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(string(page), "imported again") {
		t.Error("the report warns of a re-import that did not happen")
	}
	for _, st := range inst.Students {
		if st.Name != "" && (strings.Contains(string(page), st.Name) || strings.Contains(r.stderr, st.Name)) {
			t.Errorf("report or its log names student %s", st.ID)
		}
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	if len(svgs) != 6 {
		t.Errorf("got %d plots, want 6", len(svgs))
	}

	// Re-import a changed week: the report of version 1 says the input changed.
	inst.Teachers[0].Unavailable = append(inst.Teachers[0].Unavailable, inst.Slots[0].ID)
	if r := weekplan(t, env, "import", "--in", writeJSONFile(t, t.TempDir(), "changed.json", inst)); r.code != exitOK {
		t.Fatalf("re-import: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "report", "--school", school, "--week", week, "--out", dir, "--version", "1"); r.code != exitOK {
		t.Fatalf("report --version 1: exit %d, stderr %s", r.code, r.stderr)
	}
	page, _ = os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(page), "imported again") {
		t.Error("the report of an outdated version does not say the input changed")
	}
	if r := weekplan(t, env, "report", "--school", school, "--week", week); r.code != exitUsage || !strings.Contains(r.stderr, "missing --out") {
		t.Errorf("report without --out: exit %d, stderr %q", r.code, r.stderr)
	}
}

// onerosterDir copies the OneRoster test school into a temporary directory,
// with files replaced as given.
func onerosterDir(t *testing.T, replace map[string]string) string {
	t.Helper()
	src := filepath.Join("..", "..", "loader", "oneroster", "testdata", "school")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := replace[e.Name()]; ok {
			data = []byte(r)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImportOneRoster imports a OneRoster directory, runs the week and
// reports it; a broken directory is rejected with file, line and column and
// leaves the stored week as it was.
func TestImportOneRoster(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json"}
	ctx := context.Background()
	const school, week = "org-lincoln", "2026-11-30"

	if r := weekplan(t, env, "import", "--in", "x.json", "--oneroster", "d"); r.code != exitUsage || !strings.Contains(r.stderr, "exactly one of --in and --oneroster") {
		t.Errorf("both flags: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := weekplan(t, env, "import"); r.code != exitUsage {
		t.Errorf("no flag: exit %d, want %d", r.code, exitUsage)
	}

	// A broken directory on an empty database writes nothing.
	bad := onerosterDir(t, map[string]string{"progress.csv": "user_sourced_id,skill_id,mastery\nu-s1,math.1,1.7\n"})
	r := weekplan(t, env, "import", "--oneroster", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, `progress.csv:2: column "mastery": 1.7 is outside [0,1]`) {
		t.Fatalf("broken directory: exit %d, stderr %q", r.code, r.stderr)
	}
	if schools, _ := db.Schools(ctx); len(schools) != 0 {
		t.Fatalf("a rejected import wrote schools %v", schools)
	}

	good := onerosterDir(t, nil)
	if r := weekplan(t, env, "import", "--oneroster", good); r.code != exitOK {
		t.Fatalf("import --oneroster: exit %d, stderr %s", r.code, r.stderr)
	}
	inst, err := db.LoadInstance(ctx, school, week)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Students) != 6 || len(inst.Teachers) != 2 {
		t.Errorf("stored %d students and %d teachers, want 6 and 2", len(inst.Students), len(inst.Teachers))
	}

	// Parsed but invalid: a pin where the student is unavailable (H1). The
	// stored week keeps its data.
	pinned := onerosterDir(t, map[string]string{"pins.csv": "user_sourced_id,slot\nu-s3,mon-2\n",
		"users.csv": strings.Replace(readFile(t, filepath.Join(good, "users.csv")), "Maya,Rivera", "Changed,Name", 1)})
	r = weekplan(t, env, "import", "--oneroster", pinned)
	if r.code != exitUsage || !strings.Contains(r.stderr, "pins[") {
		t.Fatalf("invalid instance: exit %d, stderr %q", r.code, r.stderr)
	}
	again, _ := db.LoadInstance(ctx, school, week)
	if again.Students[0].Name != inst.Students[0].Name {
		t.Error("a rejected import changed the stored week")
	}

	if r := weekplan(t, env, "run", "--school", school, "--week", week); r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	dir := filepath.Join(t.TempDir(), "report")
	if r := weekplan(t, env, "report", "--school", school, "--week", week, "--out", dir); r.code != exitOK {
		t.Fatalf("report: exit %d, stderr %s", r.code, r.stderr)
	}
	page := readFile(t, filepath.Join(dir, "index.html"))
	for _, want := range []string{`<td class="id">u-s2</td><td class="n">7</td><td class="n">1.75</td>`, `<td class="id">u-s3</td><td class="n">7</td><td class="n">1.25</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks the at-risk row %q", want)
		}
	}
	for _, name := range []string{"Maya", "Rivera", "Liam"} {
		if strings.Contains(page, name) {
			t.Errorf("report names a student (%s)", name)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
