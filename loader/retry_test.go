package loader_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
	"github.com/weekplan/weekplan/solver"
)

func TestIsTransient(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("saving schedule of school %q week %s: %w", "x", "2026-11-30", err)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"bad connection", driver.ErrBadConn, true},
		{"connection closed after going bad", wrap(sql.ErrConnDone), true},
		{"wrapped bad connection", wrap(driver.ErrBadConn), true},
		{"EOF", io.EOF, true},
		{"unexpected EOF", wrap(io.ErrUnexpectedEOF), true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"connection reset", wrap(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{"broken pipe", syscall.EPIPE, true},
		{"dns failure", &net.DNSError{Err: "no such host", Name: "db.invalid"}, true},
		{"admin shutdown 57P01", wrap(&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}), true},
		{"crash shutdown 57P02", &pq.Error{Code: "57P02"}, true},
		{"cannot connect now 57P03", &pq.Error{Code: "57P03", Message: "the database system is starting up"}, true},
		{"connection failure 08006", &pq.Error{Code: "08006"}, true},
		{"connection does not exist 08003", &pq.Error{Code: "08003"}, true},
		{"unable to connect 08001", &pq.Error{Code: "08001"}, true},
		{"unique violation 23505", wrap(&pq.Error{Code: "23505"}), false},
		{"check violation 23514", &pq.Error{Code: "23514"}, false},
		{"serialization failure 40001", &pq.Error{Code: "40001"}, false},
		{"query canceled 57014", &pq.Error{Code: "57014"}, false},
		{"too many connections 53300", &pq.Error{Code: "53300"}, false},
		{"insufficient privilege 42501", &pq.Error{Code: "42501"}, false},
		{"context canceled", wrap(context.Canceled), false},
		{"deadline exceeded", wrap(context.DeadlineExceeded), false},
		{"not found", wrap(loader.ErrNotFound), false},
		{"invalid instance", solver.ErrInvalidInstance, false},
		{"plain error", errors.New("no schedule"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loader.IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestIsTransientTerminatedBackend: the errors a real connection gives when
// its backend is terminated (pg_terminate_backend) are transient.
func TestIsTransientTerminatedBackend(t *testing.T) {
	t.Parallel()
	db, _ := loadertest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the server's FATAL, then the dead connection
		_, err = conn.ExecContext(ctx, `SELECT 1`)
		if err == nil {
			t.Fatalf("query %d on a terminated backend succeeded", i+1)
		}
		if !loader.IsTransient(err) {
			t.Errorf("query %d on a terminated backend: IsTransient(%v) = false, want true", i+1, err)
		}
	}
}
