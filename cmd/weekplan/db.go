package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/weekplan/weekplan/loader"
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
