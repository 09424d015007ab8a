package main

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// shortWeek imports tiny-30, which cannot meet every IEP minute, and runs
// it: version 1 has shortfalls.
func shortWeek(t *testing.T, env map[string]string, db *loader.DB) (*solver.Instance, []string, *solver.Schedule) {
	t.Helper()
	inst, err := fixtures.Bench("tiny-30-seed101")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Import(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	sw := []string{"--school", inst.School.ID, "--week", inst.WeekStart}
	if r := weekplan(t, env, append([]string{"run"}, sw...)...); r.code != exitIncomplete {
		t.Fatalf("run: exit %d, want %d (shortfalls)\n%s", r.code, exitIncomplete, r.stderr)
	}
	sched, _, err := db.Schedule(context.Background(), inst.School.ID, inst.WeekStart, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sched.Shortfalls) == 0 {
		t.Fatal("tiny-30's version 1 has no shortfall; the test needs one")
	}
	return inst, sw, sched
}

// historyRows runs history --json and decodes its lines.
func historyRows(t *testing.T, env map[string]string, sw []string) []historyRow {
	t.Helper()
	r := weekplan(t, env, append([]string{"history", "--json"}, sw...)...)
	if r.code != exitOK {
		t.Fatalf("history --json: exit %d, stderr %q", r.code, r.stderr)
	}
	var rows []historyRow
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row historyRow
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("history --json line %q: %v", line, err)
		}
		rows = append(rows, row)
	}
	return rows
}

// historyAck returns the ACKNOWLEDGED column of each version in history's
// table.
func historyAck(t *testing.T, env map[string]string, sw []string) []string {
	t.Helper()
	r := weekplan(t, env, append([]string{"history"}, sw...)...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || !strings.HasSuffix(lines[0], "ACKNOWLEDGED") {
		t.Fatalf("history: exit %d, stdout %q", r.code, r.stdout)
	}
	var out []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		out = append(out, f[len(f)-1])
	}
	return out
}

// TestAcknowledgeThenPublish: acknowledging a version's shortfalls stores who,
// when and why per shortfall, and lets publish pass without the flag; a new
// version needs its own acknowledgement; a publish with
// --acknowledge-shortfalls that fails its checks writes none.
func TestAcknowledgeThenPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	inst, sw, sched := shortWeek(t, env, db)
	school, week := inst.School.ID, inst.WeekStart
	acksOf := func(version int) []loader.ShortfallAcknowledgement {
		t.Helper()
		acks, err := db.Acknowledgements(ctx, school, week, version)
		if err != nil {
			t.Fatal(err)
		}
		return acks
	}
	states := func() []string {
		t.Helper()
		hist, err := db.History(ctx, school, week)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hist {
			out = append(out, h.State)
		}
		return out
	}

	r := weekplan(t, env, append([]string{"publish"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "not acknowledged") ||
		!strings.Contains(r.stderr, "weekplan acknowledge --school "+school+" --week "+week+" --version 1 --by NAME") {
		t.Fatalf("publish of unacknowledged shortfalls: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := historyAck(t, env, sw); !reflect.DeepEqual(got, []string{"no"}) {
		t.Errorf("history before acknowledging: ACKNOWLEDGED %v, want [no]", got)
	}

	note := "IEP team met 2026-11-26; make-up tutoring agreed"
	r = weekplan(t, env, append([]string{"acknowledge", "--by", "Pat Admin", "--note", note}, sw...)...)
	want := fmt.Sprintf("acknowledged %d shortfall(s) of %s week %s version 1\n", len(sched.Shortfalls), school, week)
	if r.code != exitOK || r.stdout != want {
		t.Fatalf("acknowledge: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	acks := acksOf(1)
	if len(acks) != len(sched.Shortfalls) {
		t.Fatalf("%d acknowledgement(s) stored, want one per shortfall (%d)", len(acks), len(sched.Shortfalls))
	}
	minutes := map[[2]string]int{}
	for _, f := range sched.Shortfalls {
		minutes[[2]string{f.Student, string(f.Mode)}] = f.Minutes
	}
	for _, a := range acks {
		if a.By != "Pat Admin" || a.Note != note || a.Minutes != minutes[[2]string{a.Student, string(a.Mode)}] || a.At.IsZero() {
			t.Errorf("stored acknowledgement %+v; want by Pat Admin, the note, the shortfall's minutes and a time", a)
		}
	}

	// Again: nothing new, the first acknowledgement stays.
	r = weekplan(t, env, append([]string{"acknowledge", "--by", "Someone Else"}, sw...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "were already acknowledged") {
		t.Errorf("second acknowledge: exit %d, stdout %q", r.code, r.stdout)
	}
	if again := acksOf(1); !reflect.DeepEqual(again, acks) {
		t.Errorf("a second acknowledge changed the first:\ngot  %+v\nwant %+v", again, acks)
	}
	rows := historyRows(t, env, sw)
	if row := rows[0]; row.Shortfalls != len(sched.Shortfalls) || row.AcknowledgedShortfalls != row.Shortfalls ||
		!reflect.DeepEqual(row.AcknowledgedBy, []string{"Pat Admin"}) {
		t.Errorf("history --json of version 1: %+v; want every shortfall acknowledged by Pat Admin", row)
	}

	// Acknowledged in the database: publish passes without the flag.
	r = weekplan(t, env, append([]string{"publish"}, sw...)...)
	if r.code != exitOK || r.stdout != fmt.Sprintf("published %s week %s version 1\n", school, week) {
		t.Fatalf("publish of an acknowledged version: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf(`"acknowledged_before":%d`, len(sched.Shortfalls))) || !strings.Contains(r.stderr, `"accepted":"shortfalls acknowledged before"`) {
		t.Errorf("the publish log does not say the shortfalls were acknowledged before: %s", r.stderr)
	}

	// A new version (the same schedule) needs its own acknowledgement.
	if r := weekplan(t, env, append([]string{"run", "--force"}, sw...)...); r.code != exitIncomplete {
		t.Fatalf("run --force: exit %d\n%s", r.code, r.stderr)
	}
	r = weekplan(t, env, append([]string{"publish", "--version", "2"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "version 2 leaves") {
		t.Fatalf("publish of version 2 on version 1's acknowledgement: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := historyAck(t, env, sw); !reflect.DeepEqual(got, []string{"yes", "no"}) {
		t.Errorf("history: ACKNOWLEDGED %v, want [yes no]", got)
	}

	// A publish that fails its checks writes no acknowledgement: version 2
	// is invalid against a week re-imported with its first session's
	// teacher out in that slot.
	first := sched.Sessions[0]
	changed, _ := fixtures.Bench("tiny-30-seed101")
	changed.Pins = nil // a pin might name the teacher in that slot
	for i := range changed.Teachers {
		if changed.Teachers[i].ID == first.Teacher {
			changed.Teachers[i].Unavailable = append(changed.Teachers[i].Unavailable, first.Slot)
		}
	}
	if err := db.Import(ctx, changed); err != nil {
		t.Fatal(err)
	}
	r = weekplan(t, env, append([]string{"publish", "--version", "2", "--acknowledge-shortfalls", "--by", "Lee Admin"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "breaks") {
		t.Fatalf("publish of a version invalid against the week: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := acksOf(2); len(got) != 0 {
		t.Errorf("a refused publish wrote %d acknowledgement(s)", len(got))
	}
	if got := states(); !reflect.DeepEqual(got, []string{"published", "draft"}) {
		t.Errorf("states after a refused publish: %v, want [published draft]", got)
	}

	// The week as it was: acknowledged and published in one go.
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	r = weekplan(t, env, append([]string{"publish", "--version", "2", "--acknowledge-shortfalls", "--by", "Lee Admin", "--note", "same as version 1"}, sw...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, fmt.Sprintf("acknowledged %d shortfall(s)", len(sched.Shortfalls))) {
		t.Fatalf("publish --acknowledge-shortfalls: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := states(); !reflect.DeepEqual(got, []string{"draft", "published"}) {
		t.Errorf("states: %v, want [draft published]", got)
	}
	for _, a := range acksOf(2) {
		if a.By != "Lee Admin" || a.Note != "same as version 1" {
			t.Errorf("version 2 acknowledgement %+v; want by Lee Admin with the note", a)
		}
	}
	if got := acksOf(1); !reflect.DeepEqual(got, acks) {
		t.Errorf("version 1's acknowledgements changed: %+v", got)
	}
	rows = historyRows(t, env, sw)
	if !reflect.DeepEqual(rows[0].AcknowledgedBy, []string{"Pat Admin"}) || !reflect.DeepEqual(rows[1].AcknowledgedBy, []string{"Lee Admin"}) {
		t.Errorf("history --json acknowledged_by: %v, %v; want [Pat Admin], [Lee Admin]", rows[0].AcknowledgedBy, rows[1].AcknowledgedBy)
	}

	// The report of version 2 shows the acknowledgement in the IEP ledger.
	dir := t.TempDir()
	if r := weekplan(t, env, append([]string{"report", "--version", "2", "--out", dir}, sw...)...); r.code != exitOK {
		t.Fatalf("report: exit %d, stderr %q", r.code, r.stderr)
	}
	page := readFile(t, dir+"/index.html")
	if !strings.Contains(page, "Every shortfall is acknowledged") || !strings.Contains(page, "by Lee Admin, ") || !strings.Contains(page, "same as version 1") {
		t.Errorf("the report does not show version 2's acknowledgements")
	}
}

// TestAcknowledgeNoShortfall: a version without shortfall has nothing to
// acknowledge; the command says so and writes nothing.
func TestAcknowledgeNoShortfall(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	inst, err := fixtures.Demo()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Import(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	sw := []string{"--school", inst.School.ID, "--week", inst.WeekStart}
	r := weekplan(t, env, append([]string{"acknowledge", "--by", "Pat"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "has no schedule; run it first") {
		t.Errorf("acknowledge before any run: exit %d, stderr %q", r.code, r.stderr)
	}
	weekplan(t, env, append([]string{"run"}, sw...)...)
	sched, _, err := db.Schedule(context.Background(), inst.School.ID, inst.WeekStart, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sched.Shortfalls) != 0 {
		t.Fatalf("the demo's version 1 has %d shortfall(s); the test needs none", len(sched.Shortfalls))
	}
	r = weekplan(t, env, append([]string{"acknowledge", "--by", "Pat"}, sw...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "has no shortfall: nothing to acknowledge") {
		t.Errorf("acknowledge without shortfalls: exit %d, stdout %q", r.code, r.stdout)
	}
	if got := historyAck(t, env, sw); !reflect.DeepEqual(got, []string{"-"}) {
		t.Errorf("history: ACKNOWLEDGED %v, want [-]", got)
	}
	r = weekplan(t, env, append([]string{"acknowledge", "--version", "5", "--by", "Pat"}, sw...)...)
	if r.code == exitOK || !strings.Contains(r.stderr, "version 5") || !strings.Contains(r.stderr, "not found") {
		t.Errorf("acknowledge of an unknown version: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestAcknowledgeUsage: missing or bad --by and --note are usage errors with
// a hint, before anything is read or written.
func TestAcknowledgeUsage(t *testing.T) {
	t.Parallel()
	sw := []string{"--school", "x", "--week", "2026-11-30"}
	with := func(args ...string) []string { return append(args, sw...) }
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"acknowledge without --by", with("acknowledge"), []string{"missing --by NAME", "(see 'weekplan acknowledge -h')"}},
		{"acknowledge with a blank --by", with("acknowledge", "--by", "  "), []string{"missing --by NAME"}},
		{"acknowledge with only a note", with("acknowledge", "--note", "fine"), []string{"missing --by NAME"}},
		{"control character in --by", with("acknowledge", "--by", "Pat\x1b[2J"), []string{"control character", "(see 'weekplan acknowledge -h')"}},
		{"long --by", with("acknowledge", "--by", strings.Repeat("P", loader.MaxAckByLen+1)), []string{"longer than 100 characters"}},
		{"long --note", with("acknowledge", "--by", "Pat", "--note", strings.Repeat("n", loader.MaxAckNoteLen+1)), []string{"longer than 1000 characters"}},
		{"negative version", with("acknowledge", "--by", "Pat", "--version", "-1"), []string{"--version must be positive"}},
		{"no school", []string{"acknowledge", "--by", "Pat", "--week", "2026-11-30"}, []string{"missing --school"}},
		{"publish --acknowledge-shortfalls without --by", with("publish", "--acknowledge-shortfalls"),
			[]string{"--acknowledge-shortfalls needs --by NAME", "(see 'weekplan publish -h')"}},
		{"publish --by without --acknowledge-shortfalls", with("publish", "--by", "Pat"), []string{"--by and --note go with --acknowledge-shortfalls"}},
		{"publish --note without --acknowledge-shortfalls", with("publish", "--note", "ok"), []string{"--by and --note go with --acknowledge-shortfalls"}},
		{"publish with a long note", with("publish", "--acknowledge-shortfalls", "--by", "Pat", "--note", strings.Repeat("n", loader.MaxAckNoteLen+1)),
			[]string{"longer than 1000 characters", "(see 'weekplan publish -h')"}},
	}
	for _, tt := range tests {
		// No DATABASE_URL: a usage error comes before any connection.
		r := weekplan(t, map[string]string{}, tt.args...)
		if r.code != exitUsage {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tt.name, r.code, exitUsage, r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q, want it to contain %q", tt.name, r.stderr, w)
			}
		}
	}
}

// TestAcknowledgeLogsIdsAndCounts: the log lines of acknowledge and of
// publish --acknowledge-shortfalls carry ids and counts, never the name or
// the note (which may name a student).
func TestAcknowledgeLogsIdsAndCounts(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
	inst, sw, sched := shortWeek(t, env, db)
	by, note := "Pat Q. Adminperson", "spoke with the family of "+inst.Students[0].Name
	logs := weekplan(t, env, append([]string{"acknowledge", "--by", by, "--note", note}, sw...)...)
	if logs.code != exitOK {
		t.Fatalf("acknowledge: exit %d, stderr %q", logs.code, logs.stderr)
	}
	if r := weekplan(t, env, append([]string{"run", "--force"}, sw...)...); r.code != exitIncomplete {
		t.Fatalf("run --force: exit %d\n%s", r.code, r.stderr)
	}
	pub := weekplan(t, env, append([]string{"publish", "--acknowledge-shortfalls", "--by", by, "--note", note}, sw...)...)
	if pub.code != exitOK {
		t.Fatalf("publish: exit %d, stderr %q", pub.code, pub.stderr)
	}
	rep := weekplan(t, env, append([]string{"report", "--out", t.TempDir()}, sw...)...)
	for _, r := range []result{logs, pub, rep} {
		for _, secret := range []string{by, "Adminperson", note, inst.Students[0].Name} {
			if strings.Contains(r.stderr, secret) {
				t.Errorf("a log line carries %q:\n%s", secret, r.stderr)
			}
		}
	}
	n := len(sched.Shortfalls)
	for _, want := range []struct {
		r      result
		fields []string
	}{
		{logs, []string{`"message":"shortfalls acknowledged"`, `"version":1`, fmt.Sprintf(`"shortfalls":%d`, n), fmt.Sprintf(`"acknowledged_now":%d`, n)}},
		{pub, []string{`"message":"published"`, `"version":2`, fmt.Sprintf(`"acknowledged_now":%d`, n), `"acknowledged_before":0`}},
		{rep, []string{`"message":"report written"`, fmt.Sprintf(`"acknowledged":%d`, n)}},
	} {
		for _, f := range want.fields {
			if !strings.Contains(want.r.stderr, f) {
				t.Errorf("log lacks %s:\n%s", f, want.r.stderr)
			}
		}
	}
}
