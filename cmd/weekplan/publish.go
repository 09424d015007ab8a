package main

import (
	"context"
	"fmt"
)

// PublishCommand makes a version the one teachers see.
type PublishCommand struct {
	main    *Main
	sw      schoolWeekFlags
	version int
	policy  publishPolicy
}

// ParseFlags parses the publish command line.
func (c *PublishCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("publish", "--school ID --week DATE [--version V] [--acknowledge-shortfalls] [--max-churn N]")
	c.sw.register(fs)
	fs.IntVar(&c.version, "version", 0, "version to publish (default: the latest)")
	fs.BoolVar(&c.policy.ackShortfalls, "acknowledge-shortfalls", false, "accept the version's IEP shortfalls (each listed with its reason in the schedule and the report)")
	fs.IntVar(&c.policy.maxChurn, "max-churn", -1, "refuse if more than N student-slots move against the published version (-1: no limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.version < 0 {
		return usagef("publish", "--version must be positive")
	}
	return c.sw.validate("publish")
}

// Run publishes the version after the pre-publish checks (prePublishCheck).
func (c *PublishCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "publish")
	if err != nil {
		return err
	}
	defer db.Close()
	version := c.version
	if version == 0 {
		versions, err := db.History(ctx, c.sw.school, c.sw.week)
		if err != nil {
			return err
		}
		if len(versions) == 0 {
			return fmt.Errorf("%w: school %q week %s has no schedule; run it first", errRejected, c.sw.school, c.sw.week)
		}
		version = versions[len(versions)-1].Version
	}
	if err := prePublishCheck(ctx, db, c.sw.school, c.sw.week, version, c.policy); err != nil {
		return err
	}
	if err := db.Publish(ctx, c.sw.school, c.sw.week, version); err != nil {
		return err
	}
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("version", version).Str("accepted", c.policy.describe()).Msg("published")
	fmt.Fprintf(c.main.Stdout, "published %s week %s version %d\n", c.sw.school, c.sw.week, version)
	return nil
}
