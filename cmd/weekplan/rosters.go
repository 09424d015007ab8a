package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/roster"
)

// RostersCommand writes every teacher's rosters for a week.
type RostersCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	out     string
}

// ParseFlags parses the rosters command line.
func (c *RostersCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("rosters", "--school ID --week DATE --out DIR [--version V]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version (default: the published one, else the latest)")
	fs.StringVar(&c.out, "out", "", "directory to write the rosters into (created if missing)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require("rosters", map[string]string{"out": c.out}); err != nil {
		return err
	}
	return c.sw.validate("rosters")
}

// Run writes the rosters and prints the index page's path.
func (c *RostersCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "rosters")
	if err != nil {
		return err
	}
	defer db.Close()
	files, version, err := writeRosters(ctx, db, c.sw.school, c.sw.week, c.version, c.out)
	if err != nil {
		return err
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", version).
		Int("files", len(files)).Msg("rosters written")
	fmt.Fprintln(c.main.Stdout, filepath.Join(c.out, "index.html"))
	return nil
}

// writeRosters loads a stored schedule and its instance and writes the
// rosters into dir; it returns the files written and the version used.
func writeRosters(ctx context.Context, db *loader.DB, school, week string, version int, dir string) ([]string, int, error) {
	w, err := loadVersion(ctx, db, school, week, version)
	if err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("creating %s: %w", dir, err)
	}
	files, err := roster.Write(dir, w.inst, w.sched)
	if err != nil {
		return nil, 0, fmt.Errorf("writing rosters: %w", err)
	}
	return files, w.info.Version, nil
}
