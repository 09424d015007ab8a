package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// ExplainCommand tells why each of one student's blocks is what it is.
type ExplainCommand struct {
	main    *Main
	sw      schoolWeekFlags
	student string
	version int
	asJSON  bool
}

// ParseFlags parses the explain command line.
func (c *ExplainCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("explain", "--school ID --week DATE --student ID [--version V] [--json]")
	c.sw.register(fs)
	fs.StringVar(&c.student, "student", "", "student id")
	fs.IntVar(&c.version, "version", 0, "version to explain (default: the published one, else the latest)")
	fs.BoolVar(&c.asJSON, "json", false, "print the explanation as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("explain", "--version must be positive")
	}
	if err := require("explain", map[string]string{"student": c.student}); err != nil {
		return err
	}
	return c.sw.validate("explain")
}

// explainOutput is the JSON form of an explanation.
type explainOutput struct {
	School       string `json:"school"`
	Week         string `json:"week"`
	Version      int    `json:"version"`
	State        string `json:"state"`
	InputChanged bool   `json:"input_changed"`
	Name         string `json:"name,omitempty"`
	*solver.StudentExplanation
}

// Run loads the version and the week's input and prints the explanation.
func (c *ExplainCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "explain")
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := loadVersion(ctx, db, c.sw.school, c.sw.week, c.version)
	if err != nil {
		return err
	}
	inst, sched, info := w.inst, w.sched, w.info
	e, err := solver.ExplainStudent(inst, sched, c.student)
	if err != nil {
		return fmt.Errorf("%w: %v", errRejected, err)
	}
	out := explainOutput{School: c.sw.school, Week: c.sw.week, Version: info.Version, State: info.State,
		InputChanged: info.InputHash != loader.InputHash(inst), StudentExplanation: e}
	for _, st := range inst.Students {
		if st.ID == c.student {
			out.Name = st.Name
		}
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", info.Version).
		Str("student", c.student).Msg("explained")
	if c.asJSON {
		data, err := marshalJSON(out)
		if err != nil {
			return err
		}
		_, err = c.main.Stdout.Write(data)
		return err
	}
	return writeExplanation(c.main.Stdout, &out)
}

// writeExplanation prints an explanation for an administrator. It shows the
// student's own data and, of other students, only group sizes and bands.
func writeExplanation(w io.Writer, o *explainOutput) error {
	p := &errWriter{w: w}
	e := o.StudentExplanation
	who := e.Student
	if o.Name != "" {
		who += " (" + o.Name + ")"
	}
	p.printf("Student %s, grade %d — %s week %s, version %d (%s)\n", who, e.Grade, o.School, o.Week, o.Version, o.State)
	if o.InputChanged {
		p.printf("note: the week's input was imported again after this version was computed; this explanation reads the current input\n")
	}
	var facts []string
	facts = append(facts, fmt.Sprintf("priority %.2f", e.Priority))
	if e.NeedsAccessible {
		facts = append(facts, "needs an accessible room")
	}
	if e.MaxGroupSize != nil {
		facts = append(facts, fmt.Sprintf("small groups of at most %d", *e.MaxGroupSize))
	}
	if e.KeptApartFrom > 0 {
		facts = append(facts, fmt.Sprintf("kept apart from %d student(s)", e.KeptApartFrom))
	}
	facts = append(facts, fmt.Sprintf("%d teacher-led session(s) this week (contact target %d)", e.Sessions, e.ContactTarget))
	p.printf("%s\n", strings.Join(facts, "; "))

	p.printf("\nFOCUS SKILLS\n")
	if len(e.Focus) == 0 {
		p.printf("  none: every skill with progress is mastered and no goal is set, so no session can take the student\n")
	}
	for _, f := range e.Focus {
		p.printf("  %-14s %-10s mastery %.2f  %s\n", f.Skill, f.Subject, f.Mastery, f.Why)
	}

	p.printf("\nWEEK\n")
	for _, b := range e.Blocks {
		var what string
		switch b.Status {
		case solver.BlockUnavailable:
			what = "unavailable"
		case solver.BlockUnplaced:
			what = "UNPLACED"
		default:
			what = spotText(b.Placement)
		}
		p.printf("%-8s %s %s, %d min: %s\n", b.Slot, b.Day, b.Start, b.Minutes, what)
		for _, line := range b.Why {
			p.printf("    - %s\n", line)
		}
	}

	p.printf("\nMINIMUM MINUTES\n")
	if len(e.Minutes) == 0 {
		p.printf("  no minimum minutes and nothing scheduled\n")
		return p.err
	}
	if p.err != nil {
		return p.err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MODE\tREQUIRED\tSCHEDULED\tSHORT\tREASON")
	for _, l := range e.Minutes {
		reason := l.Reason
		if l.Shortfall > 0 && reason == "" {
			reason = "(no reason stored)"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", l.Mode, l.Required, l.Scheduled, l.Shortfall, reason)
	}
	return tw.Flush()
}
