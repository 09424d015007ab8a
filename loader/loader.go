// Package loader stores weekplan's instances and schedules in PostgreSQL. It is
// the only package that speaks SQL.
//
// # Storage model
//
// Every imported week is a self-contained snapshot keyed by (school, week):
// slots, skills, rooms, teachers, students and their progress belong to one
// week, and importing the same (school, week) again replaces that week's rows
// in one transaction. LoadInstance returns exactly what Import was given, up to
// the normalisation of Normalize (empty lists and maps, the format tag).
//
// Schedules are stored as numbered versions of a week (1, 2, ...), each with
// its sessions, placements (one row per placed student-slot), unplaced slots
// and shortfalls, so that Schedule rebuilds the SPEC §5 file. A version is
// written whole or not at all, and earlier versions are never changed except
// for their draft/published state.
//
// An administrator's acknowledgement of a version's IEP shortfalls (who, when,
// why) is stored once per shortfall of that version (Acknowledge,
// PublishAcknowledged) and never changed or removed: it is the audit trail of
// publishing a version that leaves IEP minutes unmet.
//
// The schema lives in migrations/*.up.sql, embedded in the binary and applied
// by Migrate. Errors never carry student names, masteries or other attributes:
// only ids and field names.
package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "github.com/lib/pq" // registers the "postgres" driver
)

// ErrNotFound is wrapped by the errors of lookups of a school, week or
// schedule version that is not stored.
var ErrNotFound = errors.New("not found")

// DB is a weekplan database. It is safe for concurrent use.
type DB struct {
	db *sql.DB
}

// Open connects to the PostgreSQL database named by url (a postgres:// URL or
// a key=value connection string; sslmode and the other lib/pq parameters are
// honoured) and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to database: %w", err)
	}
	return &DB{db: db}, nil
}

// Close closes the database's connections.
func (d *DB) Close() error { return d.db.Close() }

// SQL returns the underlying connection pool, for callers that need plain SQL
// (tests, health checks). The schema is loader's: write to it only through DB.
func (d *DB) SQL() *sql.DB { return d.db }

// SchoolRef identifies a stored school, with the name and time zone of its
// most recently imported week.
type SchoolRef struct {
	ID       string
	Name     string
	Timezone string
}

// Schools returns every stored school, ordered by id.
func (d *DB) Schools(ctx context.Context) ([]SchoolRef, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, name, timezone FROM schools ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("listing schools: %w", err)
	}
	defer rows.Close()
	var out []SchoolRef
	for rows.Next() {
		var s SchoolRef
		if err := rows.Scan(&s.ID, &s.Name, &s.Timezone); err != nil {
			return nil, fmt.Errorf("listing schools: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing schools: %w", err)
	}
	return out, nil
}

// Weeks returns the start dates ("2006-01-02") of the school's stored weeks in
// ascending order. An unknown school gives an error wrapping ErrNotFound.
func (d *DB) Weeks(ctx context.Context, school string) ([]string, error) {
	var exists bool
	err := d.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schools WHERE id = $1)`, school).Scan(&exists)
	if err != nil {
		return nil, fmt.Errorf("listing weeks of school %q: %w", school, err)
	}
	if !exists {
		return nil, fmt.Errorf("listing weeks of school %q: school %w", school, ErrNotFound)
	}
	rows, err := d.db.QueryContext(ctx,
		`SELECT to_char(week_start, 'YYYY-MM-DD') FROM weeks WHERE school_id = $1 ORDER BY week_start`, school)
	if err != nil {
		return nil, fmt.Errorf("listing weeks of school %q: %w", school, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, fmt.Errorf("listing weeks of school %q: %w", school, err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing weeks of school %q: %w", school, err)
	}
	return out, nil
}

// weekID returns the id of the stored (school, week), or an error wrapping
// ErrNotFound. q is a *sql.DB or *sql.Tx.
func weekID(ctx context.Context, q queryer, school, week string) (int64, error) {
	if err := checkWeekStart(week); err != nil {
		return 0, err
	}
	var id int64
	err := q.QueryRowContext(ctx,
		`SELECT id FROM weeks WHERE school_id = $1 AND week_start = $2`, school, week).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("week %w", ErrNotFound)
	}
	return id, err
}

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lockKey takes a transaction-scoped advisory lock on name; it is released
// when the transaction ends.
func lockKey(ctx context.Context, tx *sql.Tx, name string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, name); err != nil {
		return fmt.Errorf("taking lock: %w", err)
	}
	return nil
}
