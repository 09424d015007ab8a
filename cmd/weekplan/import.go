package main

import (
	"context"
)

// ImportCommand loads an instance file into the database.
type ImportCommand struct {
	main *Main
	in   string
}

// ParseFlags parses the import command line.
func (c *ImportCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("import", "--in I.json")
	fs.StringVar(&c.in, "in", "", "instance file (weekplan.instance/v1; - for stdin)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return require("import", map[string]string{"in": c.in})
}

// Run validates the instance and imports it in one transaction; a rejected
// instance writes nothing (exit status 2).
func (c *ImportCommand) Run(ctx context.Context) error {
	inst, err := readInstance(c.in)
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
