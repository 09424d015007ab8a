package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/solver"
)

// DiffCommand shows what changed between two stored versions of a week.
type DiffCommand struct {
	main     *Main
	sw       schoolWeekFlags
	from, to int
	asJSON   bool
}

// ParseFlags parses the diff command line.
func (c *DiffCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("diff", "--school ID --week DATE [--from V] [--to V] [--json]")
	c.sw.register(fs)
	fs.IntVar(&c.from, "from", 0, "version to compare from (default: the version before --to)")
	fs.IntVar(&c.to, "to", 0, "version to compare to (default: the latest)")
	fs.BoolVar(&c.asJSON, "json", false, "print the diff as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.from < 0 || c.to < 0 {
		return usagef("diff", "--from and --to must be positive")
	}
	return c.sw.validate("diff")
}

// diffOutput is the JSON form of a diff.
type diffOutput struct {
	School string `json:"school"`
	Week   string `json:"week"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	solver.ScheduleDiff
}

// Run loads both versions and prints the diff.
func (c *DiffCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "diff")
	if err != nil {
		return err
	}
	defer db.Close()
	from, to, err := c.versions(ctx, db)
	if err != nil {
		return err
	}
	a, _, err := db.Schedule(ctx, c.sw.school, c.sw.week, from)
	if err != nil {
		return err
	}
	b, _, err := db.Schedule(ctx, c.sw.school, c.sw.week, to)
	if err != nil {
		return err
	}
	// The instance only orders the output; the versions carry every id.
	inst, err := db.LoadInstance(ctx, c.sw.school, c.sw.week)
	if err != nil {
		return err
	}
	d := solver.Diff(inst, a, b)
	c.main.Log.Info().Str("school", c.sw.school).Str("week", c.sw.week).Int("from", from).Int("to", to).
		Int("moves", d.Counts.Moves).Int("students_changed", d.Counts.StudentsChanged).
		Int("teachers_changed", d.Counts.TeachersChanged).Msg("diff")
	if c.asJSON {
		data, err := marshalJSON(diffOutput{c.sw.school, c.sw.week, from, to, d})
		if err != nil {
			return err
		}
		_, err = c.main.Stdout.Write(data)
		return err
	}
	return writeDiff(c.main.Stdout, c.sw.school, c.sw.week, from, to, &d)
}

// versions resolves --from and --to: --to defaults to the latest version,
// --from to the latest version before --to.
func (c *DiffCommand) versions(ctx context.Context, db *loader.DB) (int, int, error) {
	history, err := db.History(ctx, c.sw.school, c.sw.week)
	if err != nil {
		return 0, 0, err
	}
	known := map[int]bool{}
	for _, v := range history {
		known[v.Version] = true
	}
	to := c.to
	if to == 0 {
		if len(history) == 0 {
			return 0, 0, fmt.Errorf("%w: school %q week %s has no schedule yet", errRejected, c.sw.school, c.sw.week)
		}
		to = history[len(history)-1].Version
	}
	from := c.from
	if from == 0 {
		for _, v := range history {
			if v.Version < to {
				from = v.Version
			}
		}
		if from == 0 {
			return 0, 0, fmt.Errorf("%w: school %q week %s has no version before %d to compare with (see 'weekplan history')", errRejected, c.sw.school, c.sw.week, to)
		}
	}
	for _, v := range []int{from, to} {
		if !known[v] {
			return 0, 0, fmt.Errorf("%w: school %q week %s has no version %d (see 'weekplan history')", errRejected, c.sw.school, c.sw.week, v)
		}
	}
	return from, to, nil
}

// writeDiff prints the diff for people: a summary, then per student and per
// teacher what moved. It names records by id only.
func writeDiff(w io.Writer, school, week string, from, to int, d *solver.ScheduleDiff) error {
	p := &errWriter{w: w}
	n := d.Counts
	p.printf("%s week %s: version %d → version %d\n", school, week, from, to)
	p.printf("objective %.3f → %.3f (%+.3f)\n", d.ObjectiveFrom, d.ObjectiveTo, d.ObjectiveTo-d.ObjectiveFrom)
	if d.Empty() {
		p.printf("no placement and no session changed\n")
		return p.err
	}
	p.printf("%d student-slot(s) changed for %d student(s) (%d newly placed, %d newly unplaced); "+
		"%d teacher(s): %d session(s) added, %d removed, %d changed\n",
		n.Moves, n.StudentsChanged, n.NewlyPlaced, n.NewlyUnplaced,
		n.TeachersChanged, n.SessionsAdded, n.SessionsRemoved, n.SessionsChanged)
	if len(d.Students) > 0 {
		p.printf("\nSTUDENTS\n")
		for _, s := range d.Students {
			p.printf("%s\n", s.Student)
			for _, m := range s.Moves {
				p.printf("  %-8s %s → %s\n", m.Slot, spotText(m.From), spotText(m.To))
			}
		}
	}
	if len(d.Teachers) > 0 {
		p.printf("\nTEACHERS\n")
		for _, t := range d.Teachers {
			p.printf("%s\n", t.Teacher)
			for _, ch := range t.Changes {
				var parts []string
				switch ch.Kind {
				case solver.SessionAdded:
					parts = append(parts, "added "+sideText(ch.To))
				case solver.SessionRemoved:
					parts = append(parts, "removed "+sideText(ch.From))
				default:
					if a, b := sideText(ch.From), sideText(ch.To); a != b {
						parts = append(parts, "changed "+a+" → "+b)
					} else {
						parts = append(parts, "members of "+a)
					}
				}
				if len(ch.Joined) > 0 && ch.Kind != solver.SessionAdded {
					parts = append(parts, "joined "+strings.Join(ch.Joined, " "))
				}
				if len(ch.Left) > 0 && ch.Kind != solver.SessionRemoved {
					parts = append(parts, "left "+strings.Join(ch.Left, " "))
				}
				if ch.Kind == solver.SessionAdded {
					parts = append(parts, "students "+strings.Join(ch.To.Students, " "))
				}
				if ch.Kind == solver.SessionRemoved {
					parts = append(parts, "students "+strings.Join(ch.From.Students, " "))
				}
				p.printf("  %-8s %s\n", ch.Slot, strings.Join(parts, "; "))
			}
		}
	}
	return p.err
}

// spotText shows a placement: "small_group t-lee r101 math.1",
// "independent lib", or "unplaced".
func spotText(s solver.Spot) string {
	switch {
	case !s.Placed():
		return "unplaced"
	case s.Mode == solver.Independent:
		return "independent " + s.Room
	}
	return fmt.Sprintf("%s %s %s %s", s.Mode, s.Teacher, s.Room, s.Skill)
}

// sideText shows a session without its members: "small_group r101 math.1".
func sideText(s *solver.SessionSide) string {
	return fmt.Sprintf("%s %s %s", s.Mode, s.Room, s.Skill)
}

// errWriter is a writer that keeps its first error, so that a page of
// output needs one check at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (p *errWriter) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}
