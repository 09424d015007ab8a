package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver/triage"
)

// TriageCommand proposes the smallest changes to a week's input — one field of
// one teacher or room — that would meet the IEP minimum minutes a stored
// version leaves unmet, each verified by re-solving (docs/model.md §6).
type TriageCommand struct {
	main       *Main
	sw         schoolWeekFlags
	version    int
	asJSON     bool
	candidates int
	timeLimit  time.Duration
}

// ParseFlags parses the triage command line.
func (c *TriageCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("triage", "--school ID --week DATE [--version V] [--json] [--candidates N] [--time-limit D]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version to triage (default: the published one, else the latest)")
	fs.BoolVar(&c.asJSON, "json", false, "print the triage as one JSON object")
	fs.IntVar(&c.candidates, "candidates", triage.DefaultMaxCandidates, "how many candidate changes to verify by re-solving, best estimate first")
	fs.DurationVar(&c.timeLimit, "time-limit", 0, "cap on the whole triage, e.g. 1m; the changes verified by then are printed (0: none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("triage", "--version must be positive")
	}
	if c.candidates < 1 {
		return usagef("triage", "--candidates must be at least 1")
	}
	if c.timeLimit < 0 {
		return usagef("triage", "--time-limit must not be negative")
	}
	return c.sw.validate("triage")
}

// triageOutput is the JSON form of a triage.
type triageOutput struct {
	Version      int    `json:"version"`
	State        string `json:"state"`
	InputChanged bool   `json:"input_changed"`
	*triage.Report
}

// Run loads the version and the week's input, triages and prints the result.
func (c *TriageCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "triage")
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := loadVersion(ctx, db, c.sw.school, c.sw.week, c.version)
	if err != nil {
		return err
	}
	tctx := ctx
	if c.timeLimit > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, c.timeLimit)
		defer cancel()
	}
	rep, err := triage.Triage(tctx, w.inst, w.sched, triage.Options{Seed: w.info.Seed, MaxCandidates: c.candidates})
	// At the time limit the changes verified so far are printed; any other
	// error, or the caller's cancellation, fails the command.
	if err != nil && (rep == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	log := c.main.Log.Info()
	if err != nil {
		log = c.main.Log.Warn().Str("stopped", "time limit")
	}
	log.Str("school", c.sw.school).Str("week", c.sw.week).Int("version", w.info.Version).
		Int("students_short", rep.StudentsShort).Int("candidates", rep.Candidates).Int("examined", rep.Examined).
		Int("remedies", len(rep.Remedies)).Msg("triaged")
	out := triageOutput{Version: w.info.Version, State: w.info.State, InputChanged: w.info.InputHash != loader.InputHash(w.inst), Report: rep}
	if c.asJSON {
		data, err := marshalJSON(out)
		if err != nil {
			return err
		}
		_, err = c.main.Stdout.Write(data)
		return err
	}
	return writeTriage(c.main.Stdout, &out)
}

// writeTriage prints a triage for an administrator: students by id only.
func writeTriage(w io.Writer, o *triageOutput) error {
	p := &errWriter{w: w}
	r := o.Report
	p.printf("Triage of %s week %s, version %d (%s)\n", r.School, r.Week, o.Version, o.State)
	if o.InputChanged {
		p.printf("note: the week's input was imported again after this version was computed; the triage reads the current input\n")
	}
	if r.StudentsShort == 0 {
		p.printf("Every IEP minimum minute is met: nothing to triage.\n")
		return p.err
	}
	p.printf("%d student(s) short of their IEP minimum minutes by %d minute(s) in all.\n", r.StudentsShort, r.BaseShortfallMinutes)
	if !r.Complete && r.Examined == 0 {
		p.printf("Stopped at the time limit before any change was verified.\n")
		return p.err
	}
	p.printf("Each change below is one field of one teacher or room, verified by re-solving the week with it (seed %d, effort %d)\n", r.Seed, r.Effort)
	p.printf("against a re-solve without it, which is short by %d minute(s).\n\n", r.ReferenceShortfallMinutes)
	if len(r.Remedies) == 0 && r.Complete {
		p.printf("%s\n", noRemedyText(r))
	}
	if p.err != nil {
		return p.err
	}
	if len(r.Remedies) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHANGE\tMINUTES RECOVERED\tSTUDENTS HELPED\tUSED IN")
		for _, m := range r.Remedies {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", m.Description, m.Recovered, strings.Join(m.Students, " "), strings.Join(m.Slots, " "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	p.printf("\n%d of %d candidate change(s) verified", r.Examined, r.Candidates)
	if r.Examined < r.Candidates && r.Complete {
		p.printf(" (those with the highest estimate; --candidates raises the number)")
	}
	p.printf(".\n")
	if !r.Complete {
		p.printf("Stopped at the time limit: the changes not yet verified are not listed.\n")
	}
	return p.err
}

// noRemedyText says why a triage lists no change.
func noRemedyText(r *triage.Report) string {
	if r.ReferenceShortfallMinutes == 0 {
		return "A re-solve of the week as imported now meets every minimum: run the week again (weekplan run --force)."
	}
	return "No single change to one teacher or room recovers minutes: meeting them takes more than one change " +
		"(for example another teacher of the subject, or a group partner within the level band)."
}
