package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// publishPolicy is what an administrator accepts when publishing.
type publishPolicy struct {
	// ackShortfalls acknowledges the version's IEP shortfalls; without it a
	// version with any shortfall is not published.
	ackShortfalls bool
	// maxChurn limits how many student-slots may move against the version
	// published now; negative means no limit.
	maxChurn int
}

// prePublishCheck refuses to publish a version that (1) breaks a hard
// constraint of its week's instance — which includes a teacher over load
// (H2) — or a schedule-level rule, (2) has IEP shortfalls the administrator
// has not acknowledged, or (3) moves more student-slots than allowed against
// the version published now.
func prePublishCheck(ctx context.Context, db *loader.DB, school, week string, version int, pol publishPolicy) error {
	w, err := loadVersion(ctx, db, school, week, version)
	if err != nil {
		return err
	}
	inst, sched := w.inst, w.sched
	if rep := solver.Check(inst, sched); !rep.Valid() {
		return fmt.Errorf("%w: version %d breaks %d rule(s) of the week as imported now (run it again if the week was re-imported); first: %v", errRejected, version, len(rep.Violations), rep.Violations[0])
	}
	if len(sched.Shortfalls) > 0 && !pol.ackShortfalls {
		minutes := 0
		students := map[string]bool{}
		for _, sf := range sched.Shortfalls {
			minutes += sf.Minutes
			students[sf.Student] = true
		}
		return fmt.Errorf("%w: version %d leaves %d IEP minute(s) of %d student(s) unmet (see 'weekplan report'); publish with --acknowledge-shortfalls to accept them", errRejected, version, minutes, len(students))
	}
	if pol.maxChurn < 0 {
		return nil
	}
	current, info, err := db.Schedule(ctx, school, week, 0)
	if err != nil || info.State != loader.StatePublished || info.Version == version {
		return nil // nothing published yet (or republishing it): no churn to limit
	}
	d := solver.Diff(inst, current, sched)
	if d.Counts.Moves > pol.maxChurn {
		return fmt.Errorf("%w: version %d moves %d student-slot(s) against published version %d, above --max-churn %d (see 'weekplan diff --from %d --to %d')",
			errRejected, version, d.Counts.Moves, info.Version, pol.maxChurn, info.Version, version)
	}
	return nil
}

// describe says in one phrase what was accepted, for the log.
func (p publishPolicy) describe() string {
	var parts []string
	if p.ackShortfalls {
		parts = append(parts, "shortfalls acknowledged")
	}
	if p.maxChurn >= 0 {
		parts = append(parts, fmt.Sprintf("churn limit %d", p.maxChurn))
	}
	return strings.Join(parts, ", ")
}
