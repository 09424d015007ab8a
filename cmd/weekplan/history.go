package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/weekplan/weekplan/loader"
)

// HistoryCommand lists the stored versions of a school's week.
type HistoryCommand struct {
	main   *Main
	sw     schoolWeekFlags
	asJSON bool
}

// ParseFlags parses the history command line.
func (c *HistoryCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("history", "--school ID --week DATE [--json]")
	c.sw.register(fs)
	fs.BoolVar(&c.asJSON, "json", false, "one JSON object a line")
	if err := parse(fs, args); err != nil {
		return err
	}
	return c.sw.validate("history")
}

// historyRow is one version as history prints it (SPEC §6), with its
// shortfalls' acknowledgements.
type historyRow struct {
	Version          int      `json:"version"`
	Time             string   `json:"time"`
	State            string   `json:"state"`
	Objective        float64  `json:"objective"`
	Bound            *float64 `json:"bound"`
	InputHash        string   `json:"input_hash"`
	UnplacedSlots    int      `json:"unplaced_slots"`
	ShortfallMinutes int      `json:"shortfall_minutes"`
	// Shortfalls counts the version's shortfalls (student and mode),
	// AcknowledgedShortfalls those acknowledged, AcknowledgedBy by whom.
	Shortfalls             int      `json:"shortfalls"`
	AcknowledgedShortfalls int      `json:"acknowledged_shortfalls"`
	AcknowledgedBy         []string `json:"acknowledged_by"`
}

// acknowledged says in a word whether the version's shortfalls are
// acknowledged: "-" (it has none), "yes", "no", or "k/n" for some of them.
func acknowledged(v loader.VersionInfo) string {
	switch {
	case v.Shortfalls == 0:
		return "-"
	case v.ShortfallsAcknowledged():
		return "yes"
	case v.Acknowledged == 0:
		return "no"
	}
	return fmt.Sprintf("%d/%d", v.Acknowledged, v.Shortfalls)
}

// Run prints the versions, oldest first.
func (c *HistoryCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "history")
	if err != nil {
		return err
	}
	defer db.Close()
	versions, err := db.History(ctx, c.sw.school, c.sw.week)
	if err != nil {
		return err
	}
	if c.asJSON {
		enc := json.NewEncoder(c.main.Stdout)
		for _, v := range versions {
			row := historyRow{v.Version, v.CreatedAt.UTC().Format(time.RFC3339), v.State, v.Objective, v.Bound, v.InputHash, v.UnplacedSlots, v.ShortfallMinutes,
				v.Shortfalls, v.Acknowledged, v.AcknowledgedBy}
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(c.main.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTIME\tSTATE\tOBJECTIVE\tBOUND\tINPUT HASH\tUNPLACED\tSHORT MIN\tACKNOWLEDGED")
	for _, v := range versions {
		bound := "-"
		if v.Bound != nil {
			bound = fmt.Sprintf("%.3f", *v.Bound)
		}
		hash := v.InputHash
		if len(hash) > 12 {
			hash = hash[:12]
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%s\t%s\t%d\t%d\t%s\n", v.Version, v.CreatedAt.UTC().Format(time.RFC3339), v.State, v.Objective, bound, hash, v.UnplacedSlots, v.ShortfallMinutes, acknowledged(v))
	}
	return tw.Flush()
}
