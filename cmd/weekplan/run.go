package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
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
	solve  solveFlags
	school string // empty: every school
	week   string // empty: next week in each school's time zone
	force  bool   // write a new version even when the input is unchanged
}

// ParseFlags parses the run command line.
func (c *RunCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("run", "[--school ID] [--week DATE] [--seed N] [--effort N] [--time-limit D] [--force]")
	fs.StringVar(&c.opt.school, "school", "", "only this school (default: every school)")
	fs.StringVar(&c.opt.week, "week", "", "week start YYYY-MM-DD (default: next week in each school's time zone)")
	fs.BoolVar(&c.opt.force, "force", false, "write a new version even when the input is unchanged")
	c.opt.solve.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.opt.week != "" {
		if _, err := time.Parse("2006-01-02", c.opt.week); err != nil {
			return usagef("run", "--week %q is not a date YYYY-MM-DD", c.opt.week)
		}
	}
	return c.opt.solve.resolve("run", fs, c.main.Getenv)
}

// Run runs the batch once and prints a per-school summary. The exit status is
// 1 if any school failed, else 2 if any school's input was rejected, else 3 if
// any schedule has unplaced slots or shortfalls, else 0.
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
	outcomes, err := runBatch(ctx, db, c.main.Log, c.opt, clock())
	if err != nil {
		return err
	}
	if err := writeSummary(c.main.Stdout, outcomes); err != nil {
		return err
	}
	return batchError(outcomes)
}

// Outcome statuses of one school's run.
const (
	statusOK         = "ok"
	statusUnchanged  = "unchanged"
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
	Err       error
}

// runBatch runs every selected school in turn. A school that fails, is
// rejected or panics is logged and recorded; the next school still runs.
func runBatch(ctx context.Context, db *loader.DB, log zerolog.Logger, opt batchOptions, now time.Time) ([]outcome, error) {
	schools, err := db.Schools(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing schools: %w", err)
	}
	var out []outcome
	found := false
	for _, s := range schools {
		if opt.school != "" && s.ID != opt.school {
			continue
		}
		found = true
		if ctx.Err() != nil {
			log.Warn().Str("school", s.ID).Msg("stopping: school not started")
			break
		}
		week := opt.week
		if week == "" {
			week = nextWeekStart(now, s.Timezone)
		}
		// A school once started is finished even if ctx is cancelled: a
		// stop request abandons only the schools not yet started.
		o := runSchool(context.WithoutCancel(ctx), db, log, opt, s.ID, week)
		out = append(out, o)
	}
	if opt.school != "" && !found {
		return nil, usagef("run", "no school %q in the database (import it first)", opt.school)
	}
	return out, nil
}

// runSchool runs one school's week: load, validate, solve, save. A panic is
// recovered into a failed outcome.
func runSchool(ctx context.Context, db *loader.DB, log zerolog.Logger, opt batchOptions, school, week string) (o outcome) {
	o = outcome{School: school, Week: week}
	log = log.With().Str("school", school).Str("week", week).Logger()
	defer func() {
		if r := recover(); r != nil {
			o.Status, o.Err = statusFailed, fmt.Errorf("panic: %v", r)
			log.Error().Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).Msg("school run panicked")
		}
	}()
	inst, err := db.LoadInstance(ctx, school, week)
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
	res, err := opt.solve.solve(ctx, log, inst)
	if err != nil {
		o.Status, o.Err = statusFailed, err
		log.Error().Err(err).Msg("solving failed")
		return o
	}
	saved, err := db.SaveSchedule(ctx, school, week, res.Schedule, loader.RunMeta{
		InputHash: loader.InputHash(inst), Seed: opt.solve.seed, Force: opt.force,
	})
	if err != nil {
		o.Status, o.Err = statusFailed, fmt.Errorf("writing schedule: %w", err)
		log.Error().Err(o.Err).Msg("write-back failed; the previous version is intact")
		return o
	}
	o.Version, o.Objective = saved.Version, res.Score.Total
	o.Unplaced, o.Shortfall = res.Score.UnplacedSlots, res.Score.ShortfallMinutes
	switch {
	case saved.Unchanged:
		o.Status = statusUnchanged
		log.Info().Int("version", saved.Version).Msg("input unchanged; nothing changed, no new version")
	case o.Unplaced > 0 || o.Shortfall > 0:
		o.Status = statusIncomplete
		log.Warn().Int("version", saved.Version).Int("unplaced_slots", o.Unplaced).Int("shortfall_minutes", o.Shortfall).Msg("schedule written with unplaced slots or shortfalls")
	default:
		o.Status = statusOK
		log.Info().Int("version", saved.Version).Msg("schedule written")
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
	fmt.Fprintln(tw, "SCHOOL\tWEEK\tSTATUS\tVERSION\tOBJECTIVE\tUNPLACED\tSHORT MIN\tDETAIL")
	for _, o := range outcomes {
		detail := ""
		if o.Err != nil {
			detail = o.Err.Error()
		}
		version, objective := "-", "-"
		if o.Version > 0 {
			version, objective = fmt.Sprint(o.Version), fmt.Sprintf("%.3f", o.Objective)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", o.School, o.Week, o.Status, version, objective, o.Unplaced, o.Shortfall, firstLine(detail))
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
