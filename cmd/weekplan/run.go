package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// RunCommand is the batch job: for every school (or one), load the week's
// instance, solve it and write the schedule back as a new version.
type RunCommand struct {
	main  *Main
	opt   batchOptions
	clock func() time.Time // the clock that picks the default week; nil: time.Now
}

// batchOptions are the options of one batch run.
type batchOptions struct {
	solve   solveFlags
	school  string // empty: every school
	week    string // empty: next week in each school's time zone
	force   bool   // write a new version even when the input is unchanged
	workers int    // schools run at once by runBatch; 0: defaultWorkers

	stable stableFlags // stable.go: adjust the week's current version, or --fresh
}

// Bounds of run's worker pool.
const (
	defaultWorkers = 2
	maxWorkers     = 32
)

// ParseFlags parses the run command line.
func (c *RunCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("run", "[--school ID] [--week DATE] [--fresh | --max-churn N] [--workers N] [--seed N] [--effort N] [--time-limit D] [--force]")
	fs.StringVar(&c.opt.school, "school", "", "only this school (default: every school)")
	fs.StringVar(&c.opt.week, "week", "", "week start YYYY-MM-DD (default: next week in each school's time zone)")
	fs.BoolVar(&c.opt.force, "force", false, "write a new version even when the input is unchanged")
	c.opt.stable.register(fs)
	c.opt.solve.register(fs)
	// In run, --workers is the number of schools solved at once; the
	// processors are shared out among their solvers (a schedule does not
	// depend on its solver's thread count).
	c.opt.solve.workers = defaultWorkers
	w := fs.Lookup("workers")
	w.DefValue = strconv.Itoa(defaultWorkers)
	w.Usage = fmt.Sprintf("schools run at once, 1 to %d; each is claimed, so other run or daemon processes take other schools", maxWorkers)
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.opt.week != "" {
		if _, err := time.Parse("2006-01-02", c.opt.week); err != nil {
			return usagef("run", "--week %q is not a date YYYY-MM-DD", c.opt.week)
		}
	}
	if err := c.opt.solve.resolve("run", fs, c.main.Getenv); err != nil {
		return err
	}
	if err := c.opt.stable.validate("run", fs); err != nil {
		return err
	}
	c.opt.workers = c.opt.solve.workers
	if c.opt.workers == 0 {
		c.opt.workers = defaultWorkers
	}
	if c.opt.workers > maxWorkers {
		return usagef("run", "--workers must be between 1 and %d", maxWorkers)
	}
	c.opt.solve.workers = max(1, runtime.GOMAXPROCS(0)/c.opt.workers)
	return nil
}

// Run runs the batch once and prints a per-school summary. The exit status is
// 1 if any school failed, else 2 if any school's input was rejected, else 3 if
// any schedule has unplaced slots or shortfalls, else 0. A school claimed by
// another process counts as a success: that process schedules it.
func (c *RunCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "run")
	if err != nil {
		return err
	}
	defer db.Close()
	clock := c.clock
	if clock == nil {
		clock = time.Now
	}
	outcomes, err := runBatch(ctx, db, syncLogger(c.main), c.opt, clock())
	if err != nil {
		return err
	}
	if err := writeSummary(c.main.Stdout, outcomes); err != nil {
		return err
	}
	return batchError(outcomes)
}

// syncLogger returns the command's logger writing through a mutex, for the
// workers of one run to share (the standard error of a test is a plain
// buffer).
func syncLogger(m *Main) zerolog.Logger {
	w := io.Writer(&lockedWriter{w: m.Stderr})
	if f := strings.ToLower(m.Getenv("LOG_FORMAT")); f == "console" || f == "" && isTerminal(m.Stderr) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return m.Log.Output(w)
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Outcome statuses of one school's run.
const (
	statusOK         = "ok"
	statusUnchanged  = "unchanged"
	statusClaimed    = "claimed"    // another process is scheduling it; skipped
	statusIncomplete = "incomplete" // written, with unplaced slots or shortfalls
	statusRejected   = "rejected"   // the school's data breaks SPEC §2; nothing written
	statusFailed     = "failed"
)

// outcome is what happened to one school in a batch run.
type outcome struct {
	School    string
	Week      string
	Status    string
	Version   int
	Objective float64
	Unplaced  int
	Shortfall int
	Note      string // why, when there is no Err (a claimed school)
	Err       error
	// Time spent loading (with validation), solving and writing back.
	Load, Solve, Write time.Duration

	// Churn is the number of student-slots placed otherwise than in Basis,
	// the week's current version when the run began (0: there was none).
	Churn  int
	Basis  int
	Stable bool // the schedule adjusts Basis (else it was solved fresh)
}

// runBatch runs the selected schools on a pool of opt.workers goroutines and
// returns their outcomes in school id order. Each school's result depends on
// its own input and the seed only, whatever the number of workers. A school
// that fails, is rejected or panics is logged and recorded; the others still
// run. Once ctx is cancelled no further school is started, and the schools
// not started are left out of the outcomes; a school once started is
// finished.
func runBatch(ctx context.Context, db *loader.DB, log zerolog.Logger, opt batchOptions, now time.Time) ([]outcome, error) {
	var schools []loader.SchoolRef
	err := retryTransient(ctx, log, "listing schools", func() (err error) {
		schools, err = db.Schools(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing schools: %w", err)
	}
	type job struct{ school, week string }
	var jobs []job
	for _, s := range schools {
		if opt.school != "" && s.ID != opt.school {
			continue
		}
		week := opt.week
		if week == "" {
			week = nextWeekStart(now, s.Timezone)
		}
		jobs = append(jobs, job{s.ID, week})
	}
	if opt.school != "" && len(jobs) == 0 {
		return nil, usagef("run", "no school %q in the database (import it first)", opt.school)
	}

	workers := opt.workers
	if workers <= 0 {
		workers = defaultWorkers
	}
	workers = min(workers, maxWorkers, len(jobs))
	out := make([]outcome, len(jobs))
	started := make([]bool, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				// A stop request abandons only the schools not yet started.
				out[i] = runSchool(context.WithoutCancel(ctx), db, log, opt, jobs[i].school, jobs[i].week)
			}
		})
	}
feed:
	for i := range jobs {
		if ctx.Err() == nil {
			select {
			case next <- i:
				started[i] = true
				continue
			case <-ctx.Done():
			}
		}
		for _, j := range jobs[i:] {
			log.Warn().Str("school", j.school).Msg("stopping: school not started")
		}
		break feed
	}
	close(next)
	wg.Wait()
	done := out[:0]
	for i, o := range out {
		if started[i] {
			done = append(done, o)
		}
	}
	return done, nil
}

// Retries of a database call that lost its connection: retryTries tries in
// all, the first retry after retryDelay, each later one after twice the wait
// before it (0.2 s, 0.4 s, ... 3.2 s: about 6 s in all, enough for a server
// restart or a failover).
const (
	retryTries = 6
	retryDelay = 200 * time.Millisecond
)

// retryTransient calls f until it succeeds, fails with an error that is not
// loader.IsTransient, or has been tried retryTries times, waiting between
// tries with exponential backoff; a cancelled ctx ends the waiting. what
// names the operation in the log.
func retryTransient(ctx context.Context, log zerolog.Logger, what string, f func() error) error {
	return retryBackoff(ctx, log, what, retryTries, retryDelay, f)
}

// retryBackoff is retryTransient with the number of tries and the first
// delay given.
func retryBackoff(ctx context.Context, log zerolog.Logger, what string, tries int, delay time.Duration, f func() error) error {
	for try := 1; ; try++ {
		err := f()
		if err == nil || !loader.IsTransient(err) || try >= tries {
			return err
		}
		log.Warn().Err(err).Str("operation", what).Int("try", try).Dur("retry_in", delay).
			Msg("database connection lost; retrying")
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
}

// runSchool runs one school's week: claim, load, validate, solve, save. A
// panic is recovered into a failed outcome.
//
// The claim (loader.DB.Claim) is held from before loading until after the
// write-back, so that of any number of processes racing on the week exactly
// one solves it; the others report it claimed. Under the claim, a week whose
// latest version was computed from the same input and seed is reported
// unchanged without solving (unless opt.force). SaveSchedule's own lock and
// input-hash check stay the final guard, for a claim lost with its
// connection. Every database call is retried on connection loss.
func runSchool(ctx context.Context, db *loader.DB, log zerolog.Logger, opt batchOptions, school, week string) (o outcome) {
	o = outcome{School: school, Week: week}
	log = log.With().Str("school", school).Str("week", week).Logger()
	defer func() {
		if r := recover(); r != nil {
			o.Status, o.Err = statusFailed, fmt.Errorf("panic: %v", r)
			log.Error().Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).Msg("school run panicked")
		}
	}()

	var release func()
	var claimed bool
	err := retryTransient(ctx, log, "claim", func() (err error) {
		release, claimed, err = db.Claim(ctx, school, week)
		return err
	})
	if err != nil {
		o.Status, o.Err = statusFailed, err
		log.Error().Err(err).Msg("claiming failed")
		return o
	}
	if !claimed {
		o.Status, o.Note = statusClaimed, "another process is scheduling it"
		log.Info().Msg("claimed by another process; skipped")
		return o
	}
	defer release()

	start := time.Now()
	var inst *solver.Instance
	err = retryTransient(ctx, log, "load", func() (err error) {
		inst, err = db.LoadInstance(ctx, school, week)
		return err
	})
	if err != nil {
		o.Status, o.Err = statusFailed, err
		if errors.Is(err, loader.ErrNotFound) {
			o.Err = fmt.Errorf("no instance imported for school %q week %s", school, week)
		}
		log.Error().Err(o.Err).Msg("loading failed")
		return o
	}
	if err := inst.Validate(); err != nil {
		o.Status, o.Err = statusRejected, err
		// The log names the records and fields (ids) only; the messages, which
		// may quote an offending value, go to the run's summary.
		var paths []string
		var ve *solver.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				if len(paths) < 20 {
					paths = append(paths, p.Path)
				}
			}
		}
		log.Error().Strs("problems", paths).Msg("input rejected; nothing written for this school")
		return o
	}
	hash := loader.InputHash(inst)
	var latest *loader.VersionInfo
	err = retryTransient(ctx, log, "latest version", func() (err error) {
		latest, err = db.LatestVersion(ctx, school, week)
		return err
	})
	if err != nil {
		o.Status, o.Err = statusFailed, err
		log.Error().Err(err).Msg("loading failed")
		return o
	}
	o.Load = time.Since(start)
	before := 0
	if latest != nil {
		before = latest.Version
		if !opt.force && latest.InputHash == hash && latest.Seed == opt.solve.seed {
			o.Status, o.Version, o.Objective = statusUnchanged, latest.Version, latest.Objective
			o.Unplaced, o.Shortfall = latest.UnplacedSlots, latest.ShortfallMinutes
			log.Info().Int("version", latest.Version).Msg("input unchanged; nothing changed, no new version")
			return o
		}
	}

	// The current version (published, else latest) is the basis: a stable
	// run adjusts it; a fresh one is only compared with it.
	var current *solver.Schedule
	var b *basis
	if latest != nil {
		var info loader.VersionInfo
		if current, info, err = currentVersion(ctx, db, log, school, week); err != nil {
			o.Status, o.Err = statusFailed, err
			log.Error().Err(err).Msg("loading failed")
			return o
		}
		o.Basis, o.Stable = info.Version, !opt.stable.fresh
		if o.Stable {
			b = &basis{schedule: current, version: info.Version, maxChurn: opt.stable.maxChurn}
		}
	}
	o.Load = time.Since(start)

	start = time.Now()
	res, err := opt.solve.solve(ctx, log, inst, b)
	o.Solve = time.Since(start)
	if err != nil {
		o.Status, o.Err = statusFailed, err
		log.Error().Err(err).Msg("solving failed")
		return o
	}
	if current != nil {
		o.Churn = solver.Churn(inst, current, res.Schedule)
	}

	start = time.Now()
	meta := loader.RunMeta{InputHash: hash, Seed: opt.solve.seed, Force: opt.force}
	var saved loader.SaveResult
	tries := 0
	err = retryTransient(ctx, log, "write-back", func() (err error) {
		tries++
		if tries > 1 && opt.force {
			// A COMMIT lost with its connection may have gone through: a
			// version newer than the one seen before solving, from this
			// input and seed, is this run's.
			v, err := db.LatestVersion(ctx, school, week)
			if err != nil {
				return err
			}
			if v != nil && v.Version > before && v.InputHash == hash && v.Seed == opt.solve.seed {
				saved = loader.SaveResult{Version: v.Version}
				return nil
			}
		}
		saved, err = db.SaveSchedule(ctx, school, week, res.Schedule, meta)
		return err
	})
	o.Write = time.Since(start)
	if err != nil {
		o.Status, o.Err = statusFailed, fmt.Errorf("writing schedule: %w", err)
		log.Error().Err(o.Err).Msg("write-back failed; the previous version is intact")
		return o
	}
	if saved.Unchanged && saved.Version > before {
		// Written by this run's own earlier try whose COMMIT reply was lost.
		saved.Unchanged = false
	}
	o.Version, o.Objective = saved.Version, res.Score.Total
	o.Unplaced, o.Shortfall = res.Score.UnplacedSlots, res.Score.ShortfallMinutes
	timings := func(ev *zerolog.Event) *zerolog.Event {
		ev = ev.Int("version", saved.Version).Dur("load", o.Load).Dur("solve", o.Solve).Dur("write", o.Write)
		if o.Basis > 0 {
			ev = ev.Int("basis_version", o.Basis).Bool("stable", o.Stable).Int("churn", o.Churn)
		}
		return ev
	}
	switch {
	case saved.Unchanged:
		o.Status = statusUnchanged
		timings(log.Info()).Msg("input unchanged; nothing changed, no new version")
	case o.Unplaced > 0 || o.Shortfall > 0:
		o.Status = statusIncomplete
		timings(log.Warn()).Int("unplaced_slots", o.Unplaced).Int("shortfall_minutes", o.Shortfall).Msg("schedule written with unplaced slots or shortfalls")
	default:
		o.Status = statusOK
		timings(log.Info()).Msg("schedule written")
	}
	return o
}

// nextWeekStart is the Monday after now in the time zone tz (UTC when empty
// or unknown): on a Friday evening, the coming Monday.
func nextWeekStart(now time.Time, tz string) string {
	loc := time.UTC
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	local := now.In(loc)
	days := (8 - int(local.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	return local.AddDate(0, 0, days).Format("2006-01-02")
}

// writeSummary prints one line per school.
func writeSummary(w io.Writer, outcomes []outcome) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHOOL\tWEEK\tSTATUS\tVERSION\tOBJECTIVE\tUNPLACED\tSHORT MIN\tCHURN\tDETAIL")
	for _, o := range outcomes {
		detail := o.Note
		if o.Err != nil {
			detail = o.Err.Error()
		}
		version, objective, churn := "-", "-", "-"
		if o.Version > 0 {
			version, objective = fmt.Sprint(o.Version), fmt.Sprintf("%.3f", o.Objective)
		}
		if o.Basis > 0 && o.Status != statusUnchanged && o.Err == nil {
			churn = fmt.Sprint(o.Churn)
			if detail == "" {
				detail = describeBasis(o.Stable, o.Basis)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", o.School, o.Week, o.Status, version, objective, o.Unplaced, o.Shortfall, churn, firstLine(detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, o := range outcomes {
		if o.Err != nil && firstLine(o.Err.Error()) != o.Err.Error() {
			fmt.Fprintf(w, "\n%s week %s: %v\n", o.School, o.Week, o.Err)
		}
	}
	return nil
}

// batchError maps the outcomes to the run's error (and so its exit status).
func batchError(outcomes []outcome) error {
	var failed, rejected, incomplete int
	for _, o := range outcomes {
		switch o.Status {
		case statusFailed:
			failed++
		case statusRejected:
			rejected++
		case statusIncomplete:
			incomplete++
		case statusUnchanged:
			if o.Unplaced > 0 || o.Shortfall > 0 {
				incomplete++
			}
		}
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d of %d school(s) failed", failed, len(outcomes))
	case rejected > 0:
		return fmt.Errorf("%w: %d of %d school(s) have invalid data; nothing was written for them", errRejected, rejected, len(outcomes))
	case incomplete > 0:
		return errIncomplete
	}
	return nil
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i] + " …"
		}
	}
	return s
}
