package loader

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// claimKeyPrefix names the session-level advisory locks by which a process
// claims a (school, week) for a whole load → solve → save. It differs from
// scheduleLockKey, the transaction-level lock SaveSchedule takes, so that a
// claim holder's own write is never blocked by its claim.
const claimKeyPrefix = "weekplan/claim/"

// releaseTimeout bounds the unlock that Claim's release function sends.
const releaseTimeout = 5 * time.Second

// Claim tries to claim the school's week for the calling process: a
// session-level advisory lock (pg_try_advisory_lock) held on a connection of
// its own until release is called. Claim does not wait: when another process
// holds the claim, ok is false and release is nil. The claim dies with its
// connection, so a process that crashes or loses its connection frees the
// week for the others at once; SaveSchedule's own lock and input-hash check
// remain the final guard against a second version in that case.
//
// release unlocks and gives the connection back; it is safe to call more than
// once. A connection whose unlock failed is closed instead of being returned
// to the pool, so that no pooled connection keeps a claim.
//
// Claims need session-level locks: behind a transaction-pooling proxy
// (pgbouncer's pool_mode=transaction) they do not hold.
func (d *DB) Claim(ctx context.Context, school, week string) (release func(), ok bool, err error) {
	release, ok, err = d.claim(ctx, school, week)
	if err != nil {
		return nil, false, fmt.Errorf("claiming school %q week %s: %w", school, week, err)
	}
	return release, ok, nil
}

func (d *DB) claim(ctx context.Context, school, week string) (func(), bool, error) {
	if err := checkWeekStart(week); err != nil {
		return nil, false, err
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	key := claimKeyPrefix + school + "/" + week
	var got bool
	err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&got)
	if err != nil {
		discard(conn)
		return nil, false, err
	}
	if !got {
		conn.Close()
		return nil, false, nil
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			defer cancel()
			var unlocked bool
			err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key).Scan(&unlocked)
			if err != nil || !unlocked {
				discard(conn)
				return
			}
			conn.Close()
		})
	}
	return release, true, nil
}

// discard closes conn and keeps database/sql from reusing its session.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// LatestVersion returns the week's latest schedule version, or nil when the
// week has none yet. A week that is not stored gives an error wrapping
// ErrNotFound.
func (d *DB) LatestVersion(ctx context.Context, school, week string) (*VersionInfo, error) {
	vi, err := d.latestVersion(ctx, school, week)
	if err != nil {
		return nil, fmt.Errorf("reading latest version of school %q week %s: %w", school, week, err)
	}
	return vi, nil
}

func (d *DB) latestVersion(ctx context.Context, school, week string) (*VersionInfo, error) {
	id, err := weekID(ctx, d.db, school, week)
	if err != nil {
		return nil, err
	}
	var vid int64
	vi, err := scanVersion(d.db.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM schedule_versions v
		WHERE v.week_id = $1 ORDER BY v.version DESC LIMIT 1`, id), &vid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &vi, nil
}
