package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
)

// The subprocess test runs the binary built by weekplanBinary
// (guarantees_test.go, whose TestMain removes it).

// syncBuffer is a log sink that goroutines may write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// importSchools imports a small generated school for each id, in the time
// zone given, for the week.
func importSchools(t *testing.T, db *loader.DB, week string, zoneByID map[string]string) {
	t.Helper()
	seed := int64(1)
	for id, zone := range zoneByID {
		seed++
		inst := fixtures.Generate(fixtures.GenOptions{Students: 12, Seed: seed, SchoolID: id, WeekStart: week})
		inst.School.Timezone = zone // the generator draws one for ""
		if err := db.Import(context.Background(), inst); err != nil {
			t.Fatal(err)
		}
	}
}

// call is one invocation of a test daemon's school runner.
type call struct{ school, week string }

// recorder is an injected school runner that records its calls and may
// panic or sleep for a school.
type recorder struct {
	mu      sync.Mutex
	calls   []call
	running atomic.Int32
	maxRun  atomic.Int32
	panicOn string
	sleep   time.Duration
	called  chan call
}

func newRecorder() *recorder { return &recorder{called: make(chan call, 100)} }

func (r *recorder) run(ctx context.Context, school, week string) outcome {
	n := r.running.Add(1)
	defer r.running.Add(-1)
	for {
		m := r.maxRun.Load()
		if n <= m || r.maxRun.CompareAndSwap(m, n) {
			break
		}
	}
	r.mu.Lock()
	r.calls = append(r.calls, call{school, week})
	r.mu.Unlock()
	r.called <- call{school, week}
	time.Sleep(r.sleep)
	if school == r.panicOn {
		panic("injected panic")
	}
	return outcome{School: school, Week: week, Status: statusOK, Version: 1}
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// testDaemon returns a daemon on db with the spec, the clock and the runner,
// logging to the returned buffer.
func testDaemon(t *testing.T, db *loader.DB, spec string, now func() time.Time, r *recorder) (*daemon, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	d := newDaemon(db, zerolog.New(logs).With().Timestamp().Logger(), spec, batchOptions{})
	if now != nil {
		d.now = now
	}
	d.runSchool = r.run
	return d, logs
}

// startDaemon runs d until the returned stop function is called; stop waits
// for the daemon to return and fails the test unless it returns nil in time.
func startDaemon(t *testing.T, d *daemon) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("daemon returned %v, want nil", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the daemon did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitCalls waits until the runner has been called n times, or fails.
func waitCalls(t *testing.T, r *recorder, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for got := len(r.snapshot()); got < n; got = len(r.snapshot()) {
		select {
		case <-r.called:
		case <-deadline:
			t.Fatalf("runner called %d times within %v, want %d: %v", got, within, n, r.snapshot())
		}
	}
}

// waitLog waits until the logs contain s, or fails.
func waitLog(t *testing.T, logs *syncBuffer, s string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); !strings.Contains(logs.String(), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the logs lack %q after %v:\n%s", s, within, logs.String())
		}
	}
}

// TestDaemonRecoversPanic: a panic in one school's run is logged, the next
// school of the tick still runs, and so does the next tick.
func TestDaemonRecoversPanic(t *testing.T) {
	t.Parallel()
	db, _ := loadertest.NewDB(t)
	week := nextWeekStart(time.Now(), "UTC")
	importSchools(t, db, week, map[string]string{"a-school": "UTC", "b-school": "UTC"})
	r := newRecorder()
	r.panicOn = "a-school"
	d, logs := testDaemon(t, db, "@every 1s", nil, r)
	stop := startDaemon(t, d)
	waitCalls(t, r, 4, 20*time.Second) // two ticks of two schools
	stop()
	calls := r.snapshot()
	for i, want := range []string{"a-school", "b-school", "a-school", "b-school"} {
		if calls[i].school != want {
			t.Fatalf("call %d ran %s, want %s (calls %v)", i, calls[i].school, want, calls)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "school run panicked"); n < 2 {
		t.Errorf("%d panics logged, want at least 2:\n%s", n, out)
	}
	if !strings.Contains(out, `"school":"a-school"`) || !strings.Contains(out, "injected panic") {
		t.Errorf("the panic log lacks the school or the reason:\n%s", out)
	}
}

// TestDaemonSkipsOverlappingTick: a tick that comes while the previous one of
// the zone still runs is skipped and logged, never run alongside it.
func TestDaemonSkipsOverlappingTick(t *testing.T) {
	t.Parallel()
	db, _ := loadertest.NewDB(t)
	importSchools(t, db, nextWeekStart(time.Now(), "UTC"), map[string]string{"slow-school": "UTC"})
	r := newRecorder()
	r.sleep = 1500 * time.Millisecond // a tick lasts 1.5 ticks of "@every 1s"
	d, logs := testDaemon(t, db, "@every 1s", nil, r)
	stop := startDaemon(t, d)
	waitCalls(t, r, 2, 20*time.Second)
	stop()
	if m := r.maxRun.Load(); m != 1 {
		t.Errorf("%d ticks ran at once, want 1", m)
	}
	if !strings.Contains(logs.String(), "tick skipped: the previous tick of this time zone is still running") {
		t.Errorf("no skipped tick logged:\n%s", logs.String())
	}
}

// TestDaemonZones: one entry per school time zone, each reading the spec in
// its zone; a tick runs only its zone's schools, for the week after the tick
// in that zone.
func TestDaemonZones(t *testing.T) {
	t.Parallel()
	db, _ := loadertest.NewDB(t)
	importSchools(t, db, "2026-11-30", map[string]string{
		"denver-ms": "America/Denver", "ny-ms": "America/New_York", "kiritimati-ms": "Pacific/Kiritimati", "nowhere-ms": "",
	})
	r := newRecorder()
	d, _ := testDaemon(t, db, defaultCron, nil, r)
	d.cron = cron.New()
	if err := d.schedule(context.Background()); err != nil {
		t.Fatal(err)
	}
	thursday := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for zone, want := range map[string]string{
		"America/Denver":     "2026-11-27T18:00:00-07:00",
		"America/New_York":   "2026-11-27T18:00:00-05:00",
		"Pacific/Kiritimati": "2026-11-27T18:00:00+14:00",
		"UTC":                "2026-11-27T18:00:00Z",
	} {
		e, ok := d.zones[zone]
		if !ok {
			t.Errorf("no entry for %s", zone)
			continue
		}
		loc, _ := time.LoadLocation(zone)
		if got := e.schedule.Next(thursday).In(loc).Format(time.RFC3339); got != want {
			t.Errorf("%s: next fire %s, want %s", zone, got, want)
		}
	}
	if len(d.zones) != 4 {
		t.Errorf("%d zones scheduled, want 4", len(d.zones))
	}
	// Sunday 12:00 UTC is already Monday in Kiritimati (UTC+14): its next
	// week starts a week later than New York's.
	sunday := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ zone, school, week string }{
		{"Pacific/Kiritimati", "kiritimati-ms", "2026-12-07"},
		{"America/New_York", "ny-ms", "2026-11-30"},
		{"UTC", "nowhere-ms", "2026-11-30"},
	} {
		before := len(r.snapshot())
		d.fire(context.Background(), tc.zone, sunday)
		got := r.snapshot()[before:]
		if len(got) != 1 || got[0] != (call{tc.school, tc.week}) {
			t.Errorf("tick of %s ran %v, want [{%s %s}]", tc.zone, got, tc.school, tc.week)
		}
	}
}

// TestDaemonCatchesUpMissedTick: on start, the latest tick missed while no
// daemon ran is run once, for the week it would have scheduled; a tick that
// ran, or a first start, runs nothing. The clock is fake: nothing waits for
// the cron timer.
func TestDaemonCatchesUpMissedTick(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	fri := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, ny) }
	tests := []struct {
		name     string
		last     time.Time // zero: the daemon never ran
		now      time.Time
		wantWeek string // empty: no catch-up
		wantLast time.Time
	}{
		{"missed last Friday", fri(20, 18, 0), fri(27, 20, 0), "2026-11-30", fri(27, 18, 0)},
		{"missed two Fridays: the latest runs once", fri(13, 18, 0), fri(28, 9, 0), "2026-11-30", fri(27, 18, 0)},
		{"caught up on Monday morning: the missed tick's week", fri(20, 18, 0), fri(30, 7, 0), "2026-11-30", fri(27, 18, 0)},
		{"ran on time", fri(27, 18, 0), fri(27, 20, 0), "", fri(27, 18, 0)},
		{"not yet due", fri(20, 18, 0), fri(27, 17, 59), "", fri(20, 18, 0)},
		{"first start records the start", time.Time{}, fri(27, 20, 0), "", fri(27, 20, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, _ := loadertest.NewDB(t)
			importSchools(t, db, "2026-11-30", map[string]string{"ny-ms": "America/New_York"})
			ctx := context.Background()
			if !tt.last.IsZero() {
				if err := db.RecordTick(ctx, "America/New_York", defaultCron, tt.last); err != nil {
					t.Fatal(err)
				}
			}
			r := newRecorder()
			d, logs := testDaemon(t, db, defaultCron, func() time.Time { return tt.now }, r)
			stop := startDaemon(t, d)
			// The catch-up decision is made before "daemon started" is logged.
			waitLog(t, logs, "daemon started", 30*time.Second)
			if tt.wantWeek != "" {
				waitCalls(t, r, 1, 20*time.Second)
			}
			stop() // waits for the catch-up tick
			var want []call
			if tt.wantWeek != "" {
				want = []call{{"ny-ms", tt.wantWeek}}
			}
			if got := r.snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("runs %v, want %v\n%s", got, want, logs.String())
			}
			last, ok, err := db.LastTick(ctx, "America/New_York", defaultCron)
			if err != nil || !ok || !last.Equal(tt.wantLast) {
				t.Errorf("last tick %v (ok %v, err %v), want %v", last.In(ny), ok, err, tt.wantLast)
			}
			if tt.wantWeek != "" && !strings.Contains(logs.String(), "catching up a tick missed while no daemon ran") {
				t.Errorf("the catch-up is not logged:\n%s", logs.String())
			}
		})
	}
}

// dstWeeks are the weeks of 2026's daylight saving changes in New York and
// Berlin.
var dstWeeks = []struct {
	zone       string
	from, to   string // local dates, inclusive
	changeDate string
}{
	{"America/New_York", "2026-03-05", "2026-03-11", "2026-03-08"},
	{"America/New_York", "2026-10-29", "2026-11-04", "2026-11-01"},
	{"Europe/Berlin", "2026-03-26", "2026-04-01", "2026-03-29"},
	{"Europe/Berlin", "2026-10-22", "2026-10-28", "2026-10-25"},
}

// firesPerDay iterates sched.Next over the local dates [from, to] of loc and
// returns the fire times per date.
func firesPerDay(t *testing.T, sched cron.Schedule, loc *time.Location, from, to string) map[string][]time.Time {
	t.Helper()
	start, _ := time.ParseInLocation("2006-01-02", from, loc)
	end, _ := time.ParseInLocation("2006-01-02", to, loc)
	end = end.AddDate(0, 0, 1)
	out := map[string][]time.Time{}
	for at := sched.Next(start.Add(-time.Second)); at.Before(end); at = sched.Next(at) {
		if at.IsZero() {
			t.Fatal("no next fire time")
		}
		day := at.In(loc).Format("2006-01-02")
		out[day] = append(out[day], at)
	}
	return out
}

// TestDSTFiresOncePerDay: with the daemon's schedule, a daily tick in the hour
// that spring-forward skips or fall-back repeats fires exactly once a day, the
// change days included.
func TestDSTFiresOncePerDay(t *testing.T) {
	t.Parallel()
	for _, w := range dstWeeks {
		for _, spec := range []string{"30 2 * * *", "30 1 * * *", "0 2 * * *", "59 2 * * *", "0 3 * * *", "@daily", defaultCron} {
			t.Run(w.zone+" "+w.changeDate+" "+spec, func(t *testing.T) {
				loc, _ := time.LoadLocation(w.zone)
				sched, err := zoneSchedule(spec, w.zone)
				if err != nil {
					t.Fatal(err)
				}
				fires := firesPerDay(t, sched, loc, w.from, w.to)
				for d, _ := time.ParseInLocation("2006-01-02", w.from, loc); d.Format("2006-01-02") <= w.to; d = d.AddDate(0, 0, 1) {
					day := d.Format("2006-01-02")
					want := 1
					if spec == defaultCron && d.Weekday() != time.Friday {
						want = 0
					}
					if got := len(fires[day]); got != want {
						t.Errorf("%s: %d fires %v, want %d", day, got, fires[day], want)
					}
				}
			})
		}
	}
	// Where the fires land on the change days in New York.
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct{ spec, day, want string }{
		{"30 2 * * *", "2026-03-08", "2026-03-08T03:00:00-04:00"}, // 02:30 does not exist: at the end of the gap
		{"30 1 * * *", "2026-11-01", "2026-11-01T01:30:00-04:00"}, // 01:30 happens twice: the first one
		{"30 1 * * *", "2026-03-08", "2026-03-08T01:30:00-05:00"},
		{"30 2 * * *", "2026-11-01", "2026-11-01T02:30:00-05:00"},
	} {
		sched, _ := zoneSchedule(tc.spec, "America/New_York")
		day, _ := time.ParseInLocation("2006-01-02", tc.day, ny)
		if got := sched.Next(day).In(ny).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s on %s: fires at %s, want %s", tc.spec, tc.day, got, tc.want)
		}
	}
}

// TestDSTHourly: an hourly spec fires once per wall-clock hour: 23 times on
// the spring-forward day, 24 (not 25) on the fall-back day.
func TestDSTHourly(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	sched, _ := zoneSchedule("0 * * * *", "America/New_York")
	for day, want := range map[string]int{"2026-03-07": 24, "2026-03-08": 23, "2026-11-01": 24, "2026-11-02": 24} {
		if got := len(firesPerDay(t, sched, ny, day, day)[day]); got != want {
			t.Errorf("%s: %d fires, want %d", day, got, want)
		}
	}
}

// TestRobfigDST documents robfig/cron v3's own SpecSchedule on the change
// days, which dstSchedule corrects: it skips a time in the spring-forward gap
// and fires twice at a time in the repeated fall-back hour. If an upgrade
// changes this, revisit dstSchedule.
func TestRobfigDST(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		spec, day string
		want      int
	}{
		{"CRON_TZ=America/New_York 30 2 * * *", "2026-03-08", 0},
		{"CRON_TZ=America/New_York 30 1 * * *", "2026-11-01", 2},
		{"CRON_TZ=America/New_York 30 2 * * *", "2026-03-09", 1},
		{"CRON_TZ=America/New_York 30 1 * * *", "2026-11-02", 1},
	} {
		sched, err := cronParser().Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(firesPerDay(t, sched, ny, tc.day, tc.day)[tc.day]); got != tc.want {
			t.Errorf("robfig %q on %s: %d fires, want %d", tc.spec, tc.day, got, tc.want)
		}
	}
}

// TestDaemonSIGTERM runs the real binary, sends SIGTERM while the first of two
// schools is being solved, and checks that it exits 0, that the school in
// progress finished (one new version) and the other was cleanly abandoned (no
// version at all), and that the log says so.
func TestDaemonSIGTERM(t *testing.T) {
	t.Parallel()
	bin := weekplanBinary(t)
	db, url := loadertest.NewDB(t)
	ctx := context.Background()
	week := nextWeekStart(time.Now(), "UTC")
	for _, id := range []string{"a-first-ms", "b-second-ms"} {
		inst := fixtures.Generate(fixtures.GenOptions{Students: 60, Seed: 4, SchoolID: id, Timezone: "UTC", WeekStart: week})
		if err := db.Import(ctx, inst); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "daemon", "--cron", "@every 1s")
	cmd.Env = []string{"DATABASE_URL=" + url, "LOG_FORMAT=json", "PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	started := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), `"school started"`) {
				once.Do(func() { close(started) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-copied
		t.Fatalf("no school started within 60s:\n%s", logs.String())
	}
	time.Sleep(300 * time.Millisecond) // well inside the solve of the first school
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { <-copied; waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("daemon exited with %v after SIGTERM, want status 0\n%s", err, logs.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the daemon did not exit within 90s of SIGTERM")
	}
	out := logs.String()
	first, _ := db.History(ctx, "a-first-ms", week)
	second, _ := db.History(ctx, "b-second-ms", week)
	if len(first) != 1 {
		t.Errorf("the school in progress has %d versions, want 1 (finished)", len(first))
	}
	if len(second) != 0 {
		t.Errorf("the school not started has %d versions, want 0 (abandoned)", len(second))
	}
	for _, want := range []struct {
		msg    string
		fields map[string]string
	}{
		{"stopping: letting the school in progress finish", nil},
		{"school done", map[string]string{"school": "a-first-ms", "week": week}},
		{"stopping: school not started", map[string]string{"school": "b-second-ms"}},
		{"daemon stopped", nil},
	} {
		if !logHas(out, want.msg, want.fields) {
			t.Errorf("log lacks %q with %v:\n%s", want.msg, want.fields, out)
		}
	}
	// The tick cut short is not recorded, so that the next start catches it
	// up: the last tick is still the first start's record, from before the
	// tick (which "@every 1s" fires on a whole second).
	var tickAt time.Time
	for _, line := range strings.Split(out, "\n") {
		var rec struct{ Message, Tick string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "tick" {
			tickAt, _ = time.Parse(time.RFC3339, rec.Tick)
			break
		}
	}
	last, ok, err := db.LastTick(ctx, "UTC", "@every 1s")
	if err != nil || !ok || tickAt.IsZero() || !last.Before(tickAt) {
		t.Errorf("last tick %v (ok %v, err %v), want the start, before the tick at %v", last, ok, err, tickAt)
	}
}

// logHas reports whether a JSON log line has the message and the fields.
func logHas(logs, msg string, fields map[string]string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["message"] != msg {
			continue
		}
		match := true
		for k, v := range fields {
			match = match && fmt.Sprint(rec[k]) == v
		}
		if match {
			return true
		}
	}
	return false
}
