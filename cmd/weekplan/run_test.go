package main

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/rs/zerolog"
)

func TestRetryBackoff(t *testing.T) {
	transient := &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}
	permanent := &pq.Error{Code: "23514", Message: "check violation"}
	tests := []struct {
		name      string
		errs      []error // what the tries return, in order; nil after the last
		wantCalls int
		wantErr   error
	}{
		{"success at once", nil, 1, nil},
		{"success after two lost connections", []error{driver.ErrBadConn, transient}, 3, nil},
		{"a constraint violation is not retried", []error{permanent}, 1, permanent},
		{"a lost connection, then a constraint violation", []error{transient, permanent}, 2, permanent},
		{"gives up after the last try", []error{transient, transient, transient, transient}, 3, transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			calls := 0
			err := retryBackoff(context.Background(), zerolog.New(&logs), "write-back", 3, time.Millisecond, func() error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %d calls and error %v, want %d calls and %v", calls, err, tt.wantCalls, tt.wantErr)
			}
			if retries := strings.Count(logs.String(), "retrying"); retries != tt.wantCalls-1 {
				t.Errorf("logged %d retries, want %d", retries, tt.wantCalls-1)
			}
		})
	}
}

// TestRetryBackoffStopsWhenCancelled: a cancelled context ends the waiting
// between tries.
func TestRetryBackoffStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	start := time.Now()
	err := retryBackoff(ctx, zerolog.Nop(), "load", 5, time.Hour, func() error {
		calls++
		cancel()
		return driver.ErrBadConn
	})
	if calls != 1 || !errors.Is(err, driver.ErrBadConn) || time.Since(start) > 10*time.Second {
		t.Errorf("got %d calls, error %v after %v; want 1 call, ErrBadConn, at once", calls, err, time.Since(start))
	}
}

func TestRunWorkersFlag(t *testing.T) {
	tests := []struct {
		args        []string
		wantWorkers int
		wantErr     string
	}{
		{nil, defaultWorkers, ""},
		{[]string{"--workers", "1"}, 1, ""},
		{[]string{"--workers", "8"}, 8, ""},
		{[]string{"--workers", "33"}, 0, "--workers must be between 1 and 32"},
		{[]string{"--workers", "-1"}, 0, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			c := &RunCommand{main: &Main{Stderr: &stderr, Getenv: func(string) string { return "" }}}
			err := c.ParseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.opt.workers != tt.wantWorkers || c.opt.solve.workers < 1 {
				t.Errorf("got workers %d (solver threads %d), error %v; want %d", c.opt.workers, c.opt.solve.workers, err, tt.wantWorkers)
			}
		})
	}
}
