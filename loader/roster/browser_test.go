package roster_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/weekplan/weekplan/loader/browsertest"
	"github.com/weekplan/weekplan/loader/roster"
	"github.com/weekplan/weekplan/solver"
)

// pageMarginMM is the @page margin of templates/style.css.
const pageMarginMM = 12

// TestRostersInBrowser renders the demo school's rosters (fixtures.Demo
// solved at low effort) in headless Chromium: every page loads with no
// console error and no failed load, every link leads to a file that was
// written, nothing overflows its box and no id breaks across lines on screen
// or on Letter or A4 paper, a teacher's busiest day and the fullest day the
// school allows print on one page of Letter and of A4, a week prints on no
// more pages than it has teaching days, and a screenshot shows the page.
func TestRostersInBrowser(t *testing.T) {
	inst, sched := browsertest.DemoWeek(t)
	dir := t.TempDir()
	if _, err := roster.Write(dir, inst, sched); err != nil {
		t.Fatal(err)
	}
	// One tab for every page: a new tab costs a renderer's start.
	p := browsertest.Start(t).Open(t, "about:blank", 1024, 768)

	t.Run("index", func(t *testing.T) {
		p.Navigate(t, browsertest.FileURL(t, filepath.Join(dir, roster.IndexFile)))
		p.CheckClean(t, dir)
		var rows int
		p.Eval(t, `document.querySelectorAll("tbody tr").length`, &rows)
		if rows != len(inst.Teachers) {
			t.Errorf("index lists %d teachers, want %d", rows, len(inst.Teachers))
		}
	})

	t.Run("each teacher's week", func(t *testing.T) {
		for _, teacher := range inst.Teachers {
			p.Navigate(t, browsertest.FileURL(t, filepath.Join(dir, teacher.ID+".html")))
			p.CheckClean(t, dir)
			checkLayout(t, p)
			days := teachingDays(inst, sched, teacher.ID)
			var sections int
			p.Eval(t, `document.querySelectorAll("section.day").length`, &sections)
			if sections != days {
				t.Errorf("%s: %d day sections, want %d", teacher.ID, sections, days)
			}
			for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
				pages := pdfPages(t, p, paper)
				// A day never breaks across pages (break-inside: avoid) and
				// fits one, so each page starts a new day at worst.
				if pages < 1 || pages > max(days, 1) {
					t.Errorf("%s on %s: %d pages for %d teaching days", teacher.ID, paper.Name, pages, days)
				}
			}
		}
	})

	t.Run("a teacher's busiest day fits one page", func(t *testing.T) {
		teacher, day, lines := busiestDay(inst, sched)
		if lines == 0 {
			t.Fatal("the demo schedule has no session")
		}
		dayDir := t.TempDir()
		if _, err := roster.Write(dayDir, inst, onlyDay(inst, sched, day)); err != nil {
			t.Fatal(err)
		}
		p.Navigate(t, browsertest.FileURL(t, filepath.Join(dayDir, teacher+".html")))
		p.CheckClean(t, dayDir)
		var sections, rows int
		p.Eval(t, `document.querySelectorAll("section.day").length`, &sections)
		p.Eval(t, `document.querySelectorAll("section.day tbody tr").length`, &rows)
		if sections != 1 || rows == 0 {
			t.Fatalf("%s on %s: %d day sections and %d sessions, want one day with sessions", teacher, day, sections, rows)
		}
		for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
			if pages := pdfPages(t, p, paper); pages != 1 {
				t.Errorf("%s's %s (%d sessions, %d students) prints on %d %s pages, want 1", teacher, day, rows, lines-rows, pages, paper.Name)
			}
		}
	})

	t.Run("a full day fits one page", func(t *testing.T) {
		full, teacher, day := fullDay(inst)
		dayDir := t.TempDir()
		if _, err := roster.Write(dayDir, inst, full); err != nil {
			t.Fatal(err)
		}
		p.Navigate(t, browsertest.FileURL(t, filepath.Join(dayDir, teacher+".html")))
		p.CheckClean(t, dayDir)
		checkLayout(t, p)
		for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
			if pages := pdfPages(t, p, paper); pages != 1 {
				t.Errorf("a full %s for %s (%d small groups of %d) prints on %d %s pages, want 1",
					day, teacher, len(full.Sessions), inst.Params().GroupMax, pages, paper.Name)
			}
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		teacher, _, _ := busiestDay(inst, sched)
		p.Navigate(t, browsertest.FileURL(t, filepath.Join(dir, teacher+".html")))
		shot := p.Screenshot(t, 1024, 768)
		info, err := browsertest.CheckScreenshot(shot, 1024, 768)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), teacher+".png")
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d colours, %.1f%% ink", out, info.Colours, 100*info.Ink)
	})
}

// checkLayout fails the test for content that overflows its box and for an
// id broken across lines, on a 1024-pixel screen and in the print layout of
// Letter and A4 paper. It leaves the page in its screen layout.
func checkLayout(t *testing.T, p *browsertest.Page) {
	t.Helper()
	check := func(layout string) {
		t.Helper()
		for _, o := range p.Overflowing(t) {
			t.Errorf("%s, %s: %s", p.URL, layout, o)
		}
		var broken []string
		p.Eval(t, `Array.from(document.querySelectorAll(".id")).filter(e => e.getClientRects().length > 1).map(e => e.textContent)`, &broken)
		if len(broken) > 0 {
			t.Errorf("%s, %s: ids broken across lines: %v", p.URL, layout, broken)
		}
	}
	for _, paper := range []browsertest.Paper{browsertest.Letter, browsertest.A4} {
		p.EmulatePrint(t, paper.PrintWidth(pageMarginMM))
		check("printed on " + paper.Name)
	}
	p.EmulateScreen(t, 1024, 768)
	check("on a 1024-pixel screen")
}

func pdfPages(t *testing.T, p *browsertest.Page, paper browsertest.Paper) int {
	t.Helper()
	n, err := browsertest.PDFPages(p.PDF(t, paper))
	if err != nil {
		t.Fatalf("%s on %s: %v", p.URL, paper.Name, err)
	}
	return n
}

// slotDays maps every slot id to its day.
func slotDays(inst *solver.Instance) map[string]string {
	days := map[string]string{}
	for _, s := range inst.Slots {
		days[s.ID] = s.Day
	}
	return days
}

// teachingDays counts the days on which a teacher leads a session.
func teachingDays(inst *solver.Instance, sched *solver.Schedule, teacher string) int {
	days, seen := slotDays(inst), map[string]bool{}
	for _, s := range sched.Sessions {
		if s.Teacher == teacher {
			seen[days[s.Slot]] = true
		}
	}
	return len(seen)
}

// busiestDay is the teacher and day with the longest roster: the most
// sessions plus students (a roster line each).
func busiestDay(inst *solver.Instance, sched *solver.Schedule) (teacher, day string, lines int) {
	days := slotDays(inst)
	count := map[[2]string]int{}
	for _, s := range sched.Sessions {
		count[[2]string{s.Teacher, days[s.Slot]}] += 1 + len(s.Students)
	}
	for _, s := range sched.Sessions { // schedule order breaks ties
		k := [2]string{s.Teacher, days[s.Slot]}
		if count[k] > lines {
			teacher, day, lines = k[0], k[1], count[k]
		}
	}
	return teacher, day, lines
}

// fullDay is the longest roster day the demo school allows, whatever the
// solver does: its first teacher leads a small group of group_max students
// in every block of the day with the most blocks, each in the room and on
// the skill with the longest names, with the students who have the most
// accommodations to print.
func fullDay(inst *solver.Instance) (sched *solver.Schedule, teacher, day string) {
	blocks := map[string][]string{}
	for _, s := range inst.Slots {
		blocks[s.Day] = append(blocks[s.Day], s.ID)
		if len(blocks[s.Day]) > len(blocks[day]) {
			day = s.Day
		}
	}
	longest := func(n int, name func(int) string) int {
		best := 0
		for i := 1; i < n; i++ {
			if len(name(i)) > len(name(best)) {
				best = i
			}
		}
		return best
	}
	room := inst.Rooms[longest(len(inst.Rooms), func(i int) string { return inst.Rooms[i].Name + inst.Rooms[i].ID })].ID
	skill := inst.Skills[longest(len(inst.Skills), func(i int) string { return inst.Skills[i].Name + inst.Skills[i].ID })].ID
	students := make([]solver.Student, len(inst.Students))
	copy(students, inst.Students)
	lines := func(st *solver.Student) int { return len(strings.Join(roster.Accommodations(st), "")) + len(st.Name) }
	sort.SliceStable(students, func(a, c int) bool { return lines(&students[a]) > lines(&students[c]) })
	teacher = inst.Teachers[0].ID
	sched = &solver.Schedule{Format: solver.ScheduleFormat, School: inst.School.ID, WeekStart: inst.WeekStart}
	group := inst.Params().GroupMax
	for k, slot := range blocks[day] {
		var ids []string
		for _, st := range students[k*group : (k+1)*group] {
			ids = append(ids, st.ID)
		}
		sched.Sessions = append(sched.Sessions, solver.Session{Slot: slot, Mode: solver.SmallGroup, Teacher: teacher, Room: room, Skill: skill, Students: ids})
	}
	return sched, teacher, day
}

// onlyDay is the schedule cut to one day's sessions.
func onlyDay(inst *solver.Instance, sched *solver.Schedule, day string) *solver.Schedule {
	days := slotDays(inst)
	out := *sched
	out.Sessions = nil
	for _, s := range sched.Sessions {
		if days[s.Slot] == day {
			out.Sessions = append(out.Sessions, s)
		}
	}
	out.Independent, out.Unplaced = nil, nil
	return &out
}
