// Package pgcluster finds a PostgreSQL server for the demo and for tests: the
// one named by a URL, the local server when one answers, or else a throwaway
// cluster started from the installed PostgreSQL binaries.
package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// LocalURL is the local server's default address: trust authentication on
// 127.0.0.1:5432, as a Debian PostgreSQL package sets it up.
const LocalURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Answers reports whether a PostgreSQL server answers at url within timeout.
func Answers(ctx context.Context, url string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	db, err := sql.Open("postgres", url)
	if err != nil {
		return false
	}
	defer db.Close()
	return db.PingContext(ctx) == nil
}

// EnsureDatabase creates the database name on the server at serverURL if it
// does not exist, and returns a URL naming it (same host, user and options).
func EnsureDatabase(ctx context.Context, serverURL, name string) (string, error) {
	db, err := sql.Open("postgres", serverURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("looking up database %s: %w", name, err)
	}
	if !exists {
		// CREATE DATABASE takes no parameters; the name is quoted as an identifier.
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || pqErr.Code != "42P04" { // duplicate_database: created meanwhile
				return "", fmt.Errorf("creating database %s: %w", name, err)
			}
		}
	}
	return WithDatabase(serverURL, name)
}

// WithDatabase returns serverURL with its database replaced by name.
func WithDatabase(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("parsing database URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Cluster is a throwaway PostgreSQL cluster in a directory of its own.
type Cluster struct {
	Dir    string // data directory (the socket lives there too)
	BinDir string
	Port   int
	URL    string // superuser URL of its postgres database
	asUser *syscall.Credential
}

// BinDir finds the installed PostgreSQL server binaries: pg_config's bindir,
// else the newest /usr/lib/postgresql/*/bin with an initdb.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(a, b int) bool { return versionOf(matches[a]) > versionOf(matches[b]) })
	if len(matches) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("no PostgreSQL server binaries found (install the postgresql package: apt-get install postgresql)")
	}
	return filepath.Dir(matches[0]), nil
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start initialises a cluster in dir (which must not exist or be empty) and
// starts it on a free port of 127.0.0.1 with trust authentication. As root,
// the server runs as the postgres user, since PostgreSQL refuses to run as root.
func Start(ctx context.Context, dir string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, BinDir: bin}
	if os.Geteuid() == 0 {
		cred, err := postgresUser()
		if err != nil {
			return nil, err
		}
		c.asUser = cred
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.Port = port
	if err := c.exec(ctx, "initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if err := c.exec(ctx, "pg_ctl", "start", "-w", "-D", dir, "-l", filepath.Join(dir, "server.log"), "-o", opts); err != nil {
		return nil, err
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// Stop stops the cluster (fast shutdown) and removes its directory.
func (c *Cluster) Stop() error {
	err := c.exec(context.Background(), "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.Dir)
	if rmErr := os.RemoveAll(c.Dir); err == nil {
		err = rmErr
	}
	return err
}

func (c *Cluster) exec(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	if c.asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.asUser}
	}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// postgresUser returns the credentials of the postgres system user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres system user to own the cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
