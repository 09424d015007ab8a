package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

// BenchCommand solves the public benchmark instances and generated schools,
// each in a subprocess of its own (so that peak memory is the solve's alone),
// and writes the measured figures as Markdown (docs/benchmarks.md).
type BenchCommand struct {
	main   *Main
	out    string
	sizes  []int
	seed   int64
	effort int
	repeat int
}

// ParseFlags parses the bench command line.
func (c *BenchCommand) ParseFlags(args []string) error {
	fs := c.main.newFlagSet("bench", "[--out docs/benchmarks.md] [--sizes 1000,2500,5000,10000] [--effort N]")
	fs.StringVar(&c.out, "out", "-", "Markdown file to write (- for stdout)")
	sizes := fs.String("sizes", "1000,2500,5000,10000", "generated school sizes, comma-separated (empty: none)")
	fs.Int64Var(&c.seed, "seed", 1, "solver seed")
	fs.IntVar(&c.effort, "effort", 0, "solver effort (0: default)")
	fs.IntVar(&c.repeat, "repeat", 1, "runs per instance; the median time is reported")
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, s := range strings.Split(*sizes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return usagef("bench", "--sizes: %q is not a positive number", s)
		}
		c.sizes = append(c.sizes, n)
	}
	if c.repeat < 1 {
		return usagef("bench", "--repeat must be at least 1")
	}
	return nil
}

// benchRow is one instance's measurement.
type benchRow struct {
	name      string
	students  int
	objective float64
	bound     *float64
	seconds   float64
	peakMiB   float64
	valid     bool
	ref       *fixtures.Reference
}

// Run measures every instance and writes the report.
func (c *BenchCommand) Run(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "weekplan-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	refs, err := fixtures.References()
	if err != nil {
		return err
	}
	type job struct {
		name string
		inst *solver.Instance
	}
	var jobs []job
	for _, name := range fixtures.BenchNames() {
		inst, err := fixtures.Bench(name)
		if err != nil {
			return err
		}
		jobs = append(jobs, job{name, inst})
	}
	for _, n := range c.sizes {
		jobs = append(jobs, job{fmt.Sprintf("gen-%d-seed1", n), fixtures.Generate(fixtures.GenOptions{Students: n, Seed: 1})})
	}
	var rows []benchRow
	for _, j := range jobs {
		in := filepath.Join(tmp, j.name+".json")
		data, err := marshalJSON(j.inst)
		if err != nil {
			return err
		}
		if err := os.WriteFile(in, data, 0o644); err != nil {
			return err
		}
		row := benchRow{name: j.name, students: len(j.inst.Students)}
		if r, ok := refs[j.name]; ok {
			row.ref = &r
		}
		var times []float64
		for i := 0; i < c.repeat; i++ {
			out := filepath.Join(tmp, j.name+".schedule.json")
			secs, peak, err := c.solveOnce(ctx, self, in, out)
			if err != nil {
				return fmt.Errorf("%s: %w", j.name, err)
			}
			times = append(times, secs)
			row.peakMiB = max(row.peakMiB, peak)
			sdata, err := os.ReadFile(out)
			if err != nil {
				return err
			}
			sched, err := solver.ParseSchedule(sdata)
			if err != nil {
				return err
			}
			rep := solver.Check(j.inst, sched)
			row.valid, row.objective, row.bound = rep.Valid(), rep.Score.Total, sched.Bound
		}
		row.seconds = median(times)
		c.main.Log.Info().Str("instance", j.name).Float64("objective", row.objective).Float64("seconds", row.seconds).Float64("peak_mib", row.peakMiB).Msg("measured")
		rows = append(rows, row)
	}
	report := c.report(rows)
	if c.out != "" && c.out != "-" {
		if old, err := os.ReadFile(c.out); err == nil {
			report = spliceReport(old, report)
		}
		// The plot of time per student goes beside the report.
		plot := filepath.Join(filepath.Dir(c.out), timePlotFile)
		if err := os.WriteFile(plot, timePerStudentSVG(rows), 0o644); err != nil {
			return err
		}
	}
	return writeOutput(c.main.Stdout, c.out, report)
}

// timePlotFile is the plot of time per student, written beside --out.
const timePlotFile = "bench-time-per-student.svg"

// timePerStudentSVG plots milliseconds per student against students for the
// generated schools: a hand-written SVG line chart (no plotting dependency).
func timePerStudentSVG(rows []benchRow) []byte {
	type pt struct{ x, y float64 }
	var pts []pt
	maxX, maxY := 1.0, 1.0
	for _, r := range rows {
		if strings.HasPrefix(r.name, "gen-") && r.students > 0 {
			p := pt{float64(r.students), 1000 * r.seconds / float64(r.students)}
			pts = append(pts, p)
			maxX, maxY = max(maxX, p.x), max(maxY, p.y)
		}
	}
	const w, h, left, right, top, bottom = 560.0, 320.0, 60.0, 20.0, 30.0, 50.0
	maxY = math.Ceil(maxY*1.2 + 0.5)
	sx := func(x float64) float64 { return left + (w-left-right)*x/maxX }
	sy := func(y float64) float64 { return h - bottom - (h-top-bottom)*y/maxY }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14">Solve time per student (generated schools, default effort)</text>`+"\n", left)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`+"\n",
		left, sy(0), w-right, sy(0), left, sy(0), left, sy(maxY))
	for k := 0; k <= 4; k++ {
		y := maxY * float64(k) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.1f</text><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n",
			left-6, sy(y)+4, y, left, sy(y), w-right, sy(y))
	}
	fmt.Fprintf(&b, `<text x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle">ms per student</text>`+"\n", (top+h-bottom)/2, (top+h-bottom)/2)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">students</text>`+"\n", (left+w-right)/2, h-10)
	var path strings.Builder
	for k, p := range pts {
		cmd := "L"
		if k == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, sx(p.x), sy(p.y))
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#1f6fb4"/><text x="%.1f" y="%.1f" text-anchor="middle">%.0f</text>`+"\n",
			sx(p.x), sy(p.y), sx(p.x), sy(0)+16, p.x)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#1f6fb4">%.2f</text>`+"\n", sx(p.x), sy(p.y)-8, p.y)
	}
	if len(pts) > 1 {
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#1f6fb4" stroke-width="2"/>`+"\n", strings.TrimSpace(path.String()))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// Markers around the part of docs/benchmarks.md that bench writes; what stands
// outside them (measurements made by hand, such as the district run) is kept.
const (
	benchBegin = "<!-- weekplan bench: begin -->\n"
	benchEnd   = "<!-- weekplan bench: end -->\n"
)

// spliceReport replaces the marked section of old with report, or puts
// report first when old has no markers.
func spliceReport(old, report []byte) []byte {
	section := append(append([]byte(benchBegin), report...), benchEnd...)
	i, j := bytes.Index(old, []byte(benchBegin)), bytes.Index(old, []byte(benchEnd))
	if i < 0 || j < i {
		return append(append(section, '\n'), old...)
	}
	out := append([]byte(nil), old[:i]...)
	out = append(out, section...)
	return append(out, old[j+len(benchEnd):]...)
}

// solveOnce runs `weekplan solve` in a subprocess and returns its wall time
// and peak resident memory.
func (c *BenchCommand) solveOnce(ctx context.Context, self, in, out string) (float64, float64, error) {
	args := []string{"solve", "--in", in, "--out", out, "--seed", strconv.FormatInt(c.seed, 10)}
	if c.effort > 0 {
		args = append(args, "--effort", strconv.Itoa(c.effort))
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn", "LOG_FORMAT=json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	if err != nil && (cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitIncomplete) {
		return 0, 0, fmt.Errorf("solve failed: %v: %s", err, stderr.String())
	}
	peak := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return secs, peak, nil
}

func (c *BenchCommand) report(rows []benchRow) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Solver: public benchmark and generated schools\n\nMeasured by `make bench` (`weekplan bench --out docs/benchmarks.md`): every instance solved by `weekplan solve --seed %d` in a subprocess of its own; seconds are wall time of the whole process (parse, solve, bound, check, write), peak is its maximum resident memory.\n\n", c.seed)
	fmt.Fprintf(&b, "- date: %s\n- machine: %s, %d cores, %s\n- effort: %s\n\n", time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(), runtime.Version(), effortText(c.effort))
	b.WriteString("| instance | students | objective | bound | gap | seconds | peak MiB | reference objective | ratio to reference | valid |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range rows {
		bound, gapText := "—", "—"
		if r.bound != nil {
			bound = fmt.Sprintf("%.3f", *r.bound)
			g := gap(r.objective, *r.bound)
			if r.objective > 0 && *r.bound > 0 {
				gapText = fmt.Sprintf("%.2f %%", 100*g)
			} else {
				gapText = fmt.Sprintf("%.3f (abs)", g)
			}
		}
		refObj, ratio := "—", "—"
		if r.ref != nil {
			refObj = fmt.Sprintf("%.3f (%s)", r.ref.Objective, r.ref.Status)
			if r.ref.Objective > 0 {
				ratio = fmt.Sprintf("%.4f", r.objective/r.ref.Objective)
			} else {
				ratio = fmt.Sprintf("%+.3f (abs)", r.objective-r.ref.Objective)
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %.3f | %s | %s | %.2f | %.0f | %s | %s | %v |\n", r.name, r.students, r.objective, bound, gapText, r.seconds, r.peakMiB, refObj, ratio, r.valid)
	}
	b.WriteString("\nTime per student (generated schools; plotted in [" + timePlotFile + "](" + timePlotFile + ")):\n\n| students | seconds | ms per student |\n| ---: | ---: | ---: |\n")
	for _, r := range rows {
		if strings.HasPrefix(r.name, "gen-") {
			fmt.Fprintf(&b, "| %d | %.2f | %.2f |\n", r.students, r.seconds, 1000*r.seconds/float64(r.students))
		}
	}
	return b.Bytes()
}

func effortText(e int) string {
	if e == 0 {
		return fmt.Sprintf("default (%d)", solver.DefaultEffort)
	}
	return strconv.Itoa(e)
}

// cpuModel reads the processor's model name from /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// median is the empirical median of the measured times.
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return stat.Quantile(0.5, stat.Empirical, s, nil)
}
