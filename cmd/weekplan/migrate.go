package main

import (
	"context"
)

// MigrateCommand creates or upgrades the database schema.
type MigrateCommand struct{ main *Main }

// ParseFlags parses the migrate command line.
func (c *MigrateCommand) ParseFlags(args []string) error {
	return parse(c.main.newFlagSet("migrate", "(DATABASE_URL names the database)"), args)
}

// Run applies every pending migration; it is idempotent.
func (c *MigrateCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "migrate")
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	c.main.Log.Info().Ints("applied", applied).Msg("schema up to date")
	return nil
}
