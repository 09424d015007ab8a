package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/weekplan/weekplan/solver"
)

// CheckCommand validates a schedule against an instance and prints its score.
type CheckCommand struct {
	main     *Main
	in       string
	schedule string
	asJSON   bool
}

// ParseFlags parses the check command line.
func (c *CheckCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("check", "--in I.json --schedule S.json [--json]")
	fs.StringVar(&c.in, "in", "", "instance file")
	fs.StringVar(&c.schedule, "schedule", "", "schedule file to check (- for stdin)")
	fs.BoolVar(&c.asJSON, "json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	return require("check", map[string]string{"in": c.in, "schedule": c.schedule})
}

// Run prints every violation and the §4 score term by term. An invalid
// schedule is rejected input: exit status 2.
func (c *CheckCommand) Run(ctx context.Context) error {
	inst, err := readInstance(c.in)
	if err != nil {
		return err
	}
	data, err := readInput(c.schedule)
	if err != nil {
		return fmt.Errorf("reading schedule: %w", err)
	}
	sched, err := solver.ParseSchedule(data)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", c.schedule, errRejected, err)
	}
	rep := solver.Check(inst, sched)
	if c.asJSON {
		out, err := marshalJSON(rep)
		if err != nil {
			return err
		}
		if _, err := c.main.Stdout.Write(out); err != nil {
			return err
		}
	} else if err := writeCheckReport(c.main.Stdout, rep, sched); err != nil {
		return err
	}
	if !rep.Valid() {
		return fmt.Errorf("%w: schedule %s breaks %d rule(s)", errRejected, c.schedule, len(rep.Violations))
	}
	return nil
}

// writeCheckReport prints a check report for people.
func writeCheckReport(w io.Writer, rep *solver.CheckReport, s *solver.Schedule) error {
	if rep.Valid() {
		fmt.Fprintln(w, "valid: the schedule meets every hard constraint (H1–H8)")
	} else {
		fmt.Fprintf(w, "INVALID: %d violation(s)\n", len(rep.Violations))
		for _, v := range rep.Violations {
			fmt.Fprintf(w, "  %s\n", v)
		}
	}
	sc := rep.Score
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nobjective (SPEC §4), term by term:")
	for _, row := range []struct {
		name string
		v    float64
	}{
		{"small-group need", sc.GroupNeed},
		{"tutoring need", sc.TutorNeed},
		{"interest", sc.Interest},
		{"independent work", sc.Independent},
		{"continuity", sc.Stable},
		{"teacher contact", sc.Contact},
		{fmt.Sprintf("unplaced (%d slots)", sc.UnplacedSlots), sc.Unplaced},
		{fmt.Sprintf("IEP shortfall (%d minutes)", sc.ShortfallMinutes), sc.IEP},
		{"total", sc.Total},
	} {
		fmt.Fprintf(tw, "  %s\t%.6f\t\n", row.name, row.v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "claimed objective %.6f", s.Objective)
	if s.Bound != nil {
		fmt.Fprintf(w, ", bound %.6f, gap %.6g", *s.Bound, gap(sc.Total, *s.Bound))
	}
	fmt.Fprintln(w)
	return nil
}
