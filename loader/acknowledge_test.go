package loader_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

// savedVersions imports tiny-30 and saves independentSchedule (two
// shortfalls) as n versions.
func savedVersions(t *testing.T, n int) (*loader.DB, *solver.Instance, *solver.Schedule) {
	t.Helper()
	db, inst := importBench(t, "tiny-30-seed101.json")
	sched := independentSchedule(inst)
	for i := range n {
		meta := loader.RunMeta{InputHash: loader.InputHash(inst), Seed: 1, Force: i > 0}
		if _, err := db.SaveSchedule(context.Background(), inst.School.ID, inst.WeekStart, sched, meta); err != nil {
			t.Fatal(err)
		}
	}
	return db, inst, sched
}

// ackCount returns the number of stored acknowledgements.
func ackCount(t *testing.T, db *loader.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM shortfall_acknowledgements`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAcknowledge: every shortfall of the version is acknowledged once, with
// who, when and why; acknowledging again keeps the first acknowledgement;
// another version is untouched; history counts them per version.
func TestAcknowledge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst, sched := savedVersions(t, 2)
	school, week := inst.School.ID, inst.WeekStart

	if got, err := db.Acknowledgements(ctx, school, week, 1); err != nil || len(got) != 0 {
		t.Fatalf("before acknowledging: got %v, %v; want none", got, err)
	}
	before := time.Now()
	res, err := db.Acknowledge(ctx, school, week, 1, loader.Acknowledgement{By: "  Pat Admin ", Note: "IEP team agreed:\nmake-up sessions next week"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (loader.AckResult{Shortfalls: 2, Written: 2}); res != want {
		t.Errorf("Acknowledge: got %+v, want %+v", res, want)
	}
	acks, err := db.Acknowledgements(ctx, school, week, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]int{}
	for _, f := range sched.Shortfalls {
		want[[2]string{f.Student, string(f.Mode)}] = f.Minutes
	}
	if len(acks) != len(want) {
		t.Fatalf("got %d acknowledgements, want %d: %+v", len(acks), len(want), acks)
	}
	for _, a := range acks {
		if m, ok := want[[2]string{a.Student, string(a.Mode)}]; !ok || m != a.Minutes {
			t.Errorf("acknowledgement of %s %s for %d minutes: the version has no such shortfall", a.Student, a.Mode, a.Minutes)
		}
		if a.By != "Pat Admin" || a.Note != "IEP team agreed:\nmake-up sessions next week" {
			t.Errorf("acknowledgement by %q note %q; want the trimmed by and note", a.By, a.Note)
		}
		if a.At.Before(before.Add(-time.Minute)) || a.At.After(time.Now().Add(time.Minute)) {
			t.Errorf("acknowledged at %v, want about now", a.At)
		}
	}
	if acks[0].Student > acks[1].Student {
		t.Errorf("acknowledgements not ordered by student: %s, %s", acks[0].Student, acks[1].Student)
	}

	// Again, by someone else: nothing new, the first acknowledgement stays.
	res, err = db.Acknowledge(ctx, school, week, 1, loader.Acknowledgement{By: "Someone Else"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (loader.AckResult{Shortfalls: 2, Written: 0}); res != want {
		t.Errorf("second Acknowledge: got %+v, want %+v", res, want)
	}
	again, _ := db.Acknowledgements(ctx, school, week, 1)
	if !reflect.DeepEqual(again, acks) {
		t.Errorf("a second acknowledgement changed the first:\ngot  %+v\nwant %+v", again, acks)
	}

	// Per version: version 2 (the same schedule) is not acknowledged.
	if got, _ := db.Acknowledgements(ctx, school, week, 2); len(got) != 0 {
		t.Errorf("version 2 has acknowledgements: %+v", got)
	}
	hist, err := db.History(ctx, school, week)
	if err != nil {
		t.Fatal(err)
	}
	type ackInfo struct {
		shortfalls, acknowledged int
		by                       []string
		all                      bool
	}
	gotInfo := []ackInfo{}
	for _, h := range hist {
		gotInfo = append(gotInfo, ackInfo{h.Shortfalls, h.Acknowledged, h.AcknowledgedBy, h.ShortfallsAcknowledged()})
	}
	wantInfo := []ackInfo{{2, 2, []string{"Pat Admin"}, true}, {2, 0, []string{}, false}}
	if !reflect.DeepEqual(gotInfo, wantInfo) {
		t.Errorf("History acknowledgements: got %+v, want %+v", gotInfo, wantInfo)
	}
	if _, info, err := db.Schedule(ctx, school, week, 1); err != nil || info.Acknowledged != 2 {
		t.Errorf("Schedule(1) info: %+v, %v; want 2 acknowledged", info, err)
	}

	// The audit view names school, week and version, with the reason.
	var n int
	err = db.SQL().QueryRow(`SELECT count(*) FROM shortfall_acknowledgement_log
		WHERE school_id = $1 AND week_start = $2 AND version = 1 AND acknowledged_by = 'Pat Admin' AND reason <> ''`,
		school, week).Scan(&n)
	if err != nil || n != 2 {
		t.Errorf("shortfall_acknowledgement_log: %d rows of version 1 (%v), want 2", n, err)
	}
}

// TestAcknowledgeRejected: an invalid acknowledgement or an unknown version
// writes nothing.
func TestAcknowledgeRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst, _ := savedVersions(t, 1)
	school, week := inst.School.ID, inst.WeekStart
	tests := []struct {
		name    string
		week    string
		version int
		ack     loader.Acknowledgement
		want    error
		text    string
	}{
		{"no by", week, 1, loader.Acknowledgement{Note: "fine"}, loader.ErrInvalidAcknowledgement, "by) is required"},
		{"blank by", week, 1, loader.Acknowledgement{By: " \t "}, loader.ErrInvalidAcknowledgement, "by) is required"},
		{"control character in by", week, 1, loader.Acknowledgement{By: "Pat\x1b[31m"}, loader.ErrInvalidAcknowledgement, "control character"},
		{"long by", week, 1, loader.Acknowledgement{By: strings.Repeat("x", loader.MaxAckByLen+1)}, loader.ErrInvalidAcknowledgement, "longer than 100"},
		{"NUL in note", week, 1, loader.Acknowledgement{By: "Pat", Note: "a\x00b"}, loader.ErrInvalidAcknowledgement, "control character"},
		{"long note", week, 1, loader.Acknowledgement{By: "Pat", Note: strings.Repeat("é", loader.MaxAckNoteLen+1)}, loader.ErrInvalidAcknowledgement, "longer than 1000"},
		{"both wrong", week, 1, loader.Acknowledgement{Note: "a\x07"}, loader.ErrInvalidAcknowledgement, "is required; note holds"},
		{"unknown version", week, 9, loader.Acknowledgement{By: "Pat"}, loader.ErrNotFound, "version 9"},
		{"unknown week", "2031-01-06", 1, loader.Acknowledgement{By: "Pat"}, loader.ErrNotFound, "week"},
	}
	for _, tt := range tests {
		_, err := db.Acknowledge(ctx, school, tt.week, tt.version, tt.ack)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: got %v, want an error wrapping %v that says %q", tt.name, err, tt.want, tt.text)
		}
		if tt.want == loader.ErrInvalidAcknowledgement && !errors.Is(tt.ack.Validate(), loader.ErrInvalidAcknowledgement) {
			t.Errorf("%s: Validate accepts what Acknowledge refuses", tt.name)
		}
		if n := ackCount(t, db); n != 0 {
			t.Fatalf("%s: %d acknowledgement(s) written", tt.name, n)
		}
	}
	// At the limits exactly: accepted.
	ok := loader.Acknowledgement{By: strings.Repeat("é", loader.MaxAckByLen), Note: strings.Repeat("x", loader.MaxAckNoteLen-1) + "\t"}
	if err := ok.Validate(); err != nil {
		t.Errorf("an acknowledgement at the limits: %v", err)
	}
	if _, err := db.Acknowledge(ctx, school, week, 1, ok); err != nil {
		t.Errorf("an acknowledgement at the limits: %v", err)
	}
}

// TestPublishAcknowledged: the acknowledgements and the publish are written
// together or not at all.
func TestPublishAcknowledged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst, _ := savedVersions(t, 3)
	school, week := inst.School.ID, inst.WeekStart
	state := func(version int) string {
		t.Helper()
		hist, err := db.History(ctx, school, week)
		if err != nil {
			t.Fatal(err)
		}
		return hist[version-1].State
	}

	res, err := db.PublishAcknowledged(ctx, school, week, 1, loader.Acknowledgement{By: "Pat Admin", Note: "agreed"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (loader.AckResult{Shortfalls: 2, Written: 2}); res != want || state(1) != loader.StatePublished {
		t.Errorf("PublishAcknowledged: got %+v, state %s; want %+v, published", res, state(1), want)
	}

	// An invalid acknowledgement: nothing acknowledged, nothing published.
	if _, err := db.PublishAcknowledged(ctx, school, week, 2, loader.Acknowledgement{}); !errors.Is(err, loader.ErrInvalidAcknowledgement) {
		t.Errorf("no by: got %v, want ErrInvalidAcknowledgement", err)
	}
	// An unknown version: the same.
	if _, err := db.PublishAcknowledged(ctx, school, week, 7, loader.Acknowledgement{By: "Pat"}); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("unknown version: got %v, want ErrNotFound", err)
	}
	// The publish fails after the acknowledgements are written (a trigger
	// refuses it): they are rolled back with it.
	mustExec(t, db.SQL(), `CREATE FUNCTION refuse_publish() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE EXCEPTION 'publishing refused by the test'; END $$`)
	mustExec(t, db.SQL(), `CREATE TRIGGER refuse_publish BEFORE UPDATE ON schedule_versions
		FOR EACH ROW WHEN (NEW.state = 'published') EXECUTE FUNCTION refuse_publish()`)
	if _, err := db.PublishAcknowledged(ctx, school, week, 2, loader.Acknowledgement{By: "Pat"}); err == nil || !strings.Contains(err.Error(), "refused by the test") {
		t.Errorf("publish refused by the trigger: got %v", err)
	}
	mustExec(t, db.SQL(), `DROP TRIGGER refuse_publish ON schedule_versions`)
	if n := ackCount(t, db); n != 2 || state(1) != loader.StatePublished || state(2) != loader.StateDraft {
		t.Errorf("after the failed publishes: %d acknowledgements, states %s, %s; want 2 (version 1's), published, draft", n, state(1), state(2))
	}

	// Acknowledged before, published without acknowledging: Publish keeps
	// the acknowledgement as it was.
	if _, err := db.Acknowledge(ctx, school, week, 3, loader.Acknowledgement{By: "Lee Admin"}); err != nil {
		t.Fatal(err)
	}
	res, err = db.PublishAcknowledged(ctx, school, week, 3, loader.Acknowledgement{By: "Pat Admin"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (loader.AckResult{Shortfalls: 2, Written: 0}); res != want || state(3) != loader.StatePublished || state(1) != loader.StateDraft {
		t.Errorf("PublishAcknowledged of an acknowledged version: got %+v, states %s, %s", res, state(1), state(3))
	}
	acks, _ := db.Acknowledgements(ctx, school, week, 3)
	for _, a := range acks {
		if a.By != "Lee Admin" {
			t.Errorf("version 3's acknowledgement is by %q, want the first, Lee Admin", a.By)
		}
	}
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestAcknowledgementsAppendOnly: the schema refuses to change or remove an
// acknowledgement, to acknowledge a shortfall the version does not have, and
// to delete an acknowledged version.
func TestAcknowledgementsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, inst, sched := savedVersions(t, 2)
	if _, err := db.Acknowledge(ctx, inst.School.ID, inst.WeekStart, 1, loader.Acknowledgement{By: "Pat"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		code  pq.ErrorCode // "" for the audit-trail trigger
	}{
		{"update", `UPDATE shortfall_acknowledgements SET acknowledged_by = 'Mallory'`, ""},
		{"delete", `DELETE FROM shortfall_acknowledgements`, ""},
		{"truncate", `TRUNCATE shortfall_acknowledgements`, ""},
		{"delete the version", `DELETE FROM schedule_versions`, "23503"},
		{"delete the shortfalls", `DELETE FROM shortfalls`, "23503"},
		// Version 2 has no acknowledgement yet.
		{"unknown shortfall", `INSERT INTO shortfall_acknowledgements (version_id, student_id, mode, minutes, acknowledged_by)
			SELECT max(id), 'no-such-student', 'tutoring', 45, 'Pat' FROM schedule_versions`, "23503"},
		{"wrong minutes", `INSERT INTO shortfall_acknowledgements (version_id, student_id, mode, minutes, acknowledged_by)
			SELECT version_id, student_id, mode, minutes + 1, 'Pat' FROM shortfalls
			WHERE version_id = (SELECT max(id) FROM schedule_versions)`, "23503"},
		{"blank by", `INSERT INTO shortfall_acknowledgements (version_id, student_id, mode, minutes, acknowledged_by)
			VALUES (1, 'x', 'tutoring', 1, '  ')`, "23514"},
	}
	for _, tt := range tests {
		_, err := db.SQL().ExecContext(ctx, tt.query)
		var pqErr *pq.Error
		switch {
		case !errors.As(err, &pqErr):
			t.Errorf("%s: got %v, want refused", tt.name, err)
		case tt.code == "" && !strings.Contains(pqErr.Message, "audit trail"):
			t.Errorf("%s: got %v, want the audit-trail refusal", tt.name, err)
		case tt.code != "" && !strings.HasPrefix(string(pqErr.Code), string(tt.code)):
			t.Errorf("%s: got %v (%s), want code %s", tt.name, err, pqErr.Code, tt.code)
		}
	}
	acks, err := db.Acknowledgements(ctx, inst.School.ID, inst.WeekStart, 1)
	if err != nil || len(acks) != len(sched.Shortfalls) || ackCount(t, db) != len(sched.Shortfalls) {
		t.Fatalf("acknowledgements after the refusals: %+v, %v", acks, err)
	}
	for _, a := range acks {
		if a.By != "Pat" {
			t.Errorf("acknowledgement by %q, want Pat", a.By)
		}
	}
}

// schemaFingerprint describes the public schema — columns, constraints,
// indexes, triggers, views, functions, domains — without the migrator's own
// table, one sorted line per object.
func schemaFingerprint(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'weekplan_migrations'
		UNION ALL
		SELECT 'constraint ' || coalesce(nullif(conrelid, 0)::regclass::text, contypid::regtype::text) || ' ' || conname || ' ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace
			AND (conrelid = 0 OR conrelid::regclass::text <> 'weekplan_migrations')
		UNION ALL
		SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'weekplan_migrations'
		UNION ALL
		SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
		UNION ALL
		SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'
		UNION ALL
		SELECT 'function ' || oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
		UNION ALL
		SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype IN ('d', 'e')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrationsRoundTrip: every migration's down file restores exactly the
// schema of the migrations before it, and Migrate brings the schema back.
// Reverting 0003 keeps the week's versions and shortfalls; their
// acknowledgements are gone after it, and can be given again.
func TestMigrationsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	migs, err := loader.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// The schema after each prefix of the migrations, built by hand.
	ref, err := sql.Open("postgres", loadertest.NewEmptyDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want := [][]string{schemaFingerprint(t, ref)}
	for _, m := range migs {
		mustExec(t, ref, m.SQL)
		want = append(want, schemaFingerprint(t, ref))
	}

	db, err := loader.Open(ctx, loadertest.NewEmptyDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := schemaFingerprint(t, db.SQL()); !slices.Equal(got, want[len(migs)]) {
		t.Fatalf("Migrate's schema differs from the migrations applied by hand")
	}
	down := func(m loader.Migration) {
		t.Helper()
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(m.Down); err != nil {
			t.Fatalf("reverting %s: %v", m.Name, err)
		}
		if _, err := tx.Exec(`DELETE FROM weekplan_migrations WHERE version = $1`, m.Version); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}

	// 0003 with data: an acknowledged version survives its reversal, without
	// its acknowledgements.
	inst := benchInstance(t, "tiny-30-seed101.json")
	school, week := inst.School.ID, inst.WeekStart
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	sched := independentSchedule(inst)
	if _, err := db.SaveSchedule(ctx, school, week, sched, loader.RunMeta{InputHash: loader.InputHash(inst), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishAcknowledged(ctx, school, week, 1, loader.Acknowledgement{By: "Pat"}); err != nil {
		t.Fatal(err)
	}
	last := migs[len(migs)-1]
	if last.Version != 3 {
		t.Fatalf("the last migration is %s; update this test for it", last.Name)
	}
	down(last)
	if got := schemaFingerprint(t, db.SQL()); !slices.Equal(got, want[2]) {
		t.Errorf("after reverting %s the schema differs from that of migrations 1–2:\n%s", last.Name, fingerprintDiff(got, want[2]))
	}
	var shortfalls int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM shortfalls`).Scan(&shortfalls); err != nil || shortfalls != len(sched.Shortfalls) {
		t.Errorf("shortfalls after reverting %s: %d (%v), want %d", last.Name, shortfalls, err, len(sched.Shortfalls))
	}
	if applied, err := db.Migrate(ctx); err != nil || !slices.Equal(applied, []int{3}) {
		t.Fatalf("Migrate after reverting %s: applied %v, %v; want [3]", last.Name, applied, err)
	}
	hist, err := db.History(ctx, school, week)
	if err != nil || len(hist) != 1 || hist[0].State != loader.StatePublished || hist[0].Acknowledged != 0 || hist[0].Shortfalls != 2 {
		t.Fatalf("history after migrating up again: %+v, %v; want version 1, published, 2 shortfalls, none acknowledged", hist, err)
	}
	if res, err := db.Acknowledge(ctx, school, week, 1, loader.Acknowledgement{By: "Pat"}); err != nil || res.Written != 2 {
		t.Errorf("acknowledging again: %+v, %v", res, err)
	}

	// Every migration, last first, then all of them again.
	for k := len(migs); k >= 1; k-- {
		down(migs[k-1])
		if got := schemaFingerprint(t, db.SQL()); !slices.Equal(got, want[k-1]) {
			t.Errorf("after reverting %s the schema differs from that of the migrations before it:\n%s", migs[k-1].Name, fingerprintDiff(got, want[k-1]))
		}
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != len(migs) {
		t.Fatalf("Migrate after reverting all: applied %v, %v", applied, err)
	}
	if got := schemaFingerprint(t, db.SQL()); !slices.Equal(got, want[len(migs)]) {
		t.Errorf("after migrating up again the schema differs:\n%s", fingerprintDiff(got, want[len(migs)]))
	}
}

// fingerprintDiff lists the lines only one of two fingerprints has.
func fingerprintDiff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			b.WriteString("  extra:   " + g + "\n")
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			b.WriteString("  missing: " + w + "\n")
		}
	}
	return b.String()
}
