package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/weekplan/weekplan/loader"
)

// PublishCommand makes a version the one teachers see.
type PublishCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	policy  publishPolicy
	ack     ackFlags
}

// ParseFlags parses the publish command line.
func (c *PublishCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("publish", "--school ID --week DATE [--version V] [--acknowledge-shortfalls --by NAME [--note TEXT]] [--max-churn N]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version to publish (default: the latest)")
	fs.BoolVar(&c.policy.ackShortfalls, "acknowledge-shortfalls", false, "accept the version's IEP shortfalls (each listed with its reason in the schedule and the report), recorded with --by and --note in the same transaction as the publish")
	c.ack.register(fs)
	fs.IntVar(&c.policy.maxChurn, "max-churn", -1, "refuse if more than N student-slots move against the published version (-1: no limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("publish", "--version must be positive")
	}
	if err := c.sw.validate("publish"); err != nil {
		return err
	}
	if !c.policy.ackShortfalls {
		if c.ack.given() {
			return usagef("publish", "--by and --note go with --acknowledge-shortfalls (or acknowledge first with 'weekplan acknowledge')")
		}
		return nil
	}
	if strings.TrimSpace(c.ack.by) == "" {
		return usagef("publish", "--acknowledge-shortfalls needs --by NAME: who accepts the shortfalls, recorded for the audit trail")
	}
	return c.ack.validate("publish")
}

// Run publishes the version after the pre-publish checks (prePublishCheck);
// with --acknowledge-shortfalls, the acknowledgements and the publish are
// one transaction, and a version that fails its checks gets neither.
func (c *PublishCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "publish")
	if err != nil {
		return err
	}
	defer db.Close()
	version, err := resolveVersion(ctx, db, c.sw, c.version)
	if err != nil {
		return err
	}
	found, err := prePublishCheck(ctx, db, c.sw.school, c.sw.week, version, c.policy)
	if err != nil {
		return err
	}
	var res loader.AckResult
	if c.policy.ackShortfalls {
		res, err = db.PublishAcknowledged(ctx, c.sw.school, c.sw.week, version, c.ack.acknowledgement())
	} else {
		err = db.Publish(ctx, c.sw.school, c.sw.week, version)
	}
	if err != nil {
		return err
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", version).
		Int("shortfalls", found.shortfalls).Int("acknowledged_before", found.acknowledged).Int("acknowledged_now", res.Written).
		Str("accepted", c.policy.describe(found)).Msg("published")
	if res.Written > 0 {
		fmt.Fprintf(c.main.Stdout, "acknowledged %d shortfall(s) of %s week %s version %d\n", res.Written, c.sw.school, c.sw.week, version)
	}
	fmt.Fprintf(c.main.Stdout, "published %s week %s version %d\n", c.sw.school, c.sw.week, version)
	return nil
}

// resolveVersion returns version, or the week's latest when it is 0.
func resolveVersion(ctx context.Context, db *loader.DB, sw schoolWeekFlags, version int) (int, error) {
	if version > 0 {
		return version, nil
	}
	versions, err := db.History(ctx, sw.school, sw.week)
	if err != nil {
		return 0, err
	}
	if len(versions) == 0 {
		return 0, fmt.Errorf("%w: school %q week %s has no schedule; run it first", errRejected, sw.school, sw.week)
	}
	return versions[len(versions)-1].Version, nil
}
