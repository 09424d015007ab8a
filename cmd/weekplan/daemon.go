package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/loader"
)

// defaultCron is SPEC §7's default: Friday at 18:00 in each school's time zone.
const defaultCron = "0 18 * * FRI"

// cronParser reads five-field specs and descriptors (@daily, @every 10m),
// with an optional CRON_TZ= prefix, which the daemon adds for each zone.
func cronParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// DaemonCommand runs the batch job on a cron schedule until stopped.
type DaemonCommand struct {
	main    *Main
	spec    string
	opt     batchOptions
	refresh time.Duration
}

// ParseFlags parses the daemon command line.
func (c *DaemonCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("daemon", "[--cron SPEC] [--fresh | --max-churn N] [--seed N] [--effort N] [--time-limit D]")
	fs.StringVar(&c.spec, "cron", "", "cron spec: five fields or a descriptor such as @daily or @every 10m, in each school's time zone (env WEEKPLAN_CRON; default \""+defaultCron+"\")")
	fs.DurationVar(&c.refresh, "refresh", 5*time.Minute, "how often to look for schools in new time zones")
	c.opt.stable.register(fs)
	c.opt.solve.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.opt.stable.validate("daemon", fs); err != nil {
		return err
	}
	if c.spec == "" {
		c.spec = c.main.Getenv("WEEKPLAN_CRON")
	}
	if c.spec == "" {
		c.spec = defaultCron
	}
	if _, err := cronParser().Parse(c.spec); err != nil {
		return usagef("daemon", "cron spec %q: %v (five fields such as \"0 18 * * FRI\", or @daily, @every 10m)", c.spec, err)
	}
	if c.refresh <= 0 {
		return usagef("daemon", "--refresh must be positive")
	}
	return c.opt.solve.resolve("daemon", fs, c.main.Getenv)
}

// Run applies pending migrations, schedules one cron entry per school time
// zone, catches up ticks missed while no daemon ran, and runs until ctx is
// cancelled (SIGTERM or SIGINT); then it lets the school in progress finish,
// starts no other, and returns nil (exit status 0).
func (c *DaemonCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "daemon")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	d := newDaemon(db, c.main.Log, c.spec, c.opt)
	d.refresh = c.refresh
	return d.run(ctx)
}

// daemon runs the batch on a cron schedule: one entry per school time zone.
// Its clock and its per-school runner are fields so that tests can replace
// them.
type daemon struct {
	db      *loader.DB
	log     zerolog.Logger
	spec    string
	refresh time.Duration

	// now is the clock that dates ticks, picks the week a tick schedules and
	// finds missed ticks on start. The cron timer itself runs on real time.
	now func() time.Time
	// runSchool runs one school's week. A panic in it is recovered and logged,
	// and the tick goes on with the next school.
	runSchool func(ctx context.Context, school, week string) outcome

	cron     *cron.Cron
	catchUps sync.WaitGroup // catch-up ticks in flight

	mu    sync.Mutex
	zones map[string]*zoneEntry // time zone → its entry
}

// zoneEntry is one time zone's cron entry and the guard that keeps its ticks
// from overlapping.
type zoneEntry struct {
	id       cron.EntryID
	schedule cron.Schedule
	busy     sync.Mutex // held while a tick of the zone runs
}

// newDaemon returns a daemon that runs each school with runSchool (run.go).
func newDaemon(db *loader.DB, log zerolog.Logger, spec string, opt batchOptions) *daemon {
	d := &daemon{db: db, log: log, spec: spec, refresh: 5 * time.Minute, now: time.Now, zones: map[string]*zoneEntry{}}
	d.runSchool = func(ctx context.Context, school, week string) outcome {
		o := opt
		o.school = school
		return runSchool(ctx, db, log, o, school, week)
	}
	return d
}

// run schedules the zones and runs until ctx is cancelled.
func (d *daemon) run(ctx context.Context) error {
	logger := cronLogger{d.log}
	// Recover is a last resort: fire recovers a school's panic itself. Overlap
	// is guarded in fire, per zone, so that a catch-up tick shares the guard.
	d.cron = cron.New(cron.WithParser(cronParser()), cron.WithLogger(logger), cron.WithChain(cron.Recover(logger)))
	if err := d.schedule(ctx); err != nil {
		return err
	}
	d.cron.Start()
	d.log.Info().Str("cron", d.spec).Int("time_zones", len(d.zones)).Msg("daemon started")
	ticker := time.NewTicker(d.refresh)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			d.log.Info().Msg("stopping: letting the school in progress finish")
			<-d.cron.Stop().Done()
			d.catchUps.Wait()
			d.log.Info().Msg("daemon stopped")
			return nil
		case <-ticker.C:
			if err := d.schedule(ctx); err != nil {
				d.log.Error().Err(err).Msg("refreshing the schools' time zones")
			}
		}
	}
}

// schedule adds an entry for every time zone that has a school and none yet,
// and catches up the zone's missed tick, if any.
func (d *daemon) schedule(ctx context.Context) error {
	schools, err := d.db.Schools(ctx)
	if err != nil {
		return fmt.Errorf("listing schools: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range schools {
		seen[zoneOf(s.Timezone)] = true
	}
	names := make([]string, 0, len(seen))
	for z := range seen {
		names = append(names, z)
	}
	sort.Strings(names)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, zone := range names {
		if _, ok := d.zones[zone]; ok {
			continue
		}
		sched, err := zoneSchedule(d.spec, zone)
		if err != nil {
			return fmt.Errorf("scheduling time zone %s: %w", zone, err)
		}
		zone := zone
		e := &zoneEntry{schedule: sched}
		e.id = d.cron.Schedule(sched, cron.FuncJob(func() { d.fire(ctx, zone, d.now()) }))
		d.zones[zone] = e
		d.log.Info().Str("time_zone", zone).Time("next", sched.Next(d.now())).Msg("scheduled")
		d.catchUp(ctx, zone, sched)
	}
	return nil
}

// catchUp runs, at once, the latest tick of zone that was due while no daemon
// ran. A zone and spec never seen before (the first start, a new zone, a
// changed spec) have nothing to catch up: the start is recorded instead.
func (d *daemon) catchUp(ctx context.Context, zone string, sched cron.Schedule) {
	now := d.now()
	last, ok, err := d.db.LastTick(ctx, zone, d.spec)
	if err != nil {
		d.log.Error().Err(err).Str("time_zone", zone).Msg("reading the last tick; not catching up")
		return
	}
	if !ok {
		if err := d.db.RecordTick(ctx, zone, d.spec, now); err != nil {
			d.log.Error().Err(err).Str("time_zone", zone).Msg("recording the first start")
		}
		d.log.Info().Str("time_zone", zone).Msg("first start for this time zone and spec: nothing to catch up")
		return
	}
	missed := latestFire(sched, last, now)
	if missed.IsZero() {
		return
	}
	d.log.Warn().Str("time_zone", zone).Time("last_tick", last).Time("missed", missed).Msg("catching up a tick missed while no daemon ran")
	d.catchUps.Add(1)
	go func() {
		defer d.catchUps.Done()
		d.fire(ctx, zone, missed)
	}()
}

// latestFire is the latest fire time of sched in (last, now], or the zero
// time when there is none.
func latestFire(sched cron.Schedule, last, now time.Time) time.Time {
	fire := sched.Next(last)
	if fire.IsZero() || fire.After(now) {
		return time.Time{}
	}
	// Bounded: an "@every 1s" daemon down for a day is 86,400 steps.
	for i := 0; i < 1_000_000; i++ {
		n := sched.Next(fire)
		if n.IsZero() || n.After(now) {
			break
		}
		fire = n
	}
	return fire
}

// fire runs a tick of zone dated at, unless the zone's previous tick is still
// running: then the tick is skipped, not stacked.
func (d *daemon) fire(ctx context.Context, zone string, at time.Time) {
	d.mu.Lock()
	e, ok := d.zones[zone]
	d.mu.Unlock()
	if !ok {
		d.log.Error().Str("time_zone", zone).Msg("tick of a time zone that is not scheduled")
		return
	}
	if !e.busy.TryLock() {
		d.log.Warn().Str("time_zone", zone).Time("tick", at).Msg("tick skipped: the previous tick of this time zone is still running")
		return
	}
	defer e.busy.Unlock()
	d.tick(ctx, zone, at)
}

// tick runs the batch for every school of one time zone, in turn, for the
// week after at. A school that fails or panics is logged and the next one
// still runs. On cancellation the school in progress finishes and the others
// are abandoned (not started). A tick that ran every school is recorded, so
// that a tick cut short by a stop or a crash is caught up on the next start.
func (d *daemon) tick(ctx context.Context, zone string, at time.Time) {
	if ctx.Err() != nil {
		return
	}
	schools, err := d.db.Schools(ctx)
	if err != nil {
		d.log.Error().Err(err).Str("time_zone", zone).Msg("listing schools")
		return
	}
	d.log.Info().Str("time_zone", zone).Time("tick", at).Msg("tick")
	complete := true
	for _, s := range schools {
		if zoneOf(s.Timezone) != zone {
			continue
		}
		if ctx.Err() != nil {
			d.log.Warn().Str("school", s.ID).Msg("stopping: school not started")
			complete = false
			continue
		}
		week := nextWeekStart(at, s.Timezone)
		d.log.Info().Str("school", s.ID).Str("week", week).Msg("school started")
		// A school once started is finished even if ctx is cancelled.
		o := d.runOne(context.WithoutCancel(ctx), s.ID, week)
		d.log.Info().Str("school", o.School).Str("week", o.Week).Str("status", o.Status).Int("version", o.Version).Msg("school done")
	}
	if !complete {
		return
	}
	if err := d.db.RecordTick(context.WithoutCancel(ctx), zone, d.spec, at); err != nil {
		d.log.Error().Err(err).Str("time_zone", zone).Msg("recording the tick")
	}
}

// runOne runs one school, turning a panic into a failed outcome.
func (d *daemon) runOne(ctx context.Context, school, week string) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{School: school, Week: week, Status: statusFailed, Err: fmt.Errorf("panic: %v", r)}
			d.log.Error().Str("school", school).Str("week", week).Str("panic", fmt.Sprint(r)).
				Str("stack", string(debug.Stack())).Msg("school run panicked; going on with the next school")
		}
	}()
	return d.runSchool(ctx, school, week)
}

// zoneOf is the time zone a school's runs are scheduled in: its own, or UTC
// when it has none or an unknown one.
func zoneOf(tz string) string {
	if tz == "" {
		return "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "UTC"
	}
	return tz
}

// zoneSchedule parses spec in the time zone. A five-field spec or a calendar
// descriptor (@daily, @weekly) fires once per wall-clock time across daylight
// saving changes (dstSchedule); @every is a fixed interval and needs no care.
func zoneSchedule(spec, zone string) (cron.Schedule, error) {
	s, err := cronParser().Parse("CRON_TZ=" + zone + " " + spec)
	if err != nil {
		return nil, err
	}
	if ss, ok := s.(*cron.SpecSchedule); ok {
		return dstSchedule{ss}, nil
	}
	return s, nil
}

// dstSchedule corrects robfig/cron's SpecSchedule across daylight saving
// changes, as Vixie cron does:
//
//   - a wall-clock time that the spring-forward change skips (02:30 in New
//     York on 2026-03-08) fires once, at the first instant after the gap
//     (03:00 EDT); robfig's Next skips that day;
//   - a wall-clock time that the fall-back change repeats (01:30 in New York
//     on 2026-11-01) fires once, at its first occurrence (01:30 EDT); robfig's
//     Next fires at both 01:30 EDT and 01:30 EST.
//
// TestDSTFiresOncePerDay shows both, and TestRobfigDST robfig's own behaviour.
type dstSchedule struct {
	spec *cron.SpecSchedule
}

// Next returns the first fire time after t, or the zero time if there is none
// within robfig's five-year horizon.
func (s dstSchedule) Next(t time.Time) time.Time {
	for i := 0; i < 1000; i++ {
		n := s.spec.Next(t)
		if n.IsZero() {
			return n
		}
		if end, ok := s.skippedFire(t, n); ok {
			return end
		}
		if !repeatedWallClock(n, s.spec.Location) {
			return n
		}
		t = n
	}
	return time.Time{}
}

// skippedFire finds a spring-forward gap in (t, n] that swallowed a fire time
// of the spec, and returns the instant the gap ends.
func (s dstSchedule) skippedFire(t, n time.Time) (time.Time, bool) {
	loc := s.spec.Location
	const step = 12 * time.Hour // far shorter than the time between two changes
	for c := t; c.Before(n); {
		next := c.Add(step)
		if next.After(n) {
			next = n
		}
		_, offC := c.In(loc).Zone()
		_, offN := next.In(loc).Zone()
		if offN > offC {
			end := transition(c, next, loc)
			// The wall-clock times of the gap, read with the old offset, are
			// real instants in [end, end+gap): does the spec match one?
			old := *s.spec
			old.Location = time.FixedZone("", offC)
			gap := time.Duration(offN-offC) * time.Second
			if m := old.Next(end.Add(-time.Second)); !m.IsZero() && m.Before(end.Add(gap)) {
				return end, true
			}
		}
		c = next
	}
	return time.Time{}, false
}

// transition is the first instant in (a, b] (to the second) whose offset in
// loc is b's.
func transition(a, b time.Time, loc *time.Location) time.Time {
	_, want := b.In(loc).Zone()
	for b.Sub(a) > time.Second {
		mid := a.Add(b.Sub(a) / 2).Truncate(time.Second)
		if !mid.After(a) {
			break
		}
		if _, off := mid.In(loc).Zone(); off == want {
			b = mid
		} else {
			a = mid
		}
	}
	return b
}

// repeatedWallClock reports whether the wall-clock time of n in loc already
// occurred once before, in the hour that a fall-back change repeats.
func repeatedWallClock(n time.Time, loc *time.Location) bool {
	local := n.In(loc)
	_, off := local.Zone()
	_, before := n.Add(-3 * time.Hour).In(loc).Zone()
	if before <= off {
		return false
	}
	earlier := n.Add(-time.Duration(before-off) * time.Second).In(loc)
	y1, m1, d1 := local.Date()
	y2, m2, d2 := earlier.Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && local.Hour() == earlier.Hour() &&
		local.Minute() == earlier.Minute() && local.Second() == earlier.Second()
}

// cronLogger adapts zerolog to cron.Logger.
type cronLogger struct{ log zerolog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug().Fields(kv).Msg("cron: " + msg)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}
