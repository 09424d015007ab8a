package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// summaryLine returns the fields of school's line in a run summary: school,
// week, status, version, objective, unplaced, short min, churn, detail...
func summaryLine(t *testing.T, stdout, school string) []string {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 8 && f[0] == school {
			return f
		}
	}
	t.Fatalf("no summary line for %s:\n%s", school, stdout)
	return nil
}

// diffJSON runs weekplan diff --json between two versions.
func diffJSON(t *testing.T, env map[string]string, school, week string, from, to int) diffOutput {
	t.Helper()
	r := weekplan(t, env, "diff", "--school", school, "--week", week, "--from", fmt.Sprint(from), "--to", fmt.Sprint(to), "--json")
	if r.code != exitOK {
		t.Fatalf("diff %d → %d: exit %d, stderr %s", from, to, r.code, r.stderr)
	}
	var out diffOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, r.stdout)
	}
	return out
}

// TestStableRunAfterAbsence is the administrator's cycle on a real database:
// import → run → a teacher out all of one day, re-import → run (stable by
// default) → diff shows only the students of that teacher's sessions that
// day (and IEP minutes given back); an unchanged re-run writes nothing;
// --fresh solves from scratch as run did before; a stable run adjusts the
// published version rather than a later draft.
func TestStableRunAfterAbsence(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json"}
	ctx := context.Background()
	inst := fixtures.Generate(fixtures.GenOptions{Students: 30, Seed: 11})
	school, week := inst.School.ID, inst.WeekStart
	dir := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		r := weekplan(t, env, append([]string{"run", "--school", school, "--week", week}, args...)...)
		if r.code != exitOK && r.code != exitIncomplete {
			t.Fatalf("run %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	if r := weekplan(t, env, "import", "--in", writeJSONFile(t, dir, "week.json", inst)); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	if f := summaryLine(t, run().stdout, school); f[7] != "-" {
		t.Errorf("first run: churn column %q, want - (no version to compare with)", f[7])
	}

	// The teacher who holds the most student-slots on one day is out that day.
	v1, _, err := db.Schedule(ctx, school, week, 1)
	if err != nil {
		t.Fatal(err)
	}
	day := map[string]string{}
	for _, sl := range inst.Slots {
		day[sl.ID] = sl.Day
	}
	held := map[[2]string]int{}
	for _, se := range v1.Sessions {
		held[[2]string{se.Teacher, day[se.Slot]}] += len(se.Students)
	}
	var out [2]string
	for k, n := range held {
		if n > held[out] || n == held[out] && (k[0] < out[0] || k[0] == out[0] && k[1] < out[1]) {
			out = k
		}
	}
	displaced := map[string][]string{}
	for _, se := range v1.Sessions {
		if se.Teacher == out[0] && day[se.Slot] == out[1] {
			for _, st := range se.Students {
				displaced[st] = append(displaced[st], se.Slot)
			}
		}
	}
	absent := fixtures.Generate(fixtures.GenOptions{Students: 30, Seed: 11})
	for i := range absent.Teachers {
		if absent.Teachers[i].ID == out[0] {
			for _, sl := range absent.Slots {
				if sl.Day == out[1] {
					absent.Teachers[i].Unavailable = append(absent.Teachers[i].Unavailable, sl.ID)
				}
			}
		}
	}
	absent.Pins = slices.DeleteFunc(absent.Pins, func(p solver.Pin) bool { return p.Teacher == out[0] && day[p.Slot] == out[1] })
	if r := weekplan(t, env, "import", "--in", writeJSONFile(t, dir, "absent.json", absent)); r.code != exitOK {
		t.Fatalf("re-import: %d %s", r.code, r.stderr)
	}

	stable := run()
	line := summaryLine(t, stable.stdout, school)
	d12 := diffJSON(t, env, school, week, 1, 2)
	if line[3] != "2" || line[7] != fmt.Sprint(d12.Counts.Moves) || !strings.Contains(stable.stdout, "adjusted version 1") {
		t.Errorf("stable run: summary %v, want version 2, churn %d (the diff's moves), adjusted version 1", line, d12.Counts.Moves)
	}
	if !strings.Contains(stable.stderr, fmt.Sprintf(`"churn":%d`, d12.Counts.Moves)) || !strings.Contains(stable.stderr, `"basis_version":1`) {
		t.Errorf("the run's log does not carry churn %d against version 1:\n%s", d12.Counts.Moves, stable.stderr)
	}
	reqs := map[string]bool{}
	for _, st := range absent.Students {
		for _, v := range st.MinMinutes {
			reqs[st.ID] = reqs[st.ID] || v > 0
		}
	}
	repairs := map[string]int{} // per slot: displaced students' minutes given back
	onDay := 0
	for _, sd := range d12.Students {
		for _, m := range sd.Moves {
			switch {
			case slices.Contains(displaced[sd.Student], m.Slot):
				onDay++
			case displaced[sd.Student] != nil && reqs[sd.Student]:
				repairs[m.Slot]++
			}
		}
	}
	for _, sd := range d12.Students {
		for _, m := range sd.Moves {
			if displaced[sd.Student] != nil && (slices.Contains(displaced[sd.Student], m.Slot) || reqs[sd.Student]) {
				continue
			}
			if repairs[m.Slot] == 0 { // at most one student swapped out per repair
				t.Errorf("diff 1 → 2 moves %s in %s, which the absence of %s on %s does not affect", sd.Student, m.Slot, out[0], out[1])
			}
			repairs[m.Slot]--
		}
	}
	if onDay == 0 {
		t.Errorf("diff 1 → 2 moves none of the %d students of %s's sessions on %s", len(displaced), out[0], out[1])
	}

	// Unchanged input: nothing is solved or written.
	again := run()
	if f := summaryLine(t, again.stdout, school); f[2] != statusUnchanged || f[7] != "-" {
		t.Errorf("unchanged re-run: summary %v, want unchanged with churn -", f)
	}

	// --fresh --force: a new version solved from scratch, as run did before.
	fresh := run("--fresh", "--force")
	if !strings.Contains(fresh.stdout, "fresh; against version 2") {
		t.Errorf("fresh run: summary lacks its basis:\n%s", fresh.stdout)
	}
	loaded, err := db.LoadInstance(ctx, school, week)
	if err != nil {
		t.Fatal(err)
	}
	want, err := solver.Solve(ctx, loaded, solver.Options{Seed: 1, Effort: 5})
	if err != nil {
		t.Fatal(err)
	}
	v3, _, err := db.Schedule(ctx, school, week, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := solver.Diff(loaded, want.Schedule, v3); !d.Empty() {
		t.Errorf("run --fresh: version 3 differs from a fresh solve of the week in %d student-slots", d.Counts.Moves)
	}
	if d13 := diffJSON(t, env, school, week, 1, 3); d13.Counts.Moves <= d12.Counts.Moves {
		t.Errorf("the fresh solve moves %d student-slots against version 1, the stable one %d: want more", d13.Counts.Moves, d12.Counts.Moves)
	}

	// Publish version 2: a stable run adjusts it, not the later draft 3.
	if r := weekplan(t, env, "publish", "--school", school, "--week", week, "--version", "2", "--acknowledge-shortfalls", "--by", "test administrator"); r.code != exitOK {
		t.Fatalf("publish: %d %s", r.code, r.stderr)
	}
	adjusted := run("--force")
	if f := summaryLine(t, adjusted.stdout, school); f[3] != "4" || f[7] != "0" || !strings.Contains(adjusted.stdout, "adjusted version 2") {
		t.Errorf("stable run after publishing version 2: summary %v, want version 4 adjusting version 2 with churn 0", f)
	}
	if d := diffJSON(t, env, school, week, 2, 4); d.Counts.Moves != 0 {
		t.Errorf("version 4 moves %d student-slots against the published version 2 of the same input, want 0", d.Counts.Moves)
	}
	v2, _, err := db.Schedule(ctx, school, week, 2)
	if err != nil {
		t.Fatal(err)
	}
	v4, _, err := db.Schedule(ctx, school, week, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustJSON(t, v2), mustJSON(t, v4)) {
		t.Error("version 4, the same input adjusted against version 2, is not version 2 byte for byte")
	}
}

// TestStableFlags: bad combinations of --fresh and --max-churn are usage
// errors.
func TestStableFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--max-churn", "-2"}, "--max-churn must be -1 (no limit) or more"},
		{[]string{"run", "--fresh", "--max-churn", "3"}, "no meaning with --fresh"},
		{[]string{"daemon", "--fresh", "--max-churn", "0"}, "no meaning with --fresh"},
		{[]string{"solve", "--in", "x.json", "--max-churn", "4"}, "--max-churn needs --previous"},
		{[]string{"solve", "--in", "x.json", "--previous", "p.json", "--max-churn", "-3"}, "--max-churn must be -1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := weekplan(t, nil, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestSolvePrevious: solve --previous keeps an unchanged week's schedule as
// it was and rejects a schedule of another week.
func TestSolvePrevious(t *testing.T) {
	dir := t.TempDir()
	in := benchFile(t, "small-60-seed101")
	first := filepath.Join(dir, "first.json")
	if r := weekplan(t, nil, "solve", "--in", in, "--out", first); r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("solve: %d %s", r.code, r.stderr)
	}
	again := filepath.Join(dir, "again.json")
	r := weekplan(t, nil, "solve", "--in", in, "--out", again, "--previous", first, "--seed", "9")
	if r.code != exitOK && r.code != exitIncomplete {
		t.Fatalf("solve --previous: %d %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `"churn":0`) {
		t.Errorf("solve --previous on the same week: log lacks churn 0:\n%s", r.stderr)
	}
	inst, err := readInstance(in)
	if err != nil {
		t.Fatal(err)
	}
	a, err := readSchedule(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readSchedule(again)
	if err != nil {
		t.Fatal(err)
	}
	if d := solver.Diff(inst, a, b); !d.Empty() {
		t.Errorf("solve --previous moved %d student-slots of an unchanged week", d.Counts.Moves)
	}

	a.WeekStart = "2001-01-01"
	other := writeJSONFile(t, dir, "other.json", a)
	if r := weekplan(t, nil, "solve", "--in", in, "--previous", other); r.code != exitUsage || !strings.Contains(r.stderr, "week 2001-01-01") {
		t.Errorf("a previous schedule of another week: exit %d, stderr %q; want %d naming the week", r.code, r.stderr, exitUsage)
	}
	bad := writeJSONFile(t, dir, "bad.json", map[string]any{"format": "nonsense"})
	if r := weekplan(t, nil, "solve", "--in", in, "--previous", bad); r.code != exitUsage || !strings.Contains(r.stderr, `format "nonsense"`) {
		t.Errorf("a previous schedule of another format: exit %d, stderr %q; want %d naming the format", r.code, r.stderr, exitUsage)
	}
}
