package main

// Tests of the batch job's guarantees (SPEC §7, issue 5) against real
// weekplan processes on a real PostgreSQL: exactly once under racing
// processes, idempotent re-runs, kill -9 and lost connections at any point of
// the write path, containment of one school's bad data, deterministic
// exports. docs/operations.md maps each promise to its test.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/loader/pgcluster"
	"github.com/weekplan/weekplan/solver"
)

// guaranteeWeek is the week every test of this file schedules.
const guaranteeWeek = "2026-11-30"

// fastEffort keeps each solve of a small school well under a second.
const fastEffort = "10"

// binary is the weekplan binary the tests run as subprocesses, built once per
// test process by weekplanBinary and removed by TestMain.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// weekplanBinary builds ./cmd/weekplan (without the race detector: the
// subprocesses are the system under test, not the test) the first time a
// test asks for it.
func weekplanBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "weekplan-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "weekplan")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// withAppName returns the database URL with application_name=weekplan, by
// which the tests find the subprocesses' backends in pg_stat_activity.
func withAppName(t *testing.T, dbURL string) string {
	t.Helper()
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return dbURL + " application_name=weekplan"
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "weekplan")
	u.RawQuery = q.Encode()
	return u.String()
}

// weekplanCmd prepares a weekplan subprocess on the database dbURL. Nothing
// of the test's environment but PATH and HOME is passed on.
func weekplanCmd(ctx context.Context, t *testing.T, dbURL string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, weekplanBinary(t), args...)
	cmd.Env = []string{"DATABASE_URL=" + dbURL, "LOG_FORMAT=json", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// runProcess runs one weekplan subprocess to its end. It may be called from
// any goroutine: a process that cannot be run fails the test with exit code
// -1.
func runProcess(t *testing.T, dbURL string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, stdout, stderr := weekplanCmd(ctx, t, dbURL, args...)
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Errorf("weekplan %v: %v", args, err)
		return result{-1, stdout.String(), stderr.String()}
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// startProcess starts a weekplan subprocess; done is closed when it has
// exited (its ProcessState is then set).
func startProcess(ctx context.Context, t *testing.T, dbURL string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer, done <-chan struct{}) {
	t.Helper()
	cmd, stdout, stderr = weekplanCmd(ctx, t, dbURL, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	return cmd, stdout, stderr, exited
}

// smallSchool is a generated school of 12 students: a solve takes a few
// hundredths of a second at fastEffort.
func smallSchool(id string, seed int64) *solver.Instance {
	return fixtures.Generate(fixtures.GenOptions{Students: 12, Seed: seed, SchoolID: id, WeekStart: guaranteeWeek})
}

// summaryStatus returns the status column of school's line in a run summary.
func summaryStatus(stdout, school string) string {
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == school {
			return f[2]
		}
	}
	return ""
}

// written reports whether a summary status means that a version was written.
func written(status string) bool { return status == statusOK || status == statusIncomplete }

// TestExactlyOnceRacingRuns: 8 weekplan run processes racing on one school
// and week, 50 rounds, each round on a changed input: every round makes
// exactly one new version; every other process reports the school claimed
// or unchanged.
func TestExactlyOnceRacingRuns(t *testing.T) {
	const processes, rounds = 8, 50
	db, dbURL := loadertest.NewDB(t)
	ctx := context.Background()
	inst := smallSchool("race-ms", 3)
	school := inst.School.ID
	statuses := map[string]int{}
	start := time.Now()
	for round := 1; round <= rounds; round++ {
		inst.Slots[0].Minutes = 30 + round // a new input every round
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
		results := make([]result, processes)
		var wg sync.WaitGroup
		for p := range processes {
			wg.Go(func() {
				results[p] = runProcess(t, dbURL, "run", "--school", school, "--week", guaranteeWeek, "--effort", fastEffort, "--workers", "1")
			})
		}
		wg.Wait()
		writers := 0
		for p, r := range results {
			status := summaryStatus(r.stdout, school)
			statuses[status]++
			switch {
			case written(status):
				writers++
			case status == statusClaimed || status == statusUnchanged:
			default:
				t.Fatalf("round %d process %d: exit %d, status %q\n%s\n%s", round, p, r.code, status, r.stdout, r.stderr)
			}
			if r.code != exitOK && r.code != exitIncomplete {
				t.Fatalf("round %d process %d: exit %d\n%s\n%s", round, p, r.code, r.stdout, r.stderr)
			}
		}
		versions, err := db.History(ctx, school, guaranteeWeek)
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != round || writers != 1 {
			t.Fatalf("round %d: %d versions and %d writing processes, want %d and 1", round, len(versions), writers, round)
		}
		if last := versions[len(versions)-1]; last.InputHash != loader.InputHash(inst) {
			t.Fatalf("round %d: the latest version is of another input", round)
		}
	}
	t.Logf("%d rounds × %d processes in %v; statuses %v", rounds, processes, time.Since(start).Round(time.Millisecond), statuses)
}

// TestRunsShareSchools: several run processes started together on a district
// share its schools through the claims: each school is written exactly once,
// by one of them.
func TestRunsShareSchools(t *testing.T) {
	const processes, schools = 3, 6
	db, dbURL := loadertest.NewDB(t)
	ctx := context.Background()
	var ids []string
	for i := range schools {
		inst := smallSchool(fmt.Sprintf("share-%d", i), int64(20+i))
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inst.School.ID)
	}
	results := make([]result, processes)
	var wg sync.WaitGroup
	for p := range processes {
		wg.Go(func() {
			results[p] = runProcess(t, dbURL, "run", "--week", guaranteeWeek, "--effort", fastEffort, "--workers", "1")
		})
	}
	wg.Wait()
	writtenBy := map[string][]int{}
	for p, r := range results {
		if r.code != exitOK && r.code != exitIncomplete {
			t.Fatalf("process %d: exit %d\n%s\n%s", p, r.code, r.stdout, r.stderr)
		}
		for _, id := range ids {
			if written(summaryStatus(r.stdout, id)) {
				writtenBy[id] = append(writtenBy[id], p)
			}
		}
	}
	for _, id := range ids {
		v, err := db.History(ctx, id, guaranteeWeek)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 1 || len(writtenBy[id]) != 1 {
			t.Errorf("school %s: %d versions, written by processes %v; want 1 version by one process", id, len(v), writtenBy[id])
		}
	}
	t.Logf("schools written by process: %v", writtenBy)
}

// TestRerunUnchangedAndForce: a re-run on unchanged input writes nothing,
// solves nothing and says so; --force writes a new version.
func TestRerunUnchangedAndForce(t *testing.T) {
	t.Parallel()
	db, dbURL := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": dbURL, "LOG_FORMAT": "json"}
	ctx := context.Background()
	inst := smallSchool("rerun-ms", 5)
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--school", inst.School.ID, "--week", guaranteeWeek, "--effort", fastEffort}
	first := weekplan(t, env, args...)
	if !written(summaryStatus(first.stdout, inst.School.ID)) {
		t.Fatalf("first run: exit %d\n%s\n%s", first.code, first.stdout, first.stderr)
	}
	again := weekplan(t, env, args...)
	if got := summaryStatus(again.stdout, inst.School.ID); got != statusUnchanged || again.code != first.code {
		t.Errorf("re-run: status %q exit %d, want %q exit %d", got, again.code, statusUnchanged, first.code)
	}
	if !strings.Contains(again.stderr, "nothing changed") {
		t.Errorf("re-run log does not say nothing changed:\n%s", again.stderr)
	}
	if strings.Contains(again.stderr, `"message":"solved"`) {
		t.Errorf("re-run solved an unchanged input:\n%s", again.stderr)
	}
	if v, _ := db.History(ctx, inst.School.ID, guaranteeWeek); len(v) != 1 {
		t.Errorf("after the re-run: %d versions, want 1", len(v))
	}
	forced := weekplan(t, env, append(args, "--force")...)
	if !written(summaryStatus(forced.stdout, inst.School.ID)) {
		t.Fatalf("run --force: exit %d\n%s\n%s", forced.code, forced.stdout, forced.stderr)
	}
	v, err := db.History(ctx, inst.School.ID, guaranteeWeek)
	if err != nil || len(v) != 2 || v[0].InputHash != v[1].InputHash {
		t.Errorf("after --force: %d versions (%v), want 2 of the same input", len(v), err)
	}
	// The same input and seed: the same schedule.
	a, _, _ := db.Schedule(ctx, inst.School.ID, guaranteeWeek, 1)
	b, _, _ := db.Schedule(ctx, inst.School.ID, guaranteeWeek, 2)
	if ja, jb := mustJSON(t, a), mustJSON(t, b); !bytes.Equal(ja, jb) {
		t.Error("run --force on the same input and seed wrote a different schedule")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := marshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// versionCheck is what checkVersions verifies of every stored version.
type versionCheck struct {
	Version, Placements, Unplaced, Sessions int
}

// checkVersions verifies that the week's versions are numbered 1..n and that
// each one is whole: its placements and unplaced slots together cover every
// available student-slot of the school (studentSlots), its unplaced count
// agrees with its rows, and every session has members. It returns the
// versions' row counts.
func checkVersions(t *testing.T, db *sql.DB, school string, studentSlots int) []versionCheck {
	t.Helper()
	rows, err := db.Query(`SELECT v.version, v.unplaced_slots,
		(SELECT count(*) FROM placements p WHERE p.version_id = v.id),
		(SELECT count(*) FROM unplaced u WHERE u.version_id = v.id),
		(SELECT count(*) FROM schedule_sessions s WHERE s.version_id = v.id),
		(SELECT count(*) FROM schedule_sessions s WHERE s.version_id = v.id AND NOT EXISTS
			(SELECT 1 FROM placements p WHERE p.version_id = s.version_id AND p.session_no = s.session_no))
		FROM schedule_versions v JOIN weeks w ON w.id = v.week_id
		WHERE w.school_id = $1 AND w.week_start = $2 ORDER BY v.version`, school, guaranteeWeek)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []versionCheck
	for rows.Next() {
		var c versionCheck
		var unplacedCol, empty int
		if err := rows.Scan(&c.Version, &unplacedCol, &c.Placements, &c.Unplaced, &c.Sessions, &empty); err != nil {
			t.Fatal(err)
		}
		if c.Version != len(out)+1 {
			t.Fatalf("version %d follows version %d", c.Version, len(out))
		}
		if c.Placements+c.Unplaced != studentSlots || unplacedCol != c.Unplaced || empty > 0 || c.Sessions == 0 {
			t.Fatalf("version %d is partial: %d placements + %d unplaced (column %d) for %d student-slots, %d sessions, %d without members",
				c.Version, c.Placements, c.Unplaced, unplacedCol, studentSlots, c.Sessions, empty)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// availableStudentSlots counts the student-slots in which a student is
// available: each is placed or reported unplaced in a whole schedule.
func availableStudentSlots(inst *solver.Instance) int {
	n := 0
	for _, st := range inst.Students {
		for _, sl := range inst.Slots {
			if !slices.Contains(st.Unavailable, sl.ID) {
				n++
			}
		}
	}
	return n
}

// waitNoWeekplanBackends waits until no session of a weekplan process is left
// on the database: after a kill -9 the server notices the closed socket on
// its own time, and the killed process's claim lasts until it does.
func waitNoWeekplanBackends(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'weekplan'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions of killed weekplan processes still open after 10s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKill9 kills weekplan run --force and weekplan import processes with
// SIGKILL at random points (100 kills, delays drawn from a seeded RNG between
// 0 and an uninterrupted run's duration). After each kill: every version is
// whole and numbered in order, the versions stored before are unchanged, the
// stored input is the old or the new one entire, and the next run succeeds
// and leaves a version of the current input.
func TestKill9(t *testing.T) {
	const kills, seed = 100, 20261130
	db, baseURL := loadertest.NewDB(t)
	dbURL := withAppName(t, baseURL)
	ctx := context.Background()
	inst := smallSchool("kill-ms", 7)
	school := inst.School.ID
	studentSlots := availableStudentSlots(inst)
	dir := t.TempDir()
	if r := runProcess(t, dbURL, "import", "--in", writeJSONFile(t, dir, "in.json", inst)); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	runArgs := []string{"run", "--school", school, "--week", guaranteeWeek, "--effort", fastEffort}

	// The uninterrupted durations bound the random delays.
	measure := func(args ...string) time.Duration {
		start := time.Now()
		if r := runProcess(t, dbURL, args...); r.code != exitOK && r.code != exitIncomplete {
			t.Fatalf("weekplan %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return time.Since(start)
	}
	runTime := measure(append(runArgs, "--force")...)
	importTime := measure("import", "--in", writeJSONFile(t, dir, "in.json", inst))

	snapshots := map[int][]byte{} // version → its schedule as export writes it
	snapshot := func(version int) []byte {
		s, _, err := db.Schedule(ctx, school, guaranteeWeek, version)
		if err != nil {
			t.Fatalf("version %d is not readable: %v", version, err)
		}
		return mustJSON(t, s)
	}
	record := func() int {
		checks := checkVersions(t, db.SQL(), school, studentSlots)
		for _, c := range checks {
			if _, ok := snapshots[c.Version]; !ok {
				snapshots[c.Version] = snapshot(c.Version)
			}
		}
		return len(checks)
	}
	versions := record()
	current := loader.InputHash(inst)
	rng := rand.New(rand.NewPCG(seed, 1))
	committed := map[string]int{}
	start := time.Now()
	for i := range kills {
		op, args, limit := "run", append(runArgs, "--force"), runTime
		next := current
		if i%2 == 1 {
			op, limit = "import", importTime
			minutes := 30 + i%60
			if minutes == inst.Slots[0].Minutes {
				minutes++ // differs from the stored input
			}
			inst.Slots[0].Minutes = minutes
			next = loader.InputHash(inst)
			args = []string{"import", "--in", writeJSONFile(t, dir, "in.json", inst)}
		}
		delay := time.Duration(rng.Int64N(int64(limit)))
		cmd, _, _ := weekplanCmd(ctx, t, dbURL, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		waitNoWeekplanBackends(t, db.SQL())

		// No partial version; what was stored is as it was.
		checks := checkVersions(t, db.SQL(), school, studentSlots)
		if len(checks) < versions || len(checks) > versions+1 || op == "import" && len(checks) != versions {
			t.Fatalf("kill %d (%s after %v): %d versions, had %d", i, op, delay, len(checks), versions)
		}
		for _, v := range []int{1, versions} {
			if got := snapshot(v); !bytes.Equal(got, snapshots[v]) {
				t.Fatalf("kill %d (%s after %v): version %d changed", i, op, delay, v)
			}
		}
		// The input is the old one or the new one, whole.
		stored, err := db.LoadInstance(ctx, school, guaranteeWeek)
		if err != nil {
			t.Fatalf("kill %d (%s after %v): the input is not loadable: %v", i, op, delay, err)
		}
		switch h := loader.InputHash(stored); {
		case h == next && next != current:
			committed[op]++
			current = next
		case h == current:
			if op == "import" {
				inst = stored // the next import changes this one again
			}
		default:
			t.Fatalf("kill %d (%s after %v): the stored input is neither the old nor the new one", i, op, delay)
		}
		if len(checks) > versions {
			committed[op]++
		}
		// The next run succeeds and leaves a version of the current input.
		r := runProcess(t, dbURL, runArgs...)
		if st := summaryStatus(r.stdout, school); r.code != exitOK && r.code != exitIncomplete || !written(st) && st != statusUnchanged {
			t.Fatalf("kill %d (%s after %v): the next run: exit %d status %q\n%s\n%s", i, op, delay, r.code, st, r.stdout, r.stderr)
		}
		versions = record()
		latest, err := db.LatestVersion(ctx, school, guaranteeWeek)
		if err != nil || latest == nil || latest.InputHash != current {
			t.Fatalf("kill %d (%s after %v): the latest version is not of the current input (%v)", i, op, delay, err)
		}
	}
	t.Logf("%d kills (seed %d, run ≤ %v, import ≤ %v) in %v; committed before the kill: %v; %d versions",
		kills, seed, runTime.Round(time.Millisecond), importTime.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), committed, versions)
}

// blockPlacements takes a lock on placements that stops SaveSchedule in the
// middle of its transaction, at the COPY of the placements (the version row
// and the sessions written, uncommitted). Committing tx lets it go on.
func blockPlacements(t *testing.T, db *sql.DB) *sql.Tx {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE placements IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return tx
}

// blockedWriter waits for the weekplan backend that is stopped at the COPY of
// the placements and returns its process id.
func blockedWriter(t *testing.T, db *sql.DB, done <-chan struct{}, stderr *bytes.Buffer) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := db.QueryRow(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()
			AND application_name = 'weekplan' AND wait_event_type = 'Lock' AND query LIKE 'COPY%placements%'`).Scan(&pid)
		if err == nil {
			return pid
		}
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatalf("the run ended before the write-back; stderr:\n%s", stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the run did not reach the write-back within 30s")
		}
	}
}

// TestTerminatedBackendMidWrite: the backend writing a schedule is ended
// with pg_terminate_backend in the middle of SaveSchedule's transaction. No
// part of that version is visible, the run retries on a new connection, and
// exactly one version is written.
func TestTerminatedBackendMidWrite(t *testing.T) {
	t.Parallel()
	db, baseURL := loadertest.NewDB(t)
	inst := smallSchool("terminate-ms", 9)
	if err := db.Import(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	lock := blockPlacements(t, db.SQL())
	defer lock.Rollback()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, stdout, stderr, done := startProcess(ctx, t, withAppName(t, baseURL), "run", "--school", inst.School.ID, "--week", guaranteeWeek, "--effort", fastEffort)
	pid := blockedWriter(t, db.SQL(), done, stderr)
	if v, err := db.History(ctx, inst.School.ID, guaranteeWeek); err != nil || len(v) != 0 {
		t.Fatalf("mid-write: %d versions visible (%v), want 0", len(v), err)
	}
	var ok bool
	if err := db.SQL().QueryRow(`SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v %v", ok, err)
	}
	if err := lock.Commit(); err != nil {
		t.Fatal(err)
	}
	<-done
	if code := cmd.ProcessState.ExitCode(); code != exitOK && code != exitIncomplete || !written(summaryStatus(stdout.String(), inst.School.ID)) {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr.String(), "retrying") || !strings.Contains(stderr.String(), `"operation":"write-back"`) {
		t.Errorf("the log does not show the write-back retried:\n%s", stderr)
	}
	checks := checkVersions(t, db.SQL(), inst.School.ID, availableStudentSlots(inst))
	if len(checks) != 1 {
		t.Errorf("%d versions, want 1", len(checks))
	}
}

// TestDatabaseRestartMidWrite: a throwaway PostgreSQL cluster is restarted
// (pg_ctl restart -m fast) while a run is in the middle of SaveSchedule's
// transaction. The run retries with backoff until the server is back and
// writes exactly one, whole, version.
func TestDatabaseRestartMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "weekplan-restart-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // the server runs as the postgres user when the tests run as root
	cluster, err := pgcluster.Start(ctx, filepath.Join(dir, "data"))
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("starting a throwaway cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
		os.RemoveAll(dir)
	})
	dbURL, err := pgcluster.EnsureDatabase(ctx, cluster.URL, "weekplan")
	if err != nil {
		t.Fatal(err)
	}
	db, err := loader.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	inst := smallSchool("restart-ms", 11)
	if err := db.Import(ctx, inst); err != nil {
		t.Fatal(err)
	}
	lock := blockPlacements(t, db.SQL())
	defer lock.Rollback()
	cmd, stdout, stderr, done := startProcess(ctx, t, withAppName(t, dbURL), "run", "--school", inst.School.ID, "--week", guaranteeWeek, "--effort", fastEffort)
	blockedWriter(t, db.SQL(), done, stderr)
	restart := time.Now()
	if err := cluster.Restart(ctx); err != nil {
		t.Fatalf("restarting: %v", err)
	}
	t.Logf("restart took %v", time.Since(restart).Round(time.Millisecond))
	<-done
	if code := cmd.ProcessState.ExitCode(); code != exitOK && code != exitIncomplete || !written(summaryStatus(stdout.String(), inst.School.ID)) {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr.String(), "database connection lost; retrying") {
		t.Errorf("the log does not show a retry:\n%s", stderr)
	}
	after, err := loader.Open(ctx, dbURL) // the old pool's sessions died with the server
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if checks := checkVersions(t, after.SQL(), inst.School.ID, availableStudentSlots(inst)); len(checks) != 1 {
		t.Errorf("%d versions, want 1", len(checks))
	}
	if r := runProcess(t, dbURL, "export", "--school", inst.School.ID, "--week", guaranteeWeek, "--out", filepath.Join(t.TempDir(), "s.json")); r.code != exitOK {
		t.Errorf("export after the restart: exit %d %s", r.code, r.stderr)
	}
}

// TestRunContainsBrokenSchools: of a district where two schools' data is
// broken — contradictory pins, a teacher whose subject rows were deleted —
// those two are rejected with their records and fields named, in the summary
// and the log, and nothing is written for them, while every other school is
// scheduled; the run exits 2. The schema itself refuses NaN and out-of-range
// masteries and dangling ids written straight into the tables.
func TestRunContainsBrokenSchools(t *testing.T) {
	t.Parallel()
	db, dbURL := loadertest.NewDB(t)
	env := map[string]string{"DATABASE_URL": dbURL, "LOG_FORMAT": "json"}
	ctx := context.Background()
	good := []*solver.Instance{smallSchool("good-a", 31), smallSchool("good-b", 32), smallSchool("good-c", 33)}
	pins := smallSchool("bad-pins", 34)
	st, slot := pins.Students[0].ID, pins.Slots[1].ID
	pins.Students[0].Unavailable = slices.DeleteFunc(pins.Students[0].Unavailable, func(s string) bool { return s == slot })
	pins.Pins = append(pins.Pins,
		solver.Pin{Student: st, Slot: slot, Mode: solver.Tutoring},
		solver.Pin{Student: st, Slot: slot, Mode: solver.Independent})
	noSubject := smallSchool("bad-teacher", 35)
	for _, inst := range append(slices.Clone(good), pins, noSubject) {
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
	}
	teacher := noSubject.Teachers[0].ID
	if _, err := db.SQL().Exec(`DELETE FROM teacher_subjects WHERE teacher_id = $1
		AND week_id = (SELECT id FROM weeks WHERE school_id = $2 AND week_start = $3)`,
		teacher, noSubject.School.ID, guaranteeWeek); err != nil {
		t.Fatal(err)
	}

	// Straight into the tables: the schema refuses what §2 forbids.
	var student, skill string
	for k := range good[0].Students[0].Progress {
		student, skill = good[0].Students[0].ID, k
		break
	}
	for _, tt := range []struct {
		name, query string
		args        []any
		code        string
	}{
		{"NaN mastery", `UPDATE student_progress SET mastery = 'NaN' WHERE student_id = $1 AND skill_id = $2`, []any{student, skill}, "23514"},
		{"mastery above 1", `UPDATE student_progress SET mastery = 1.5 WHERE student_id = $1 AND skill_id = $2`, []any{student, skill}, "23514"},
		{"negative mastery", `UPDATE student_progress SET mastery = -0.1 WHERE student_id = $1 AND skill_id = $2`, []any{student, skill}, "23514"},
		{"dangling skill id", `UPDATE student_progress SET skill_id = 'no-such-skill' WHERE student_id = $1 AND skill_id = $2`, []any{student, skill}, "23503"},
	} {
		_, err := db.SQL().Exec(tt.query, tt.args...)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || string(pqErr.Code) != tt.code {
			t.Errorf("%s: got %v, want the schema to refuse it with %s", tt.name, err, tt.code)
		}
	}

	r := weekplan(t, env, "run", "--week", guaranteeWeek, "--effort", fastEffort)
	if r.code != exitUsage {
		t.Errorf("exit %d, want %d (schools rejected)\n%s\n%s", r.code, exitUsage, r.stdout, r.stderr)
	}
	for _, inst := range good {
		if st := summaryStatus(r.stdout, inst.School.ID); !written(st) {
			t.Errorf("school %s: status %q, want it scheduled\n%s", inst.School.ID, st, r.stdout)
		}
		if v, err := db.History(ctx, inst.School.ID, guaranteeWeek); err != nil || len(v) != 1 {
			t.Errorf("school %s: %d versions (%v), want 1", inst.School.ID, len(v), err)
		}
	}
	for _, bad := range []struct{ school, path, message string }{
		{pins.School.ID, "pins[", "contradicts pins["},
		{noSubject.School.ID, "teachers[" + teacher + "].subjects", "a teacher needs at least one subject"},
	} {
		if st := summaryStatus(r.stdout, bad.school); st != statusRejected {
			t.Errorf("school %s: status %q, want %q", bad.school, st, statusRejected)
		}
		if !strings.Contains(r.stdout, bad.message) {
			t.Errorf("summary lacks the reason %q:\n%s", bad.message, r.stdout)
		}
		if !strings.Contains(r.stderr, `"school":"`+bad.school+`"`) || !strings.Contains(r.stderr, bad.path) {
			t.Errorf("log lacks school %s and the problem path %q:\n%s", bad.school, bad.path, r.stderr)
		}
		if v, _ := db.History(ctx, bad.school, guaranteeWeek); len(v) != 0 {
			t.Errorf("school %s: %d versions written for rejected data", bad.school, len(v))
		}
	}
	// The summary lists the schools in id order.
	var order []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == guaranteeWeek {
			order = append(order, f[0])
		}
	}
	if !slices.IsSorted(order) || len(order) != 5 {
		t.Errorf("summary schools %v, want all 5 in id order", order)
	}
}

// TestExportDeterministic: the same input and seed give byte-identical
// weekplan export output on two databases, whatever the number of workers.
func TestExportDeterministic(t *testing.T) {
	t.Parallel()
	schools := []*solver.Instance{
		fixtures.Generate(fixtures.GenOptions{Students: 60, Seed: 41, SchoolID: "det-a", WeekStart: guaranteeWeek}),
		smallSchool("det-b", 42),
		smallSchool("det-c", 43),
	}
	var exports [2][][]byte
	var summaries [2]string
	for i, workers := range []string{"1", "3"} {
		db, dbURL := loadertest.NewDB(t)
		for _, inst := range schools {
			if err := db.Import(context.Background(), inst); err != nil {
				t.Fatal(err)
			}
		}
		r := runProcess(t, dbURL, "run", "--week", guaranteeWeek, "--seed", "7", "--effort", "20", "--workers", workers)
		if r.code != exitOK && r.code != exitIncomplete {
			t.Fatalf("run --workers %s: exit %d\n%s\n%s", workers, r.code, r.stdout, r.stderr)
		}
		summaries[i] = r.stdout
		for _, inst := range schools {
			out := filepath.Join(t.TempDir(), "s.json")
			if r := runProcess(t, dbURL, "export", "--school", inst.School.ID, "--week", guaranteeWeek, "--out", out); r.code != exitOK {
				t.Fatalf("export: exit %d %s", r.code, r.stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			exports[i] = append(exports[i], data)
		}
	}
	for j, inst := range schools {
		if !bytes.Equal(exports[0][j], exports[1][j]) {
			t.Errorf("school %s: the exports of the two databases differ", inst.School.ID)
		}
	}
	if summaries[0] != summaries[1] {
		t.Errorf("the summaries differ:\n%s\n%s", summaries[0], summaries[1])
	}
}
