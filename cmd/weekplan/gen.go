package main

import (
	"context"
	"fmt"

	"github.com/weekplan/weekplan/fixtures"
)

// GenCommand writes a synthetic instance.
type GenCommand struct {
	main     *Main
	students int
	seed     int64
	school   string
	week     string
	out      string
}

// ParseFlags parses the gen command line.
func (c *GenCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("gen", "--students N [--seed N] [--school ID] [--week DATE] --out I.json")
	fs.IntVar(&c.students, "students", 0, "number of students (1 to 100000)")
	fs.Int64Var(&c.seed, "seed", 1, "random seed")
	fs.StringVar(&c.school, "school", "", "school id (default: generated from the seed)")
	fs.StringVar(&c.week, "week", "", "week start, a Monday YYYY-MM-DD (default: the generator's)")
	fs.StringVar(&c.out, "out", "-", "instance file to write (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.students < 1 || c.students > 100000 {
		return usagef("gen", "--students must be between 1 and 100000, got %d", c.students)
	}
	return nil
}

// Run generates and writes the instance.
func (c *GenCommand) Run(ctx context.Context) error {
	inst := fixtures.Generate(fixtures.GenOptions{Students: c.students, Seed: c.seed, SchoolID: c.school, WeekStart: c.week})
	if err := inst.Validate(); err != nil {
		return fmt.Errorf("generator produced an invalid instance (a bug): %w", err)
	}
	data, err := fixtures.MarshalInstance(inst)
	if err != nil {
		return err
	}
	if err := writeOutput(c.main.Stdout, c.out, data); err != nil {
		return err
	}
	c.main.Log.Info().Str("school", inst.School.ID).Str("week", inst.WeekStart).Int("students", len(inst.Students)).
		Int("teachers", len(inst.Teachers)).Int("rooms", len(inst.Rooms)).Msg("generated instance")
	return nil
}
