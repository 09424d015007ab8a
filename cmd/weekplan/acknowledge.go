package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/weekplan/weekplan/loader"
)

// AcknowledgeCommand records that an administrator accepts a version's IEP
// shortfalls, so that the version may then be published without
// --acknowledge-shortfalls.
type AcknowledgeCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	ack     ackFlags
}

// ParseFlags parses the acknowledge command line.
func (c *AcknowledgeCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("acknowledge", "--school ID --week DATE [--version V] --by NAME [--note TEXT]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version whose shortfalls to acknowledge (default: the latest)")
	c.ack.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("acknowledge", "--version must be positive")
	}
	if err := c.sw.validate("acknowledge"); err != nil {
		return err
	}
	if strings.TrimSpace(c.ack.by) == "" {
		return usagef("acknowledge", "missing --by NAME: who accepts the shortfalls, recorded for the audit trail")
	}
	return c.ack.validate("acknowledge")
}

// Run acknowledges every shortfall of the version not acknowledged yet and
// says what it did.
func (c *AcknowledgeCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "acknowledge")
	if err != nil {
		return err
	}
	defer db.Close()
	version, err := resolveVersion(ctx, db, c.sw, c.version)
	if err != nil {
		return err
	}
	res, err := db.Acknowledge(ctx, c.sw.school, c.sw.week, version, c.ack.acknowledgement())
	if err != nil {
		return err
	}
	// Ids and counts only: the name and the note stay in the database.
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", version).
		Int("shortfalls", res.Shortfalls).Int("acknowledged_now", res.Written).Msg("shortfalls acknowledged")
	what := fmt.Sprintf("%s week %s version %d", c.sw.school, c.sw.week, version)
	switch {
	case res.Shortfalls == 0:
		fmt.Fprintf(c.main.Stdout, "%s has no shortfall: nothing to acknowledge\n", what)
	case res.Written == 0:
		fmt.Fprintf(c.main.Stdout, "the %d shortfall(s) of %s were already acknowledged\n", res.Shortfalls, what)
	case res.Written < res.Shortfalls:
		fmt.Fprintf(c.main.Stdout, "acknowledged %d shortfall(s) of %s (%d already acknowledged)\n", res.Written, what, res.Shortfalls-res.Written)
	default:
		fmt.Fprintf(c.main.Stdout, "acknowledged %d shortfall(s) of %s\n", res.Written, what)
	}
	return nil
}

// ackFlags are --by and --note, of acknowledge and of publish
// --acknowledge-shortfalls.
type ackFlags struct {
	by   string
	note string
}

// register adds --by and --note to fs.
func (f *ackFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.by, "by", "", fmt.Sprintf("who accepts the shortfalls, recorded for the audit trail (required to acknowledge; at most %d characters)", loader.MaxAckByLen))
	fs.StringVar(&f.note, "note", "", fmt.Sprintf("why they are accepted, recorded with them and shown in the report (at most %d characters)", loader.MaxAckNoteLen))
}

// given reports whether either flag was given.
func (f *ackFlags) given() bool { return f.by != "" || f.note != "" }

// validate checks the flags' values as the database will.
func (f *ackFlags) validate(cmd string) error {
	if err := f.acknowledgement().Validate(); err != nil {
		return usagef(cmd, "--by/--note: %v", err)
	}
	return nil
}

func (f *ackFlags) acknowledgement() loader.Acknowledgement {
	return loader.Acknowledgement{By: strings.TrimSpace(f.by), Note: strings.TrimSpace(f.note)}
}
