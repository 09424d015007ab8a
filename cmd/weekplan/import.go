package main

import (
	"context"
	"fmt"
	"os"

	"github.com/weekplan/weekplan/loader/oneroster"
	"github.com/weekplan/weekplan/solver"
)

// ImportCommand loads an instance file, or a OneRoster directory, into the
// database.
type ImportCommand struct {
	main      *Main
	in        string
	oneroster string
}

// ParseFlags parses the import command line.
func (c *ImportCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("import", "--in I.json | --oneroster DIR")
	fs.StringVar(&c.in, "in", "", "instance file (weekplan.instance/v1; - for stdin)")
	fs.StringVar(&c.oneroster, "oneroster", "", "OneRoster 1.2 CSV directory with weekplan's extra files (docs/oneroster.md)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (c.in == "") == (c.oneroster == "") {
		return usagef("import", "give exactly one of --in and --oneroster")
	}
	return nil
}

// Run validates the instance and imports it in one transaction; a rejected
// instance writes nothing (exit status 2).
func (c *ImportCommand) Run(ctx context.Context) error {
	inst, err := c.read()
	if err != nil {
		return err
	}
	db, err := c.main.openDB(ctx, "import")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Import(ctx, inst); err != nil {
		return err
	}
	c.main.Log.Info().Str("school", inst.School.ID).Str("week", inst.WeekStart).
		Int("students", len(inst.Students)).Int("teachers", len(inst.Teachers)).
		Int("rooms", len(inst.Rooms)).Int("slots", len(inst.Slots)).Int("pins", len(inst.Pins)).
		Msg("imported")
	return nil
}

// read reads and validates the instance from --in or --oneroster.
func (c *ImportCommand) read() (*solver.Instance, error) {
	if c.in != "" {
		return readInstance(c.in)
	}
	if fi, err := os.Stat(c.oneroster); err != nil || !fi.IsDir() {
		return nil, usagef("import", "--oneroster %q is not a directory", c.oneroster)
	}
	inst, sum, err := oneroster.ReadWithSummary(os.DirFS(c.oneroster))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.oneroster, err)
	}
	if err := inst.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.oneroster, err)
	}
	c.main.Log.Info().Str("school", inst.School.ID).Str("week", inst.WeekStart).
		Int("classes", sum.Classes).Int("skipped_classes", sum.SkippedClasses).Int("enrollments", sum.Enrollments).
		Int("at_risk", sum.AtRisk).Msg("read OneRoster directory")
	return inst, nil
}
