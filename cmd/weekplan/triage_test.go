package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader/loadertest"
)

// TestTriageOfStoredVersion imports a school whose teachers are too few for
// its IEP minutes, runs it, and checks `weekplan triage` (text and JSON), its
// time limit, and the report's triage section, on a real database.
func TestTriageOfStoredVersion(t *testing.T) {
	t.Parallel()
	_, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json"}
	inst := fixtures.Generate(fixtures.GenOptions{Students: 30, Seed: 2})
	for j := range inst.Teachers {
		four := 4
		inst.Teachers[j].MaxSessions = &four
	}
	school, week := inst.School.ID, inst.WeekStart
	if r := weekplan(t, env, "import", "--in", writeJSONFile(t, t.TempDir(), "school.json", inst)); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	if r := weekplan(t, env, "run", "--school", school, "--week", week); r.code != exitIncomplete {
		t.Fatalf("run: exit %d, want %d (shortfalls)\n%s", r.code, exitIncomplete, r.stderr)
	}

	j := weekplan(t, env, "triage", "--school", school, "--week", week, "--json")
	if j.code != exitOK {
		t.Fatalf("triage --json: exit %d, stderr %s", j.code, j.stderr)
	}
	var got triageOutput
	if err := json.Unmarshal([]byte(j.stdout), &got); err != nil {
		t.Fatalf("triage --json prints no JSON object: %v\n%s", err, j.stdout)
	}
	if got.Report == nil || got.Version != 1 || got.State != "draft" || !got.Complete || got.StudentsShort == 0 || len(got.Remedies) == 0 {
		t.Fatalf("triage of version 1: %+v, want a complete report with remedies", got)
	}
	// The run and the triage solve at the same seed and effort (the tests'
	// WEEKPLAN_EFFORT is triage's default): the reference is the version.
	if got.Seed != 1 || got.ReferenceShortfallMinutes != got.BaseShortfallMinutes {
		t.Errorf("seed %d, reference short %d, version short %d: want the run's seed 1 and the same shortfall",
			got.Seed, got.ReferenceShortfallMinutes, got.BaseShortfallMinutes)
	}
	for _, r := range got.Remedies {
		if r.Recovered <= 0 || len(r.Students) == 0 || r.Description == "" {
			t.Errorf("remedy %+v: want minutes recovered, students helped and a description", r)
		}
	}

	// The text form of the same triage, on the two candidates of highest
	// estimate (fewer re-solves; the same ones as in the JSON run below).
	txt := weekplan(t, env, "triage", "--school", school, "--week", week, "--candidates", "2")
	if txt.code != exitOK {
		t.Fatalf("triage: exit %d, stderr %s", txt.code, txt.stderr)
	}
	two := weekplan(t, env, "triage", "--school", school, "--week", week, "--candidates", "2", "--json")
	var gotTwo triageOutput
	if err := json.Unmarshal([]byte(two.stdout), &gotTwo); err != nil || gotTwo.Report == nil || len(gotTwo.Remedies) == 0 {
		t.Fatalf("triage --candidates 2 --json: %v\n%s", err, two.stdout)
	}
	first := gotTwo.Remedies[0]
	for _, want := range []string{
		"Triage of " + school + " week " + week + ", version 1 (draft)",
		"CHANGE", "MINUTES RECOVERED", "STUDENTS HELPED",
		first.Description, strconv.Itoa(first.Recovered), strings.Join(first.Students, " "),
		"verified by re-solving",
	} {
		if !strings.Contains(txt.stdout, want) {
			t.Errorf("triage output lacks %q:\n%s", want, txt.stdout)
		}
	}
	// Logs carry counts, never which students are short (they are the IEP
	// students), nor names.
	if !strings.Contains(txt.stderr, `"message":"triaged"`) {
		t.Errorf("no triage log line: %s", txt.stderr)
	}
	for _, st := range inst.Students {
		if strings.Contains(txt.stderr, `"`+st.ID+`"`) || st.Name != "" && strings.Contains(txt.stderr+txt.stdout, st.Name) {
			t.Errorf("triage log or output names student %s", st.ID)
		}
	}

	// A time limit that ends the triage at once prints what was verified.
	cut := weekplan(t, env, "triage", "--school", school, "--week", week, "--time-limit", "1ns")
	if cut.code != exitOK || !strings.Contains(cut.stdout, "Stopped at the time limit") {
		t.Errorf("triage --time-limit 1ns: exit %d, stdout %q, stderr %s", cut.code, cut.stdout, cut.stderr)
	}
	capped := weekplan(t, env, "triage", "--school", school, "--week", week, "--candidates", "1", "--json")
	var one triageOutput
	if err := json.Unmarshal([]byte(capped.stdout), &one); err != nil || one.Report == nil || one.Examined != 1 || one.Candidates != got.Candidates {
		t.Errorf("triage --candidates 1: %+v (error %v), want 1 of %d examined", one.Report, err, got.Candidates)
	}

	// The report of the version has the triage section with the same changes.
	dir := filepath.Join(t.TempDir(), "report")
	if r := weekplan(t, env, "report", "--school", school, "--week", week, "--out", dir); r.code != exitOK {
		t.Fatalf("report: exit %d, stderr %s", r.code, r.stderr)
	}
	page := readFile(t, filepath.Join(dir, "index.html"))
	for _, want := range []string{"Triage: changes that would meet the IEP minutes", "<th>change</th>", "minutes recovered", "students helped"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, r := range got.Remedies {
		row := "<td class=\"n\">" + strconv.Itoa(r.Recovered) + "</td><td class=\"id\">" + strings.Join(r.Students, " ") + "</td>"
		if !strings.Contains(page, row) {
			t.Errorf("report lacks the row of %q (%s)", r.Description, row)
		}
	}
}

// TestTriageWithoutShortfall: a week whose minimums are all met has nothing
// to triage, and its report has no triage section.
func TestTriageWithoutShortfall(t *testing.T) {
	t.Parallel()
	env, inst, _ := adminWeek(t) // no student of this school has minimum minutes
	school, week := inst.School.ID, inst.WeekStart
	r := weekplan(t, env, "triage", "--school", school, "--week", week)
	if r.code != exitOK || !strings.Contains(r.stdout, "nothing to triage") {
		t.Errorf("triage: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	dir := filepath.Join(t.TempDir(), "report")
	if r := weekplan(t, env, "report", "--school", school, "--week", week, "--out", dir); r.code != exitOK {
		t.Fatalf("report: exit %d, stderr %s", r.code, r.stderr)
	}
	if page := readFile(t, filepath.Join(dir, "index.html")); strings.Contains(page, `id="triage"`) {
		t.Error("the report of a week without shortfalls has a triage section")
	}
	if r := weekplan(t, env, "triage", "--school", school, "--week", week, "--version", "9"); r.code == exitOK {
		t.Errorf("triage of a missing version: exit 0, stdout %q", r.stdout)
	}
}

func TestTriageUsageErrors(t *testing.T) {
	sw := []string{"--school", "x", "--week", "2026-11-30"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no school", []string{"triage", "--week", "2026-11-30"}, "missing --school (see 'weekplan triage -h')"},
		{"bad week", []string{"triage", "--school", "x", "--week", "soon"}, `--week "soon" is not a date`},
		{"negative version", append([]string{"triage", "--version", "-1"}, sw...), "--version must be positive"},
		{"no candidates", append([]string{"triage", "--candidates", "0"}, sw...), "--candidates must be at least 1"},
		{"negative time limit", append([]string{"triage", "--time-limit", "-1s"}, sw...), "--time-limit must not be negative"},
		{"stray argument", append([]string{"triage", "now"}, sw...), `unexpected argument "now"`},
		{"no database", append([]string{"triage"}, sw...), "DATABASE_URL is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := weekplan(t, map[string]string{}, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
	if r := weekplan(t, nil, "triage", "-h"); r.code != exitOK || !strings.Contains(r.stderr, "candidates") {
		t.Errorf("triage -h: exit %d, stderr %q", r.code, r.stderr)
	}
}
