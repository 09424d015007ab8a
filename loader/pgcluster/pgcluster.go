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

// Option configures a cluster started by Start.
type Option func(*options)

type options struct {
	certFile, keyFile string
}

// WithTLS starts the cluster with TLS (ssl=on) using the PEM server
// certificate and key in certFile and keyFile, and accepts only encrypted TCP
// connections (hostssl lines in pg_hba.conf): a client with sslmode=disable is
// refused. The files are copied into the data directory. The cluster's URL
// then uses sslmode=require.
func WithTLS(certFile, keyFile string) Option {
	return func(o *options) { o.certFile, o.keyFile = certFile, keyFile }
}

// Start initialises a cluster in dir (which must not exist or be empty) and
// starts it on a free port of 127.0.0.1 with trust authentication. As root,
// the server runs as the postgres user, since PostgreSQL refuses to run as root.
func Start(ctx context.Context, dir string, opts ...Option) (*Cluster, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
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
	opt := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	sslmode := "disable"
	if o.certFile != "" || o.keyFile != "" {
		if err := c.setUpTLS(o.certFile, o.keyFile); err != nil {
			return nil, fmt.Errorf("setting up TLS: %w", err)
		}
		opt += " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
		sslmode = "require"
	}
	if err := c.exec(ctx, "pg_ctl", "start", "-w", "-D", dir, "-l", filepath.Join(dir, "server.log"), "-o", opt); err != nil {
		return nil, err
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=%s", port, sslmode)
	return c, nil
}

// hbaTLSOnly accepts local socket connections and TLS connections from
// 127.0.0.1; pg_hba.conf rejects anything it does not match, so an
// unencrypted TCP connection is refused.
const hbaTLSOnly = `# weekplan pgcluster: TLS only over TCP
local   all all              trust
hostssl all all 127.0.0.1/32 trust
`

// setUpTLS copies the certificate and key into the data directory, readable
// by the server's user only (PostgreSQL refuses a key others can read), and
// replaces pg_hba.conf with hbaTLSOnly.
func (c *Cluster) setUpTLS(certFile, keyFile string) error {
	for _, f := range []struct{ from, to, content string }{
		{from: certFile, to: "server.crt"},
		{from: keyFile, to: "server.key"},
		{to: "pg_hba.conf", content: hbaTLSOnly},
	} {
		data := []byte(f.content)
		if f.from != "" {
			var err error
			if data, err = os.ReadFile(f.from); err != nil {
				return err
			}
		}
		path := filepath.Join(c.Dir, f.to)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(path, 0o600); err != nil { // WriteFile keeps an existing file's mode
			return err
		}
		if c.asUser != nil {
			if err := os.Chown(path, int(c.asUser.Uid), int(c.asUser.Gid)); err != nil {
				return err
			}
		}
	}
	return nil
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
