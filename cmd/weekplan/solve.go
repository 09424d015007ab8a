package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/solver"
)

// SolveCommand solves an instance file without a database.
type SolveCommand struct {
	main     *Main
	opt      solveFlags
	in       string
	out      string
	previous string // schedule file to stay close to; empty: solve from scratch
	maxChurn int
}

// solveFlags are the solver flags shared by solve, run and daemon.
type solveFlags struct {
	seed      int64
	effort    int
	workers   int
	timeLimit time.Duration
	// now is the clock of the progress log's rate limit (nil: time.Now).
	now func() time.Time
}

// progressEvery is the least time between two "solving" progress lines.
const progressEvery = time.Second

// register adds the solver flags to fs; the time limit defaults to
// WEEKPLAN_TIME_LIMIT.
func (f *solveFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&f.seed, "seed", 1, "random seed; the same input and seed give the same schedule")
	fs.IntVar(&f.effort, "effort", 0, "deterministic work limit (0: the solver's default; env WEEKPLAN_EFFORT)")
	fs.IntVar(&f.workers, "workers", 0, "solver threads (0: 2); the result does not depend on it")
	fs.DurationVar(&f.timeLimit, "time-limit", 0, "cap on solving time per school, e.g. 30s (0: none; env WEEKPLAN_TIME_LIMIT)")
}

// resolve applies WEEKPLAN_TIME_LIMIT when --time-limit was not given.
func (f *solveFlags) resolve(cmd string, fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["effort"] {
		if s := getenv("WEEKPLAN_EFFORT"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return usagef(cmd, "WEEKPLAN_EFFORT=%q is not a whole number ≥ 0", s)
			}
			f.effort = n
		}
	}
	if !given["time-limit"] {
		if s := getenv("WEEKPLAN_TIME_LIMIT"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return usagef(cmd, "WEEKPLAN_TIME_LIMIT=%q is not a duration such as 30s or 2m", s)
			}
			f.timeLimit = d
		}
	}
	if f.timeLimit < 0 {
		return usagef(cmd, "--time-limit must not be negative")
	}
	if f.effort < 0 || f.workers < 0 {
		return usagef(cmd, "--effort and --workers must not be negative")
	}
	return nil
}

// options are the solver options of the flags; with b, a stable solve
// against b's schedule.
func (f *solveFlags) options(log zerolog.Logger, b *basis) solver.Options {
	now := f.now
	if now == nil {
		now = time.Now
	}
	last := now()
	var prev *solver.Schedule
	maxChurn := 0
	if b != nil {
		prev, maxChurn = b.schedule, b.maxChurn
	}
	return solver.Options{
		Seed:     f.seed,
		Effort:   f.effort,
		Workers:  f.workers,
		Previous: prev,
		MaxChurn: maxChurn,
		Progress: func(p solver.Progress) {
			t := now()
			if t.Sub(last) < progressEvery {
				return
			}
			last = t
			// Iteration 0 is the bound's phase, before the search.
			phase := "search"
			if p.Iteration == 0 {
				phase = "bound"
			}
			ev := log.Info().Str("phase", phase).Int("iteration", p.Iteration).Float64("objective", p.Objective)
			if p.HasBound {
				ev = ev.Float64("bound", p.Bound).Float64("gap", gap(p.Objective, p.Bound))
			}
			ev.Msg("solving")
		},
	}
}

// solve runs the solver under the time limit and logs the outcome; with b,
// a stable solve against b's schedule (nil: from scratch).
func (f *solveFlags) solve(ctx context.Context, log zerolog.Logger, inst *solver.Instance, b *basis) (*solver.Result, error) {
	if f.timeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeLimit)
		defer cancel()
	}
	start := time.Now()
	res, err := solver.Solve(ctx, inst, f.options(log, b))
	if err != nil {
		return nil, fmt.Errorf("solving school %q week %s: %w", inst.School.ID, inst.WeekStart, err)
	}
	ev := log.Info().Int("students", len(inst.Students)).Float64("objective", res.Score.Total).
		Int("unplaced_slots", res.Score.UnplacedSlots).Int("shortfall_minutes", res.Score.ShortfallMinutes).
		Int("iterations", res.Iterations).Str("stopped", res.Stopped).Bool("optimal", res.Optimal).
		Dur("elapsed", time.Since(start))
	if res.HasBound {
		ev = ev.Float64("bound", res.Bound).Float64("gap", gap(res.Score.Total, res.Bound))
	}
	churnFields(ev, b, res).Msg("solved")
	return res, nil
}

// gap is the relative gap (bound − objective)/|bound| where both are
// positive, else the absolute gap bound − objective (SPEC §5).
func gap(objective, bound float64) float64 {
	if objective > 0 && bound > 0 {
		return (bound - objective) / bound
	}
	return bound - objective
}

// ParseFlags parses the solve command line.
func (c *SolveCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("solve", "--in I.json --out S.json [--time-limit D] [--seed N] [--effort N] [--previous S0.json [--max-churn N]]")
	fs.StringVar(&c.in, "in", "", "instance file (weekplan.instance/v1; - for stdin)")
	fs.StringVar(&c.out, "out", "-", "schedule file to write (weekplan.schedule/v1; - for stdout)")
	fs.StringVar(&c.previous, "previous", "", "schedule file of the same school and week to adjust: change as few of its placements as the instance allows")
	fs.IntVar(&c.maxChurn, "max-churn", 0, "with --previous: student-slots that may move beyond those the instance forces: 0 only those, N at most N in all, -1 no limit")
	c.opt.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require("solve", map[string]string{"in": c.in}); err != nil {
		return err
	}
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "max-churn" })
	if given && c.previous == "" {
		return usagef("solve", "--max-churn needs --previous")
	}
	if c.maxChurn < -1 {
		return usagef("solve", "--max-churn must be -1 (no limit) or more")
	}
	return c.opt.resolve("solve", fs, c.main.Getenv)
}

// Run solves the instance and writes the schedule. It returns errIncomplete
// (exit 3) when the schedule has unplaced slots or shortfalls.
func (c *SolveCommand) Run(ctx context.Context) error {
	inst, err := readInstance(c.in)
	if err != nil {
		return err
	}
	var b *basis
	if c.previous != "" {
		prev, err := readSchedule(c.previous)
		if err != nil {
			return err
		}
		b = &basis{schedule: prev, maxChurn: c.maxChurn}
	}
	log := c.main.Log.With().Str("school", inst.School.ID).Str("week", inst.WeekStart).Logger()
	res, err := c.opt.solve(ctx, log, inst, b)
	if err != nil {
		return err
	}
	data, err := marshalJSON(res.Schedule)
	if err != nil {
		return err
	}
	if err := writeOutput(c.main.Stdout, c.out, data); err != nil {
		return err
	}
	if res.Score.UnplacedSlots > 0 || res.Score.ShortfallMinutes > 0 {
		return errIncomplete
	}
	return nil
}
