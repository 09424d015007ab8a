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
	// ackShortfalls acknowledges the version's IEP shortfalls as part of
	// the publish; without it a version with a shortfall not acknowledged
	// before (weekplan acknowledge) is not published.
	ackShortfalls bool
	// maxChurn limits how many student-slots may move against the version
	// published now; negative means no limit.
	maxChurn int
}

// prePublishFindings is what the checks found, for the log.
type prePublishFindings struct {
	shortfalls   int // the version's shortfalls
	acknowledged int // of them, acknowledged in the database before this publish
}

// prePublishCheck refuses to publish a version that (1) breaks a hard
// constraint of its week's instance — which includes a teacher over load
// (H2) — or a schedule-level rule, (2) has IEP shortfalls that are neither
// acknowledged in the database nor acknowledged now (pol.ackShortfalls), or
// (3) moves more student-slots than allowed against the version published now.
func prePublishCheck(ctx context.Context, db *loader.DB, school, week string, version int, pol publishPolicy) (prePublishFindings, error) {
	var found prePublishFindings
	w, err := loadVersion(ctx, db, school, week, version)
	if err != nil {
		return found, err
	}
	inst, sched := w.inst, w.sched
	if rep := solver.Check(inst, sched); !rep.Valid() {
		return found, fmt.Errorf("%w: version %d breaks %d rule(s) of the week as imported now (run it again if the week was re-imported); first: %v", errRejected, version, len(rep.Violations), rep.Violations[0])
	}
	found.shortfalls = len(sched.Shortfalls)
	if len(sched.Shortfalls) > 0 {
		acks, err := db.Acknowledgements(ctx, school, week, version)
		if err != nil {
			return found, err
		}
		acked := map[[2]string]bool{}
		for _, a := range acks {
			acked[[2]string{a.Student, string(a.Mode)}] = true
		}
		minutes := 0
		students := map[string]bool{}
		for _, sf := range sched.Shortfalls {
			if acked[[2]string{sf.Student, string(sf.Mode)}] {
				found.acknowledged++
				continue
			}
			minutes += sf.Minutes
			students[sf.Student] = true
		}
		if len(students) > 0 && !pol.ackShortfalls {
			return found, fmt.Errorf("%w: version %d leaves %d IEP minute(s) of %d student(s) unmet and not acknowledged (see 'weekplan report'); "+
				"acknowledge them with 'weekplan acknowledge --school %s --week %s --version %d --by NAME [--note TEXT]', or publish with --acknowledge-shortfalls --by NAME",
				errRejected, version, minutes, len(students), school, week, version)
		}
	}
	if pol.maxChurn < 0 {
		return found, nil
	}
	current, info, err := db.Schedule(ctx, school, week, 0)
	if err != nil || info.State != loader.StatePublished || info.Version == version {
		return found, nil // nothing published yet (or republishing it): no churn to limit
	}
	d := solver.Diff(inst, current, sched)
	if d.Counts.Moves > pol.maxChurn {
		return found, fmt.Errorf("%w: version %d moves %d student-slot(s) against published version %d, above --max-churn %d (see 'weekplan diff --from %d --to %d')",
			errRejected, version, d.Counts.Moves, info.Version, pol.maxChurn, info.Version, version)
	}
	return found, nil
}

// describe says in one phrase what was accepted, for the log.
func (p publishPolicy) describe(found prePublishFindings) string {
	var parts []string
	switch {
	case p.ackShortfalls:
		parts = append(parts, "shortfalls acknowledged")
	case found.shortfalls > 0:
		parts = append(parts, "shortfalls acknowledged before")
	}
	if p.maxChurn >= 0 {
		parts = append(parts, fmt.Sprintf("churn limit %d", p.maxChurn))
	}
	return strings.Join(parts, ", ")
}
