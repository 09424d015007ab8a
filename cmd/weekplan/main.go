// Command weekplan builds each school's weekly personalized-learning schedule.
// See README.md and ../../docs/operations.md; the contract is SPEC §6.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/weekplan/weekplan/solver"
)

// Exit statuses of SPEC §6.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2 // bad usage or rejected input
	exitIncomplete = 3 // a schedule was written but has unplaced slots or shortfalls
)

// errIncomplete marks a run that wrote a schedule with unplaced slots or
// shortfalls; it maps to exit status 3.
var errIncomplete = errors.New("schedule has unplaced slots or shortfalls")

// usageError is a bad invocation; it maps to exit status 2 and prints a hint.
type usageError struct {
	cmd string
	msg string
}

func (e *usageError) Error() string {
	hint := "weekplan help"
	if e.cmd != "" {
		hint = "weekplan " + e.cmd + " -h"
	}
	return fmt.Sprintf("%s (see '%s')", e.msg, hint)
}

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// Main holds what every command shares: standard streams, the environment
// and the logger. Tests build one with their own streams and environment.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Log    zerolog.Logger
}

// command is one subcommand: flags in, work out.
type command interface {
	ParseFlags(args []string) error
	Run(ctx context.Context) error
}

// commandInfo describes a subcommand for dispatch and help.
type commandInfo struct {
	summary string
	make    func(m *Main) command
}

func commands() map[string]commandInfo {
	return map[string]commandInfo{
		"solve":       {"solve an instance file, no database", func(m *Main) command { return &SolveCommand{main: m} }},
		"check":       {"validate a schedule against an instance and print its score", func(m *Main) command { return &CheckCommand{main: m} }},
		"gen":         {"write a synthetic instance", func(m *Main) command { return &GenCommand{main: m} }},
		"migrate":     {"create or upgrade the database schema", func(m *Main) command { return &MigrateCommand{main: m} }},
		"import":      {"load an instance into the database", func(m *Main) command { return &ImportCommand{main: m} }},
		"run":         {"the batch job: load, solve and write back every school's week", func(m *Main) command { return &RunCommand{main: m} }},
		"export":      {"write a stored schedule as a schedule file", func(m *Main) command { return &ExportCommand{main: m} }},
		"rosters":     {"write every teacher's rosters (HTML, CSV, iCalendar)", func(m *Main) command { return &RostersCommand{main: m} }},
		"daemon":      {"run the batch job on a cron schedule until stopped", func(m *Main) command { return &DaemonCommand{main: m} }},
		"history":     {"list the stored versions of a school's week", func(m *Main) command { return &HistoryCommand{main: m} }},
		"publish":     {"make a version the one teachers see", func(m *Main) command { return &PublishCommand{main: m} }},
		"acknowledge": {"accept a version's IEP shortfalls, recorded with who and why", func(m *Main) command { return &AcknowledgeCommand{main: m} }},
		"explain":     {"why each of one student's blocks is what it is", func(m *Main) command { return &ExplainCommand{main: m} }},
		"report":      {"write the administrator's report of a version (HTML with SVG plots)", func(m *Main) command { return &ReportCommand{main: m} }},
		"triage":      {"the smallest teacher or room changes that would meet unmet IEP minutes", func(m *Main) command { return &TriageCommand{main: m} }},
		"diff":        {"what changed between two versions of a week, per student and per teacher", func(m *Main) command { return &DiffCommand{main: m} }},
		"demo":        {"the demo school end to end (what 'make run' calls)", func(m *Main) command { return &DemoCommand{main: m} }},
		"bench":       {"measure the solver on the benchmark and generated schools (what 'make bench' calls)", func(m *Main) command { return &BenchCommand{main: m} }},
	}
}

func main() {
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once.
		<-ctx.Done()
		stop()
	}()
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Run runs one command line and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	m.Log = newLogger(m.Stderr, m.Getenv)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		m.usage()
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	info, ok := commands()[args[0]]
	if !ok {
		return m.exit(usagef("", "unknown command %q", args[0]))
	}
	cmd := info.make(m)
	if err := cmd.ParseFlags(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return m.exit(err)
	}
	return m.exit(cmd.Run(ctx))
}

// exit maps an error to the exit status of SPEC §6, printing it to stderr.
func (m *Main) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errIncomplete):
		return exitIncomplete
	case errors.As(err, &ue):
		fmt.Fprintln(m.Stderr, "weekplan:", err)
		return exitUsage
	case errors.Is(err, solver.ErrInvalidInstance), errors.Is(err, solver.ErrInvalidPrevious), errors.Is(err, errRejected):
		fmt.Fprintln(m.Stderr, "weekplan:", err)
		return exitUsage
	default:
		fmt.Fprintln(m.Stderr, "weekplan:", err)
		return exitFailure
	}
}

// errRejected marks rejected input other than an invalid instance (for
// example an invalid schedule given to check); it maps to exit status 2.
var errRejected = errors.New("rejected input")

func (m *Main) usage() {
	var b strings.Builder
	b.WriteString("weekplan builds each school's weekly personalized-learning schedule.\n\nUsage:\n\n\tweekplan <command> [flags]\n\nCommands:\n\n")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\t%-11s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nEnvironment: DATABASE_URL, WEEKPLAN_CRON, WEEKPLAN_TIME_LIMIT, WEEKPLAN_EFFORT, LOG_LEVEL, LOG_FORMAT.\n")
	b.WriteString("Exit status: 0 success; 2 bad usage or rejected input; 3 schedule written with unplaced slots or shortfalls; 1 any other failure.\n")
	b.WriteString("Use 'weekplan <command> -h' for a command's flags.\n")
	fmt.Fprint(m.Stderr, b.String())
}

// newFlagSet returns a flag set that reports errors as usage errors and
// prints its usage to the command's stderr.
func (m *Main) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: weekplan %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and turns a flag error into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef(fs.Name(), "%v", err)
	}
	if fs.NArg() > 0 {
		return usagef(fs.Name(), "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// require returns a usage error naming the first empty required flag.
func require(cmd string, flags map[string]string) error {
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if flags[n] == "" {
			return usagef(cmd, "missing --%s", n)
		}
	}
	return nil
}
