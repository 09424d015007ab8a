package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/loader"
)

// defaultCron is SPEC §7's default: Friday at 18:00 in each school's time zone.
const defaultCron = "0 18 * * FRI"

// DaemonCommand runs the batch job on a cron schedule until stopped.
type DaemonCommand struct {
	main    *Main
	spec    string
	opt     batchOptions
	refresh time.Duration
}

// ParseFlags parses the daemon command line.
func (c *DaemonCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("daemon", "[--cron SPEC] [--seed N] [--effort N] [--time-limit D]")
	fs.StringVar(&c.spec, "cron", "", "cron spec: five fields or a descriptor such as @daily or @every 10m, in each school's time zone (env WEEKPLAN_CRON; default \""+defaultCron+"\")")
	fs.DurationVar(&c.refresh, "refresh", 5*time.Minute, "how often to look for schools in new time zones")
	c.opt.solve.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.spec == "" {
		c.spec = c.main.Getenv("WEEKPLAN_CRON")
	}
	if c.spec == "" {
		c.spec = defaultCron
	}
	if _, err := cron.ParseStandard(c.spec); err != nil {
		return usagef("daemon", "cron spec %q: %v (five fields such as \"0 18 * * FRI\", or @daily, @every 10m)", c.spec, err)
	}
	if c.refresh <= 0 {
		return usagef("daemon", "--refresh must be positive")
	}
	return c.opt.solve.resolve("daemon", fs, c.main.Getenv)
}

// Run schedules one cron entry per school time zone and runs until ctx is
// cancelled (SIGTERM or SIGINT); then it lets the school in progress finish,
// starts no other, and returns nil (exit status 0).
func (c *DaemonCommand) Run(ctx context.Context) error {
	db, err := c.main.openDB(ctx, "daemon")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	d := &daemon{db: db, log: c.main.Log, spec: c.spec, opt: c.opt, entries: map[string]cron.EntryID{}}
	d.cron = cron.New(
		cron.WithParser(cron.NewParser(cron.Minute|cron.Hour|cron.Dom|cron.Month|cron.Dow|cron.Descriptor)),
		cron.WithLogger(cronLogger{c.main.Log}),
		cron.WithChain(cron.Recover(cronLogger{c.main.Log}), cron.SkipIfStillRunning(cronLogger{c.main.Log})),
	)
	if err := d.schedule(ctx); err != nil {
		return err
	}
	d.cron.Start()
	c.main.Log.Info().Str("cron", c.spec).Int("time_zones", len(d.entries)).Msg("daemon started")
	ticker := time.NewTicker(c.refresh)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			c.main.Log.Info().Msg("stopping: letting the school in progress finish")
			<-d.cron.Stop().Done()
			c.main.Log.Info().Msg("daemon stopped")
			return nil
		case <-ticker.C:
			if err := d.schedule(ctx); err != nil {
				c.main.Log.Error().Err(err).Msg("refreshing the schools' time zones")
			}
		}
	}
}

// daemon holds the cron scheduler and one entry per school time zone.
type daemon struct {
	db   *loader.DB
	log  zerolog.Logger
	spec string
	opt  batchOptions
	cron *cron.Cron

	mu      sync.Mutex
	entries map[string]cron.EntryID // time zone → entry
}

// schedule adds an entry for every time zone that has a school and none yet.
func (d *daemon) schedule(ctx context.Context) error {
	schools, err := d.db.Schools(ctx)
	if err != nil {
		return fmt.Errorf("listing schools: %w", err)
	}
	zones := map[string]bool{}
	for _, s := range schools {
		zones[zoneOf(s.Timezone)] = true
	}
	names := make([]string, 0, len(zones))
	for z := range zones {
		names = append(names, z)
	}
	sort.Strings(names)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, zone := range names {
		if _, ok := d.entries[zone]; ok {
			continue
		}
		zone := zone
		id, err := d.cron.AddFunc("CRON_TZ="+zone+" "+d.spec, func() { d.tick(ctx, zone) })
		if err != nil {
			return fmt.Errorf("scheduling time zone %s: %w", zone, err)
		}
		d.entries[zone] = id
		d.log.Info().Str("time_zone", zone).Msg("scheduled")
	}
	return nil
}

// tick runs the batch for every school in one time zone. It is called by
// cron, wrapped so that a panic is recovered and an overlapping tick skipped.
func (d *daemon) tick(ctx context.Context, zone string) {
	if ctx.Err() != nil {
		return
	}
	schools, err := d.db.Schools(ctx)
	if err != nil {
		d.log.Error().Err(err).Msg("listing schools")
		return
	}
	now := time.Now()
	d.log.Info().Str("time_zone", zone).Msg("tick")
	for _, s := range schools {
		if zoneOf(s.Timezone) != zone {
			continue
		}
		if ctx.Err() != nil {
			d.log.Warn().Str("school", s.ID).Msg("stopping: school not started")
			return
		}
		opt := d.opt
		opt.school = s.ID
		o := runSchool(context.WithoutCancel(ctx), d.db, d.log, opt, s.ID, nextWeekStart(now, s.Timezone))
		d.log.Info().Str("school", o.School).Str("week", o.Week).Str("status", o.Status).Int("version", o.Version).Msg("school done")
	}
}

// zoneOf is the time zone a school's runs are scheduled in: its own, or UTC
// when it has none or an unknown one.
func zoneOf(tz string) string {
	if tz == "" {
		return "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "UTC"
	}
	return tz
}

// cronLogger adapts zerolog to cron.Logger.
type cronLogger struct{ log zerolog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Debug().Fields(kv).Msg("cron: " + msg)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}
