package main

import (
	"context"
	"fmt"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// prePublishCheck refuses to publish a version that breaks a hard constraint
// of its week's instance.
func prePublishCheck(ctx context.Context, db *loader.DB, school, week string, version int) error {
	sched, _, err := db.Schedule(ctx, school, week, version)
	if err != nil {
		return err
	}
	inst, err := db.LoadInstance(ctx, school, week)
	if err != nil {
		return err
	}
	if rep := solver.Check(inst, sched); !rep.Valid() {
		return fmt.Errorf("%w: version %d breaks %d rule(s), first: %v", errRejected, version, len(rep.Violations), rep.Violations[0])
	}
	return nil
}
