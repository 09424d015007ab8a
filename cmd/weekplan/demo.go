package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/pgcluster"
)

// DemoCommand runs the weekly cycle on the embedded demo school: it finds a
// database (DATABASE_URL, else the local server, else a throwaway cluster),
// creates the schema, imports the demo school, runs the batch job, writes the
// rosters and prints where they are. It is what `make run` calls.
type DemoCommand struct {
	main *Main
	out  string
	opt  solveFlags
}

// ParseFlags parses the demo command line.
func (c *DemoCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("demo", "[--out DIR]")
	fs.StringVar(&c.out, "out", "out", "directory for the rosters and the exported schedule")
	c.opt.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return c.opt.resolve("demo", fs, c.main.Getenv)
}

// Run runs the demo.
func (c *DemoCommand) Run(ctx context.Context) error {
	log := c.main.Log
	url, cleanup, err := c.database(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	db, err := loader.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting to the demo database: %w", err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	inst, err := fixtures.Demo()
	if err != nil {
		return err
	}
	if err := inst.Validate(); err != nil {
		return fmt.Errorf("the embedded demo school is invalid (a bug): %w", err)
	}
	if err := db.Import(ctx, inst); err != nil {
		return err
	}
	log.Info().Str("school", inst.School.ID).Str("week", inst.WeekStart).Int("students", len(inst.Students)).Msg("imported the demo school")
	opt := batchOptions{solve: c.opt, school: inst.School.ID, week: inst.WeekStart}
	outcomes, err := runBatch(ctx, db, log, opt, time.Now())
	if err != nil {
		return err
	}
	if err := writeSummary(c.main.Stdout, outcomes); err != nil {
		return err
	}
	if err := batchError(outcomes); err != nil && len(outcomes) > 0 && outcomes[0].Version == 0 {
		return err
	}
	dir := filepath.Join(c.out, "rosters", inst.School.ID, inst.WeekStart)
	files, version, err := writeRosters(ctx, db, inst.School.ID, inst.WeekStart, 0, dir)
	if err != nil {
		return err
	}
	sched, _, err := db.Schedule(ctx, inst.School.ID, inst.WeekStart, version)
	if err != nil {
		return err
	}
	data, err := marshalJSON(sched)
	if err != nil {
		return err
	}
	schedPath := filepath.Join(c.out, inst.School.ID+"-"+inst.WeekStart+".schedule.json")
	if err := writeOutput(c.main.Stdout, schedPath, data); err != nil {
		return err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	fmt.Fprintf(c.main.Stdout, "\nSchedule version %d: %s\nRosters (%d files): %s\n", version, abs(schedPath), len(files), abs(filepath.Join(dir, "index.html")))
	return nil
}

// database picks the demo's database and returns its URL and a cleanup.
func (c *DemoCommand) database(ctx context.Context) (string, func(), error) {
	noop := func() {}
	if url := c.main.Getenv("DATABASE_URL"); url != "" {
		c.main.Log.Info().Msg("using DATABASE_URL")
		return url, noop, nil
	}
	if pgcluster.Answers(ctx, pgcluster.LocalURL, 3*time.Second) {
		url, err := pgcluster.EnsureDatabase(ctx, pgcluster.LocalURL, "weekplan_demo")
		if err != nil {
			return "", nil, err
		}
		c.main.Log.Info().Str("database", "weekplan_demo").Msg("using the local server at 127.0.0.1:5432")
		return url, noop, nil
	}
	dir, err := os.MkdirTemp("", "weekplan-pg-")
	if err != nil {
		return "", nil, err
	}
	os.Chmod(dir, 0o755)
	c.main.Log.Info().Msg("no database answers: starting a throwaway cluster with the installed PostgreSQL binaries")
	cl, err := pgcluster.Start(ctx, filepath.Join(dir, "data"))
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("starting a throwaway PostgreSQL cluster: %w", err)
	}
	return cl.URL, func() {
		if err := cl.Stop(); err != nil {
			c.main.Log.Warn().Err(err).Msg("stopping the throwaway cluster")
		}
		os.RemoveAll(dir)
	}, nil
}
