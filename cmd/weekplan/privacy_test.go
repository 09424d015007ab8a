package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/loader/pgcluster"
)

// forbiddenLogKeys are instance attributes that no log line may carry, as a
// key or as a quoted value.
var forbiddenLogKeys = []string{
	"name", "mastery", "progress", "interests", "min_minutes", "needs_accessible",
	"max_group_size", "apart", "goals", "priority", "grade",
}

// TestLogsCarryNoPersonalData runs a whole cycle (migrate, import, a rejected
// import, a daemon tick, run, export, rosters, history, diff, acknowledge,
// publish, explain, report, triage, solve, check) with debug logging and scans every byte of stderr for
// the names of the demo's students and teachers, and every JSON log line for
// attribute keys and for maps keyed by skill or subject (a progress or
// interests map).
func TestLogsCarryNoPersonalData(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	inst, err := fixtures.Demo()
	if err != nil {
		t.Fatal(err)
	}
	inst.WeekStart = nextWeekStart(time.Now(), inst.School.Timezone) // the daemon's week
	school, week := inst.School.ID, inst.WeekStart
	dir := t.TempDir()
	in := writeJSONFile(t, dir, "demo.json", inst)
	bad, _ := fixtures.Demo()
	bad.WeekStart = week
	bad.Students[2].Progress[inst.Skills[0].ID] = 1.7
	badPath := writeJSONFile(t, dir, "bad.json", bad)
	env := map[string]string{"DATABASE_URL": url, "LOG_LEVEL": "debug", "LOG_FORMAT": "json"}

	var stderr strings.Builder
	step := func(args ...string) result {
		r := weekplan(t, env, args...)
		stderr.WriteString(r.stderr)
		return r
	}
	if r := step("migrate"); r.code != exitOK {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	if r := step("import", "--in", in); r.code != exitOK {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	if r := step("import", "--in", badPath); r.code != exitUsage {
		t.Fatalf("bad import: exit %d, want %d", r.code, exitUsage)
	}

	// A daemon tick, until it has written the week's first version.
	// The daemon logs from several goroutines: its stderr must take
	// concurrent writes, as a file does (weekplanCtx's buffer does not).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		var daemonErr syncBuffer
		m := &Main{Stdout: io.Discard, Stderr: &daemonErr, Getenv: func(k string) string { return env[k] }}
		code := m.Run(ctx, []string{"daemon", "--cron", "@every 1s", "--effort", fastEffort})
		done <- result{code: code, stderr: daemonErr.String()}
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if v, err := db.History(context.Background(), school, week); err == nil && len(v) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the daemon wrote no version within 60s: %+v", <-done)
		}
	}
	cancel()
	stderr.WriteString((<-done).stderr)

	sw := []string{"--school", school, "--week", week}
	for _, args := range [][]string{
		append([]string{"run", "--force", "--effort", fastEffort}, sw...),
		append([]string{"export", "--out", filepath.Join(dir, "s.json")}, sw...),
		append([]string{"rosters", "--out", filepath.Join(dir, "rosters")}, sw...),
		append([]string{"history"}, sw...),
		append([]string{"history", "--json"}, sw...),
		append([]string{"diff"}, sw...),
		append([]string{"acknowledge", "--version", "1", "--by", inst.Teachers[0].Name, "--note", "agreed with the family of " + inst.Students[0].Name}, sw...),
		append([]string{"publish", "--version", "1"}, sw...),
		append([]string{"explain", "--student", inst.Students[0].ID}, sw...),
		append([]string{"report", "--out", filepath.Join(dir, "report")}, sw...),
		append([]string{"triage"}, sw...),
		{"solve", "--in", in, "--out", filepath.Join(dir, "solved.json"), "--effort", fastEffort},
		{"check", "--in", in, "--schedule", filepath.Join(dir, "solved.json")},
	} {
		step(args...)
	}
	all := stderr.String()

	for _, st := range inst.Students {
		if st.Name != "" && strings.Contains(all, st.Name) {
			t.Errorf("stderr carries the name of student %s", st.ID)
		}
	}
	for _, tc := range inst.Teachers {
		if tc.Name != "" && strings.Contains(all, tc.Name) {
			t.Errorf("stderr carries the name of teacher %s", tc.ID)
		}
	}
	// Maps keyed by skill or subject would be a progress or interests map.
	forbidden := map[string]bool{}
	for _, k := range forbiddenLogKeys {
		forbidden[k] = true
	}
	for _, sk := range inst.Skills {
		forbidden[sk.ID] = true
		forbidden[sk.Subject] = true
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(all))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue // an error message for the administrator, scanned for names above
		}
		lines++
		for _, k := range jsonKeys(rec) {
			if forbidden[k] {
				t.Errorf("a log line carries the key %q: %s", k, sc.Text())
			}
		}
		for _, k := range forbiddenLogKeys {
			if strings.Contains(sc.Text(), `"`+k+`"`) {
				t.Errorf("a log line carries %q: %s", k, sc.Text())
			}
		}
	}
	if lines < 20 || !strings.Contains(all, school) || !strings.Contains(all, `"message":"school done"`) {
		t.Errorf("the cycle logged %d JSON lines (want 20 or more, with the school id and a daemon tick):\n%s", lines, all)
	}
}

// jsonKeys returns every key of a decoded JSON value, at any depth.
func jsonKeys(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out = append(out, k)
			out = append(out, jsonKeys(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, jsonKeys(e)...)
		}
	}
	return out
}

// TestLeastPrivilegeRoles runs the SQL of docs/operations.md ("Roles and
// privileges") as written, with its own role names and passwords: the owner
// role migrates; the job role imports and runs, and its migrate is a no-op;
// its DDL is refused, and so is a migrate with a migration pending.
func TestLeastPrivilegeRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	suffix := make([]byte, 6)
	rand.Read(suffix)
	owner, job := "wp_owner_"+hex.EncodeToString(suffix), "wp_job_"+hex.EncodeToString(suffix)
	ownerPW, jobPW := "pw-"+hex.EncodeToString(suffix[:3]), "pw-"+hex.EncodeToString(suffix[3:])
	admin, err := sql.Open("postgres", loadertest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// After the database is dropped (cleanups run last first): the roles own nothing else.
		for _, role := range []string{job, owner} {
			if _, err := admin.Exec("DROP ROLE IF EXISTS " + pq.QuoteIdentifier(role)); err != nil {
				t.Errorf("dropping role %s: %v", role, err)
			}
		}
		admin.Close()
	})
	superURL := loadertest.NewEmptyDB(t)
	dbName := databaseOf(t, superURL)
	ownerURL, jobURL := withUser(t, superURL, owner, ownerPW), withUser(t, superURL, job, jobPW)

	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := roleSQL(string(doc), map[string]string{
		"weekplan_owner":    pq.QuoteIdentifier(owner),
		"weekplan_job":      pq.QuoteIdentifier(job),
		"'change-me-owner'": pq.QuoteLiteral(ownerPW),
		"'change-me-job'":   pq.QuoteLiteral(jobPW),
		"DATABASE weekplan": "DATABASE " + pq.QuoteIdentifier(dbName),
	})
	if err != nil {
		t.Fatal(err)
	}
	super, err := sql.Open("postgres", superURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	for _, s := range stmts {
		switch {
		case s == "migrate":
			if r := weekplan(t, map[string]string{"DATABASE_URL": ownerURL}, "migrate"); r.code != exitOK {
				t.Fatalf("migrate as the owner: exit %d\n%s", r.code, r.stderr)
			}
		case strings.HasPrefix(s, "CREATE DATABASE"):
			// The test's database exists: give it to the owner instead.
			if _, err := super.Exec("ALTER DATABASE " + pq.QuoteIdentifier(dbName) + " OWNER TO " + pq.QuoteIdentifier(owner)); err != nil {
				t.Fatal(err)
			}
		default:
			if _, err := super.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}

	inst, _ := fixtures.Demo()
	in := writeJSONFile(t, t.TempDir(), "demo.json", inst)
	// tiny-30 has IEP shortfalls: the job role acknowledges and publishes them.
	short, err := fixtures.Bench("tiny-30-seed101")
	if err != nil {
		t.Fatal(err)
	}
	shortIn := writeJSONFile(t, t.TempDir(), "tiny.json", short)
	shortSW := []string{"--school", short.School.ID, "--week", short.WeekStart}
	jobEnv := map[string]string{"DATABASE_URL": jobURL}
	for _, args := range [][]string{
		{"migrate"}, // nothing pending: no DDL
		{"import", "--in", in},
		{"run", "--school", inst.School.ID, "--week", inst.WeekStart, "--effort", fastEffort},
		{"history", "--school", inst.School.ID, "--week", inst.WeekStart},
		{"publish", "--school", inst.School.ID, "--week", inst.WeekStart},
		{"export", "--school", inst.School.ID, "--week", inst.WeekStart, "--out", filepath.Join(t.TempDir(), "s.json")},
		{"import", "--in", shortIn},
		append([]string{"run", "--effort", fastEffort}, shortSW...),
		append([]string{"acknowledge", "--by", "Pat Admin"}, shortSW...),
		append([]string{"publish"}, shortSW...),
		append([]string{"run", "--force", "--effort", fastEffort}, shortSW...),
		append([]string{"publish", "--acknowledge-shortfalls", "--by", "Pat Admin"}, shortSW...),
		append([]string{"history", "--json"}, shortSW...),
	} {
		if r := weekplan(t, jobEnv, args...); r.code != exitOK && r.code != exitIncomplete {
			t.Fatalf("%s as the job role: exit %d\n%s\n%s", args[0], r.code, r.stdout, r.stderr)
		}
	}

	jobDB, err := sql.Open("postgres", jobURL)
	if err != nil {
		t.Fatal(err)
	}
	defer jobDB.Close()
	// Two versions acknowledged by the job role, and readable by it.
	var acks int
	if err := jobDB.QueryRowContext(ctx, `SELECT count(DISTINCT version) FROM shortfall_acknowledgement_log`).Scan(&acks); err != nil || acks != 2 {
		t.Errorf("versions acknowledged, read as the job role: %d (%v), want 2", acks, err)
	}
	for _, ddl := range []string{
		`CREATE TABLE intruder (id int)`,
		`ALTER TABLE students ADD COLUMN intruder int`,
		`DROP TABLE placements`,
		`TRUNCATE schedule_versions CASCADE`,
		`UPDATE shortfall_acknowledgements SET acknowledged_by = 'someone else'`,
		`DELETE FROM shortfall_acknowledgements`,
		`TRUNCATE shortfall_acknowledgements`,
		`DROP TRIGGER shortfall_acknowledgements_no_change ON shortfall_acknowledgements`,
	} {
		_, err := jobDB.ExecContext(ctx, ddl)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || (pqErr.Code != "42501" && pqErr.Code != "42809") {
			t.Errorf("%s as the job role: %v, want permission denied", ddl, err)
		}
	}
	// A migration pending, as after deploying a new binary before the owner
	// migrated: the job role's migrate fails and changes nothing.
	var last int
	if err := super.QueryRow(`DELETE FROM weekplan_migrations WHERE version = (SELECT max(version) FROM weekplan_migrations) RETURNING version`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	r := weekplan(t, jobEnv, "migrate")
	if r.code != exitFailure || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("migrate as the job role with migration %d pending: exit %d, stderr %q; want 1 and permission denied", last, r.code, r.stderr)
	}
}

// roleSQL extracts the statements of the sql block under "Roles and
// privileges" in the operations guide, with the replacements applied. A
// comment that runs "weekplan migrate" becomes the statement "migrate"; psql
// meta-commands (\c) are dropped.
func roleSQL(doc string, replace map[string]string) ([]string, error) {
	_, after, ok := strings.Cut(doc, "### Roles and privileges")
	if !ok {
		return nil, errors.New("operations.md has no section Roles and privileges")
	}
	_, block, ok := strings.Cut(after, "```sql\n")
	if !ok {
		return nil, errors.New("no sql block in Roles and privileges")
	}
	block, _, _ = strings.Cut(block, "```")
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "--"):
			if strings.Contains(trimmed, "weekplan migrate") {
				out = append(out, "migrate")
			}
			continue
		case strings.HasPrefix(trimmed, `\`), trimmed == "":
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(trimmed, ";") {
			s := strings.TrimSpace(cur.String())
			for from, to := range replace {
				s = strings.ReplaceAll(s, from, to)
			}
			out = append(out, s)
			cur.Reset()
		}
	}
	if len(out) < 8 {
		return nil, fmt.Errorf("only %d statements in the roles block", len(out))
	}
	return out, nil
}

// databaseOf returns the database a postgres:// URL names.
func databaseOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Skipf("TEST_DATABASE_URL is not a postgres:// URL: the role test needs one")
	}
	return strings.TrimPrefix(u.Path, "/")
}

// withUser returns the URL with another user and password.
func withUser(t *testing.T, dbURL, user, password string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// TestTLSVerifyFull starts a throwaway cluster that accepts only TLS, with a
// server certificate for 127.0.0.1 and localhost signed by a CA made here:
// sslmode=verify-full with that CA connects, a wrong CA fails on the
// certificate, and sslmode=disable is refused.
func TestTLSVerifyFull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "weekplan-tls-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // the server runs as the postgres user when the tests run as root
	caPEM, caKey, caCert := newCA(t, "weekplan test CA")
	wrongCA, _, _ := newCA(t, "some other CA")
	certPEM, keyPEM := newServerCert(t, caCert, caKey)
	files := map[string][]byte{"ca.pem": caPEM, "wrong-ca.pem": wrongCA, "server.crt": certPEM, "server.key": keyPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cluster, err := pgcluster.Start(ctx, filepath.Join(dir, "data"),
		pgcluster.WithTLS(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")))
	if err != nil {
		t.Fatalf("starting a TLS cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Errorf("stopping the cluster: %v", err)
		}
	})
	at := func(host, query string) map[string]string {
		return map[string]string{"DATABASE_URL": fmt.Sprintf("postgres://postgres@%s/postgres?%s", net.JoinHostPort(host, fmt.Sprint(cluster.Port)), query)}
	}
	tests := []struct {
		name  string
		env   map[string]string
		code  int
		error string
	}{
		{"verify-full by IP", at("127.0.0.1", "sslmode=verify-full&sslrootcert="+filepath.Join(dir, "ca.pem")), exitOK, ""},
		{"verify-full by name", at("localhost", "sslmode=verify-full&sslrootcert="+filepath.Join(dir, "ca.pem")), exitOK, ""},
		{"wrong CA", at("127.0.0.1", "sslmode=verify-full&sslrootcert="+filepath.Join(dir, "wrong-ca.pem")), exitFailure, "certificate signed by unknown authority"},
		{"TLS off", at("127.0.0.1", "sslmode=disable"), exitFailure, "no encryption"},
	}
	for _, tt := range tests {
		r := weekplan(t, tt.env, "migrate")
		if r.code != tt.code || !strings.Contains(r.stderr, tt.error) {
			t.Errorf("%s: migrate exit %d, stderr %q; want %d and %q", tt.name, r.code, r.stderr, tt.code, tt.error)
		}
	}
}

// newCA returns a self-signed CA certificate (PEM), its key and the parsed
// certificate.
func newCA(t *testing.T, name string) ([]byte, *ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key, cert
}

// newServerCert returns a server certificate for 127.0.0.1 and localhost
// signed by the CA, and its key, both PEM.
func newServerCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
