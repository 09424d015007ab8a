package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LastTick returns the fire time of the last completed daemon tick of the
// cron spec in the time zone, and false when no daemon has recorded one.
func (d *DB) LastTick(ctx context.Context, zone, spec string) (time.Time, bool, error) {
	var at time.Time
	err := d.db.QueryRowContext(ctx,
		`SELECT last_fire FROM daemon_ticks WHERE zone = $1 AND spec = $2`, zone, spec).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("reading the last tick of %s %q: %w", zone, spec, err)
	}
	return at, true, nil
}

// RecordTick records at as the fire time of a tick of the cron spec in the
// time zone. The stored time only moves forward: recording an earlier time
// than the stored one (a slower replica finishing late) changes nothing.
func (d *DB) RecordTick(ctx context.Context, zone, spec string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `
		INSERT INTO daemon_ticks (zone, spec, last_fire) VALUES ($1, $2, $3)
		ON CONFLICT (zone, spec) DO UPDATE
		SET last_fire = GREATEST(daemon_ticks.last_fire, EXCLUDED.last_fire), updated_at = now()`,
		zone, spec, at)
	if err != nil {
		return fmt.Errorf("recording a tick of %s %q: %w", zone, spec, err)
	}
	return nil
}
