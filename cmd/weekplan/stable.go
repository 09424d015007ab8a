package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// stableFlags choose between a stable re-solve of a week that already has a
// version and a fresh one (docs/administration.md, docs/model.md §7).
type stableFlags struct {
	// fresh solves from scratch, ignoring the week's current version.
	fresh bool
	// maxChurn is solver.Options.MaxChurn: 0 moves only what the new input
	// forces, N at most max(N, forced) student-slots, -1 no limit.
	maxChurn int
}

// register adds --fresh and --max-churn to fs.
func (f *stableFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.fresh, "fresh", false, "solve from scratch instead of adjusting the week's current version (published, else latest)")
	fs.IntVar(&f.maxChurn, "max-churn", 0, "student-slots that may move against the current version beyond those the new input forces: 0 only those, N at most N in all, -1 no limit")
}

// validate checks the flags after parsing.
func (f *stableFlags) validate(cmd string, fs *flag.FlagSet) error {
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "max-churn" })
	if f.maxChurn < -1 {
		return usagef(cmd, "--max-churn must be -1 (no limit) or more")
	}
	if f.fresh && given {
		return usagef(cmd, "--max-churn limits a stable run; it has no meaning with --fresh")
	}
	return nil
}

// basis is the schedule a stable solve stays close to, with its churn limit.
type basis struct {
	schedule *solver.Schedule
	version  int // its stored version; 0 for a file
	maxChurn int
}

// currentVersion reads the week's current version — the published one, else
// the latest — retrying on connection loss.
func currentVersion(ctx context.Context, db *loader.DB, log zerolog.Logger, school, week string) (*solver.Schedule, loader.VersionInfo, error) {
	var sched *solver.Schedule
	var info loader.VersionInfo
	err := retryTransient(ctx, log, "current version", func() (err error) {
		sched, info, err = db.Schedule(ctx, school, week, 0)
		return err
	})
	return sched, info, err
}

// churnFields adds a solve's churn to a log event: the student-slots placed
// otherwise than in the version it adjusted, and how many of them the input
// forced.
func churnFields(ev *zerolog.Event, b *basis, res *solver.Result) *zerolog.Event {
	if b == nil {
		return ev
	}
	ev = ev.Int("churn", res.Churn).Int("forced_churn", res.ForcedChurn).Int("max_churn", b.maxChurn)
	if b.version > 0 {
		ev = ev.Int("basis_version", b.version)
	}
	return ev
}

// describeBasis says in a few words what a run's schedule was compared with,
// for the summary.
func describeBasis(stable bool, version int) string {
	switch {
	case version == 0:
		return ""
	case stable:
		return fmt.Sprintf("adjusted version %d", version)
	}
	return fmt.Sprintf("fresh; against version %d", version)
}

// readSchedule reads a schedule file; a malformed one, or one of another
// format, is rejected input (exit status 2).
func readSchedule(path string) (*solver.Schedule, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("reading schedule: %w", err)
	}
	sched, err := solver.ParseSchedule(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, errRejected, err)
	}
	if sched.Format != solver.ScheduleFormat {
		return nil, fmt.Errorf("%s: %w: format %q, want %q", path, errRejected, sched.Format, solver.ScheduleFormat)
	}
	return sched, nil
}
