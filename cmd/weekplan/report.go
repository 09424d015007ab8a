package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/report"
	"github.com/weekplan/weekplan/solver/triage"
)

// ReportCommand writes the administrator's report of a stored version.
type ReportCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	out     string
}

// ParseFlags parses the report command line.
func (c *ReportCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("report", "--school ID --week DATE --out DIR [--version V]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version to report (default: the published one, else the latest)")
	fs.StringVar(&c.out, "out", "", "directory to write index.html and its plots into")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("report", "--version must be positive")
	}
	if err := require("report", map[string]string{"out": c.out}); err != nil {
		return err
	}
	return c.sw.validate("report")
}

// Run writes the report and prints the page's path.
func (c *ReportCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "report")
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := loadVersion(ctx, db, c.sw.school, c.sw.week, c.version)
	if err != nil {
		return err
	}
	inst, sched, info := w.inst, w.sched, w.info
	acks, err := db.Acknowledgements(ctx, c.sw.school, c.sw.week, info.Version)
	if err != nil {
		return err
	}
	// A version with shortfalls gets the triage section: the single teacher
	// or room changes that would meet the minutes, verified by re-solving.
	var tri *triage.Report
	remedies := 0
	if len(sched.Shortfalls) > 0 {
		tri, err = triage.Triage(ctx, inst, sched, triage.Options{Seed: info.Seed})
		if err != nil {
			return err
		}
		remedies = len(tri.Remedies)
	}
	ri := report.ReportInfo{
		Version: info.Version, State: info.State, CreatedAt: info.CreatedAt, InputHash: info.InputHash,
		InputChanged: info.InputHash != loader.InputHash(inst), Triage: tri,
	}
	for _, a := range acks {
		ri.Acknowledgements = append(ri.Acknowledgements, report.Acknowledgement{Student: a.Student, Mode: a.Mode, By: a.By, At: a.At, Note: a.Note})
	}
	files, err := report.Write(c.out, inst, sched, ri)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", info.Version).
		Int("files", len(files)).Int("unplaced_slots", len(sched.Unplaced)).Int("shortfalls", len(sched.Shortfalls)).Int("acknowledged", len(acks)).
		Int("triage_changes", remedies).Msg("report written")
	fmt.Fprintln(c.main.Stdout, filepath.Join(c.out, report.IndexFile))
	return nil
}
