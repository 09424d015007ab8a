package loader

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// IsTransient reports whether err is a lost or refused connection to the
// database — the kind of failure that a retry on a new connection may get
// past: driver.ErrBadConn, an unexpected EOF, a network error (connection
// refused or reset, broken pipe, timeout), sql.ErrConnDone (a *sql.Conn that
// database/sql closed because its connection went bad), a PostgreSQL error of class 08
// (connection exception), or the server ending the session or refusing new
// ones: 57P01 admin_shutdown (pg_terminate_backend, a fast shutdown),
// 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting
// down).
//
// Every other error is not transient: a constraint violation, invalid input,
// a query error, a cancelled or expired context. Callers retry only
// operations that are safe to repeat: reads, and writes that are one
// transaction (a lost COMMIT may have committed, so a repeated write must
// detect its own earlier success, as SaveSchedule's input-hash check does).
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	// A context error also satisfies net.Error (DeadlineExceeded has
	// Timeout): it is the caller's decision, never a reason to retry.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow:
			return true
		}
		return pqErr.Code.Class() == pqerror.ClassConnectionException
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
