package loader

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock that serialises migrations: any
// number of processes may call Migrate at once.
const migrationLockKey = "weekplan/migrations"

// Migration is one schema change, read from migrations/NNNN_name.up.sql,
// and its reversal, read from migrations/NNNN_name.down.sql.
type Migration struct {
	Version int    // NNNN, applied in ascending order
	Name    string // the up file's name
	SQL     string // the statements, run in one transaction
	// Down holds the statements that undo SQL, for development and for the
	// tests that check that a migration reverts cleanly; Migrate never runs
	// them, and no command does.
	Down string
}

// Migrations returns the embedded migrations in the order Migrate applies
// them.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.up.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", name, v, other)
		}
		seen[v] = name
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", name, err)
		}
		downName := strings.TrimSuffix(name, ".up.sql") + ".down.sql"
		down, err := migrationFiles.ReadFile("migrations/" + downName)
		if err != nil {
			return nil, fmt.Errorf("migration %s has no %s: %w", name, downName, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b), Down: string(down)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration the database has not applied yet,
// in order, each in its own transaction, and records it in the
// weekplan_migrations table. It returns the versions it applied: none when the
// schema is up to date. Concurrent calls, from any number of processes, are
// safe: each migration transaction holds an advisory lock.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	// Nothing pending: return before any DDL, so that a role without CREATE
	// on the schema (the daemon's job role, docs/operations.md) may call
	// Migrate on start.
	done, err := d.appliedMigrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	pending := false
	for _, m := range migs {
		pending = pending || !done[m.Version]
	}
	if !pending {
		return nil, nil
	}
	var applied []int
	for _, m := range migs {
		done, err := d.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// appliedMigrations returns the versions recorded in weekplan_migrations,
// none when the table does not exist yet.
func (d *DB) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	var exists bool
	if err := d.db.QueryRowContext(ctx, `SELECT to_regclass('weekplan_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	done := map[int]bool{}
	if !exists {
		return done, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT version FROM weekplan_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// applyMigration applies m unless it is recorded as applied, and reports
// whether it applied it.
func (d *DB) applyMigration(ctx context.Context, m Migration) (bool, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := lockKey(ctx, tx, migrationLockKey); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS weekplan_migrations (
		version    int PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return false, err
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM weekplan_migrations WHERE version = $1`, m.Version).Scan(&one)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO weekplan_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
