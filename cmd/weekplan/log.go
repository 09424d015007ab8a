package main

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// newLogger builds the process logger from LOG_FORMAT (json or console; by
// default console on a terminal, JSON otherwise) and LOG_LEVEL (debug, info,
// warn, error; default info). Logs carry ids and counts only (SPEC §7): no
// call site in weekplan logs a name, a mastery or an accommodation.
func newLogger(w io.Writer, getenv func(string) string) zerolog.Logger {
	format := strings.ToLower(getenv("LOG_FORMAT"))
	if format == "" && isTerminal(w) {
		format = "console"
	}
	out := w
	if format == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	// The daemon's ticks and parallel schools log from several goroutines:
	// one event is one Write, and SyncWriter keeps Writes from interleaving
	// on a writer that is not safe for concurrent use (a test's buffer).
	log := zerolog.New(zerolog.SyncWriter(out)).With().Timestamp().Logger()
	level := zerolog.InfoLevel
	badLevel := ""
	if s := getenv("LOG_LEVEL"); s != "" {
		if l, err := zerolog.ParseLevel(strings.ToLower(s)); err == nil && l != zerolog.NoLevel {
			level = l
		} else {
			badLevel = s
		}
	}
	log = log.Level(level)
	if badLevel != "" {
		log.Warn().Str("LOG_LEVEL", badLevel).Msg("unknown log level; using info")
	}
	if format != "" && format != "json" && format != "console" {
		log.Warn().Str("LOG_FORMAT", format).Msg("unknown log format; using json")
	}
	return log
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
