package main

import (
	"context"
	"time"
)

// ExportCommand writes a stored schedule as a weekplan.schedule/v1 file.
type ExportCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	out     string
}

// ParseFlags parses the export command line.
func (c *ExportCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("export", "--school ID --week DATE --out S.json [--version V]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version to export (default: the published one, else the latest)")
	fs.StringVar(&c.out, "out", "-", "schedule file to write (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return c.sw.validate("export")
}

// Run exports the schedule.
func (c *ExportCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "export")
	if err != nil {
		return err
	}
	defer db.Close()
	sched, info, err := db.Schedule(ctx, c.sw.school, c.sw.week, c.version)
	if err != nil {
		return err
	}
	data, err := marshalJSON(sched)
	if err != nil {
		return err
	}
	if err := writeOutput(c.main.Stdout, c.out, data); err != nil {
		return err
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", info.Version).
		Str("state", info.State).Msg("exported")
	return nil
}

// isDate reports whether s is a date YYYY-MM-DD.
func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}
