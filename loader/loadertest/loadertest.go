// Package loadertest gives tests a fresh, migrated weekplan database on a real
// PostgreSQL server.
//
// The server is named by TEST_DATABASE_URL (default DefaultURL), a postgres://
// URL or a key=value connection string of a role that may create databases.
// Each NewDB call clones a template database that holds the migrated schema,
// which is much faster than migrating every test database. The template is
// named after a hash of the migrations, built once per server and schema
// (guarded by an advisory lock, so that test binaries of several packages
// running at once share it), and kept for later runs.
package loadertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/loader"
)

// DefaultURL is the server used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// howToStart is appended to connection failures.
const howToStart = "start the local server with\n\tpg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n" +
	"or set TEST_DATABASE_URL to a PostgreSQL server whose role may create databases"

// ServerURL returns TEST_DATABASE_URL, or DefaultURL when it is not set.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDB creates a fresh database holding the migrated weekplan schema, opens
// it, and returns it with its connection URL (for a subprocess under test).
// The database is closed and dropped when the test ends. If the server cannot
// be reached, the test fails with a message that says how to start it; it is
// never skipped.
func NewDB(t testing.TB) (*loader.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	server := ServerURL()
	tpl, err := template(ctx, server)
	if err != nil {
		t.Fatalf("loadertest: preparing template database on %s: %v\n%s", redact(server), err, howToStart)
	}
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatalf("loadertest: %v", err)
	}
	defer admin.Close()

	name := "weekplan_test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(tpl)); err != nil {
		t.Fatalf("loadertest: creating database %s: %v\n%s", name, err, howToStart)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })

	dbURL, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("loadertest: %v", err)
	}
	db, err := loader.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("loadertest: opening %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dbURL
}

// NewEmptyDB creates a fresh, empty database (no schema: for tests of
// migrations) and returns its connection URL. It is dropped when the test
// ends. An unreachable server fails the test as in NewDB.
func NewEmptyDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server := ServerURL()
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatalf("loadertest: %v", err)
	}
	defer admin.Close()
	name := "weekplan_test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("loadertest: creating database %s on %s: %v\n%s", name, redact(server), err, howToStart)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	dbURL, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("loadertest: %v", err)
	}
	return dbURL
}

// dropDatabase drops the test database, ending any connection still open to
// it.
func dropDatabase(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Errorf("loadertest: dropping %s: %v", name, err)
		return
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		t.Errorf("loadertest: dropping %s: %v", name, err)
	}
}

// templates caches the template database of each server for this process.
// It is the package's only state: building a template costs a migration,
// which every test of a process would otherwise repeat.
var templates struct {
	sync.Mutex
	names map[string]string
}

// template returns the name of the migrated template database on server,
// creating it if no process has yet.
func template(ctx context.Context, server string) (string, error) {
	templates.Lock()
	defer templates.Unlock()
	if name, ok := templates.names[server]; ok {
		return name, nil
	}
	name, err := ensureTemplate(ctx, server)
	if err != nil {
		return "", err
	}
	if templates.names == nil {
		templates.names = map[string]string{}
	}
	templates.names[server] = name
	return name, nil
}

// ensureTemplate creates and migrates the template database of the current
// migrations unless a complete one exists. A template is complete once it is
// marked with datistemplate; one left incomplete by a crash is rebuilt.
func ensureTemplate(ctx context.Context, server string) (string, error) {
	migs, err := loader.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range migs {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.Version, m.Name, len(m.SQL), m.SQL)
	}
	name := "weekplan_tpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	admin, err := sql.Open("postgres", server)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.PingContext(ctx); err != nil {
		return "", err
	}
	// A session lock: held across the CREATE DATABASE, which cannot run in a
	// transaction.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended('weekplan/loadertest/template', 0))`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended('weekplan/loadertest/template', 0))`)

	var complete sql.NullBool
	err = conn.QueryRowContext(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, name).Scan(&complete)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if complete.Valid && complete.Bool {
		return name, nil
	}
	if complete.Valid {
		if _, err := conn.ExecContext(ctx, "DROP DATABASE "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			return "", err
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", err
	}
	tplURL, err := withDatabase(server, name)
	if err != nil {
		return "", err
	}
	db, err := loader.Open(ctx, tplURL)
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

// withDatabase returns server's connection string naming database name.
func withDatabase(server, name string) (string, error) {
	if strings.HasPrefix(server, "postgres://") || strings.HasPrefix(server, "postgresql://") {
		u, err := url.Parse(server)
		if err != nil {
			return "", fmt.Errorf("parsing TEST_DATABASE_URL: %v", redact(server))
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// A key=value string: a later key overrides an earlier one.
	return server + " dbname=" + name, nil
}

// redact hides the password of a URL for messages.
func redact(server string) string {
	if u, err := url.Parse(server); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "TEST_DATABASE_URL"
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
