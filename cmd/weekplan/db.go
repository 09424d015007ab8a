package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// openDB connects to DATABASE_URL (a PostgreSQL URL; sslmode is honoured).
func (m *Main) openDB(ctx context.Context, cmd string) (*loader.DB, error) {
	url := m.Getenv("DATABASE_URL")
	if url == "" {
		return nil, usagef(cmd, "DATABASE_URL is not set (for example postgres://weekplan@127.0.0.1:5432/weekplan?sslmode=disable)")
	}
	db, err := loader.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to DATABASE_URL: %w", err)
	}
	return db, nil
}

// schoolWeekFlags are --school and --week, required by the per-week commands.
type schoolWeekFlags struct {
	school string
	week   string
}

// register adds --school and --week to fs.
func (f *schoolWeekFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.school, "school", "", "school id")
	fs.StringVar(&f.week, "week", "", "week start, YYYY-MM-DD")
}

// validate requires both flags and a well-formed date.
func (f *schoolWeekFlags) validate(cmd string) error {
	if err := require(cmd, map[string]string{"school": f.school, "week": f.week}); err != nil {
		return err
	}
	if !isDate(f.week) {
		return usagef(cmd, "--week %q is not a date YYYY-MM-DD", f.week)
	}
	return nil
}

// storedWeek is a stored schedule version with the week's input as imported now.
type storedWeek struct {
	inst  *solver.Instance
	sched *solver.Schedule
	info  loader.VersionInfo
}

// loadVersion reads version (0: the published one, else the latest) of a
// school's week and the week's input.
func loadVersion(ctx context.Context, db *loader.DB, school, week string, version int) (*storedWeek, error) {
	sched, info, err := db.Schedule(ctx, school, week, version)
	if err != nil {
		return nil, err
	}
	inst, err := db.LoadInstance(ctx, school, week)
	if err != nil {
		return nil, err
	}
	return &storedWeek{inst: inst, sched: sched, info: info}, nil
}
