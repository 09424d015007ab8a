package main

import (
	"context"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader/loadertest"
)

// TestPublishChecks: a version with IEP shortfalls is published only when
// they are acknowledged, and a version that moves more student-slots than
// --max-churn against the published one is refused.
func TestPublishChecks(t *testing.T) {
	db, url := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	ctx := context.Background()
	// tiny-30 cannot meet every IEP minute: its proven optimum is negative.
	inst, err := fixtures.Bench("tiny-30-seed101")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	sw := []string{"--school", inst.School.ID, "--week", inst.WeekStart}
	if r := weekplan(t, env, append([]string{"run"}, sw...)...); r.code != exitIncomplete {
		t.Fatalf("run: exit %d, want %d (shortfalls)\n%s", r.code, exitIncomplete, r.stderr)
	}
	r := weekplan(t, env, append([]string{"publish"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--acknowledge-shortfalls") {
		t.Fatalf("publish with unacknowledged shortfalls: exit %d, stderr %q", r.code, r.stderr)
	}
	if v, _ := db.History(ctx, inst.School.ID, inst.WeekStart); v[0].State != "draft" {
		t.Fatalf("a refused publish changed the state to %s", v[0].State)
	}
	if r := weekplan(t, env, append([]string{"publish", "--acknowledge-shortfalls", "--by", "Pat Admin"}, sw...)...); r.code != exitOK {
		t.Fatalf("acknowledged publish: exit %d, stderr %q", r.code, r.stderr)
	}

	// A teacher out for the slots of its first sessions moves students.
	sched, _, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range sched.Sessions {
		if s.Teacher == inst.Teachers[0].ID && len(out) < 3 {
			out[s.Slot] = true
		}
	}
	for slot := range out {
		inst.Teachers[0].Unavailable = append(inst.Teachers[0].Unavailable, slot)
	}
	inst.Pins = nil // the pins might name the teacher in those slots
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	weekplan(t, env, append([]string{"run"}, sw...)...)
	r = weekplan(t, env, append([]string{"publish", "--version", "2", "--acknowledge-shortfalls", "--by", "Pat Admin", "--max-churn", "0"}, sw...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "above --max-churn 0") {
		t.Fatalf("publish over the churn limit: exit %d, stderr %q", r.code, r.stderr)
	}
	if acks, err := db.Acknowledgements(ctx, inst.School.ID, inst.WeekStart, 2); err != nil || len(acks) != 0 {
		t.Fatalf("a publish refused over churn wrote acknowledgements: %+v, %v", acks, err)
	}
	if r := weekplan(t, env, append([]string{"publish", "--version", "2", "--acknowledge-shortfalls", "--by", "Pat Admin", "--max-churn", "100000"}, sw...)...); r.code != exitOK {
		t.Fatalf("publish within the churn limit: exit %d, stderr %q", r.code, r.stderr)
	}
	v, _ := db.History(ctx, inst.School.ID, inst.WeekStart)
	if v[0].State != "draft" || v[1].State != "published" {
		t.Errorf("states %s, %s; want draft, published", v[0].State, v[1].State)
	}
}
