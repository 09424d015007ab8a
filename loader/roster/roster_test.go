package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/weekplan/weekplan/solver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func intp(v int) *int { return &v }

// school is a small hand-made instance and schedule: two teachers with
// sessions, one without, students with accommodations, a name that tries
// script injection and one that tries a spreadsheet formula.
func school() (*solver.Instance, *solver.Schedule) {
	inst := &solver.Instance{
		Format:    solver.InstanceFormat,
		School:    solver.School{ID: "lincoln-ms", Name: "Lincoln Middle School", Timezone: "America/Denver"},
		WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45},
			{ID: "mon-2", Day: "mon", Start: "09:50", Minutes: 45},
			{ID: "wed-1", Day: "wed", Start: "08:30", Minutes: 40},
			{ID: "fri-3", Day: "fri", Start: "11:30", Minutes: 45},
		},
		Skills: []solver.Skill{
			{ID: "math.frac.1", Subject: "math", Name: "Equivalent fractions", Seq: 1},
			{ID: "read.inf.1", Subject: "reading", Name: "Inference; author's purpose", Seq: 1},
		},
		Rooms: []solver.Room{
			{ID: "r101", Name: "Room 101", Capacity: 28, Stations: intp(2), Modes: []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}, Accessible: true},
			{ID: "tr-1", Name: "Tutoring Room 1", Capacity: 4, Stations: intp(2), Modes: []solver.Mode{solver.SmallGroup, solver.Tutoring}, Accessible: true},
			{ID: "lib", Name: "Library", Capacity: 40, Stations: intp(0), Modes: []solver.Mode{solver.Independent}, Accessible: true},
		},
		Teachers: []solver.Teacher{
			{ID: "t-lee", Name: "A. Lee", Subjects: []string{"math"}},
			{ID: "t-ortiz", Name: "M. Ortiz, Jr.", Subjects: []string{"reading"}},
			{ID: "t-idle", Name: "P. Idle", Subjects: []string{"reading"}},
		},
		Students: []solver.Student{
			{ID: "s-0001", Name: "Maya R.", Grade: 7, NeedsAccessible: true,
				MinMinutes: map[solver.Mode]int{solver.Tutoring: 90, solver.SmallGroup: 45, solver.Independent: 0}},
			{ID: "s-0002", Name: `<script>alert("x")</script>`, Grade: 6},
			{ID: "s-0003", Name: "Zoë Ñúñez", Grade: 8, MaxGroupSize: intp(3)},
			{ID: "s-0004", Name: "=HYPERLINK(\"http://x\")", Grade: 8},
		},
	}
	sched := &solver.Schedule{
		Format:    solver.ScheduleFormat,
		School:    "lincoln-ms",
		WeekStart: "2026-11-30",
		Sessions: []solver.Session{
			{Slot: "fri-3", Mode: solver.SmallGroup, Teacher: "t-ortiz", Room: "r101", Skill: "read.inf.1", Students: []string{"s-0004", "s-0003"}},
			{Slot: "mon-2", Mode: solver.Tutoring, Teacher: "t-lee", Room: "tr-1", Skill: "math.frac.1", Students: []string{"s-0001"}},
			{Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t-lee", Room: "r101", Skill: "math.frac.1", Students: []string{"s-0003", "s-0002", "s-0001"}},
			{Slot: "wed-1", Mode: solver.Tutoring, Teacher: "t-ortiz", Room: "tr-1", Skill: "read.inf.1", Students: []string{"s-0002"}},
		},
		Independent: []solver.IndependentWork{{Slot: "mon-1", Room: "lib", Students: []string{"s-0004"}}},
	}
	return inst, sched
}

// sessionsOf lists the schedule's sessions led by a teacher.
func sessionsOf(sched *solver.Schedule, teacher string) []solver.Session {
	var out []solver.Session
	for _, s := range sched.Sessions {
		if s.Teacher == teacher {
			out = append(out, s)
		}
	}
	return out
}

// TestWriteGolden writes the rosters of the hand-made school and compares
// every file with testdata/<file>.golden; `go test ./loader/roster -update`
// rewrites them, to be reviewed in the diff.
func TestWriteGolden(t *testing.T) {
	inst, sched := school()
	dir := t.TempDir()
	files, err := Write(dir, inst, sched)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"t-lee.html", "t-lee.csv", "t-lee.ics",
		"t-ortiz.html", "t-ortiz.csv", "t-ortiz.ics",
		"t-idle.html", "t-idle.csv", "t-idle.ics",
		"index.html",
	}
	if len(files) != len(want) {
		t.Fatalf("Write returned %v, want %d files", files, len(want))
	}
	for k, name := range want {
		if files[k] != filepath.Join(dir, name) {
			t.Errorf("file %d: got %s, want %s", k, files[k], filepath.Join(dir, name))
		}
		got, err := os.ReadFile(files[k])
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		wantBytes, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, wantBytes) {
			t.Errorf("%s differs from %s; rerun with -update and review the diff", name, golden)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d entries in the directory, want %d (no temporary files left)", len(entries), len(want))
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	inst, sched := school()
	a, b := t.TempDir(), t.TempDir()
	if _, err := Write(a, inst, sched); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(b, inst, sched); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t-lee.html", "t-lee.csv", "t-lee.ics", "index.html"} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// TestEverySessionAppears checks that each teacher's HTML, CSV and iCalendar
// rosters show every session the teacher leads, and nobody else's.
func TestEverySessionAppears(t *testing.T) {
	inst, sched := school()
	for _, tc := range inst.Teachers {
		t.Run(tc.ID, func(t *testing.T) {
			mine := sessionsOf(sched, tc.ID)

			var html bytes.Buffer
			if err := WriteTeacherHTML(&html, inst, sched, tc.ID); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(html.String(), `<td class="block">`); got != len(mine) {
				t.Errorf("HTML: %d session rows, want %d", got, len(mine))
			}
			for _, s := range mine {
				if !strings.Contains(html.String(), `<td class="block">`+s.Slot+`<br>`) {
					t.Errorf("HTML: no row for %s", s.Slot)
				}
				for _, id := range s.Students {
					if !strings.Contains(html.String(), `<span class="id">`+id+`</span>`) {
						t.Errorf("HTML: student %s of %s missing", id, s.Slot)
					}
				}
			}
			if len(mine) == 0 && !strings.Contains(html.String(), "No sessions this week.") {
				t.Error("HTML: a teacher without sessions is not told so")
			}

			var buf bytes.Buffer
			if err := WriteTeacherCSV(&buf, inst, sched, tc.ID); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			if strings.Join(rows[0], ",") != strings.Join(CSVHeader(), ",") {
				t.Errorf("CSV header %v, want %v", rows[0], CSVHeader())
			}
			want := map[string]bool{}
			for _, s := range mine {
				for _, id := range s.Students {
					want[s.Slot+"/"+id] = true
				}
			}
			got := map[string]bool{}
			for _, r := range rows[1:] {
				if len(r) != len(CSVHeader()) {
					t.Fatalf("CSV row %v: %d fields, want %d", r, len(r), len(CSVHeader()))
				}
				got[r[1]+"/"+r[8]] = true
			}
			if len(rows)-1 != len(want) || len(got) != len(want) {
				t.Errorf("CSV: %d rows (%v), want one per student per session %v", len(rows)-1, got, want)
			}
			for k := range want {
				if !got[k] {
					t.Errorf("CSV: no row for %s", k)
				}
			}

			var ics bytes.Buffer
			if err := WriteTeacherICS(&ics, inst, sched, tc.ID); err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(ics.String(), "BEGIN:VEVENT\r\n"); got != len(mine) {
				t.Errorf("iCalendar: %d VEVENTs, want %d", got, len(mine))
			}
		})
	}
}

func TestHTMLEscapes(t *testing.T) {
	inst, sched := school()
	inst.School.Name = `Lincoln <b>"Middle"</b> & Co`
	for _, write := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return WriteTeacherHTML(b, inst, sched, "t-lee") },
		func(b *bytes.Buffer) error { return WriteIndex(b, inst, sched) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, raw := range []string{"<script>", "<b>", `"Middle"`} {
			if strings.Contains(page, raw) {
				t.Errorf("page contains unescaped %q", raw)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteTeacherHTML(&b, inst, sched, "t-lee"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the <script> name is not shown escaped")
	}
}

func TestHTMLAccommodations(t *testing.T) {
	inst, sched := school()
	var b bytes.Buffer
	if err := WriteTeacherHTML(&b, inst, sched, "t-lee"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"accessible seating",
		"IEP: 90 min tutoring, 45 min small group per week",
		"max group 3",
		"@media print",
		`href="t-lee.csv"`, `href="t-lee.ics"`, `href="index.html"`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("t-lee's page lacks %q", want)
		}
	}
	// Accommodations are the teacher's business only when the student is in
	// its sessions: t-ortiz's students have none of Maya's.
	b.Reset()
	if err := WriteTeacherHTML(&b, inst, sched, "t-ortiz"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "IEP:") || strings.Contains(b.String(), "Maya") {
		t.Error("t-ortiz's page shows a student it does not teach")
	}
}

func TestCSVGuardsFormulas(t *testing.T) {
	inst, sched := school()
	var b bytes.Buffer
	if err := WriteTeacherCSV(&b, inst, sched, "t-ortiz"); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[8] == "s-0004" && !strings.HasPrefix(r[9], "'=") {
			t.Errorf("formula name written as %q, want it prefixed with '", r[9])
		}
	}
}

func TestICSFormat(t *testing.T) {
	inst, sched := school()
	// A long description, to be folded.
	for k := range 12 {
		id := "s-1" + strings.Repeat("0", 2) + string(rune('a'+k))
		inst.Students = append(inst.Students, solver.Student{ID: id, Name: "Ünïcödé Stüdent " + id})
		sched.Sessions[2].Students = append(sched.Sessions[2].Students, id)
	}
	var b bytes.Buffer
	if err := WriteTeacherICS(&b, inst, sched, "t-lee"); err != nil {
		t.Fatal(err)
	}
	ics := b.String()
	if !strings.HasSuffix(ics, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(ics, "\r\n", ""), "\n") {
		t.Error("lines do not all end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n")
	folded := 0
	for _, l := range lines {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("fold splits a UTF-8 sequence: %q", l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Error("no line was folded")
	}
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	for _, want := range []string{
		"BEGIN:VTIMEZONE\r\nTZID:America/Denver\r\n",
		"DTSTART;TZID=America/Denver:20261130T090000\r\nDTEND;TZID=America/Denver:20261130T094500\r\n",
		"DTSTART;TZID=America/Denver:20261130T095000\r\n",
		"UID:lincoln-ms/2026-11-30/mon-1/t-lee@weekplan\r\n",
		"DTSTAMP:20261130T000000Z\r\n",
		"SUMMARY:Small group: Equivalent fractions (math.frac.1)\r\n",
		"LOCATION:Room 101\r\n",
		"Ünïcödé Stüdent s-100l (s-100l)",
		"TZOFFSETTO:-0700\r\n", "TZNAME:MST\r\n", "TZOFFSETTO:-0600\r\n", "TZNAME:MDT\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("iCalendar lacks %q", want)
		}
	}
	// Components nest properly and every content line is NAME[;PARAM]:VALUE.
	var stack []string
	for _, l := range strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
		name, _, ok := strings.Cut(l, ":")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9-]*(;[A-Z-]+=[^;:]+)*$`).MatchString(name) {
			t.Errorf("malformed content line %q", l)
		}
		switch {
		case strings.HasPrefix(l, "BEGIN:"):
			stack = append(stack, l[len("BEGIN:"):])
		case strings.HasPrefix(l, "END:"):
			if len(stack) == 0 || stack[len(stack)-1] != l[len("END:"):] {
				t.Fatalf("%q closes %v", l, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed components %v", stack)
	}
	// The accommodation details stay out of calendars.
	if strings.Contains(unfolded, "IEP") || strings.Contains(unfolded, "accessible") {
		t.Error("iCalendar carries accommodations")
	}
	// Every TZID used is defined.
	for _, m := range regexp.MustCompile(`TZID=([^:;]+)`).FindAllStringSubmatch(unfolded, -1) {
		if !strings.Contains(unfolded, "TZID:"+m[1]+"\r\n") {
			t.Errorf("TZID %s has no VTIMEZONE", m[1])
		}
	}
}

func TestICSTimeZones(t *testing.T) {
	tests := []struct {
		name, tz, week string
		want           []string
		absent         []string
	}{
		{
			name: "week of a DST change", tz: "America/New_York", week: "2027-03-08",
			want: []string{
				"DTSTART;TZID=America/New_York:20270308T090000",
				"BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n",
				"BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n",
			},
		},
		{
			name: "no daylight saving time", tz: "America/Phoenix", week: "2026-11-30",
			want:   []string{"BEGIN:STANDARD\r\n", "TZOFFSETTO:-0700\r\n"},
			absent: []string{"BEGIN:DAYLIGHT"},
		},
		{
			name: "southern hemisphere", tz: "Australia/Sydney", week: "2026-11-30",
			want: []string{"TZOFFSETTO:+1100\r\n", "TZOFFSETTO:+1000\r\n"},
		},
		{
			name: "floating time", tz: "", week: "2026-11-30",
			want:   []string{"DTSTART:20261130T090000\r\n"},
			absent: []string{"VTIMEZONE", "TZID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, sched := school()
			inst.School.Timezone, inst.WeekStart, sched.WeekStart = tt.tz, tt.week, tt.week
			var b bytes.Buffer
			if err := WriteTeacherICS(&b, inst, sched, "t-lee"); err != nil {
				t.Fatal(err)
			}
			ics := strings.ReplaceAll(b.String(), "\r\n ", "")
			for _, w := range tt.want {
				if !strings.Contains(ics, w) {
					t.Errorf("lacks %q in:\n%s", w, ics)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(ics, w) {
					t.Errorf("contains %q", w)
				}
			}
		})
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*solver.Instance, *solver.Schedule)
		want   string
	}{
		{"other school", func(_ *solver.Instance, s *solver.Schedule) { s.School = "x-ms" }, `school "x-ms"`},
		{"other week", func(_ *solver.Instance, s *solver.Schedule) { s.WeekStart = "2026-12-07" }, "week 2026-12-07"},
		{"unknown teacher", func(_ *solver.Instance, s *solver.Schedule) { s.Sessions[0].Teacher = "t-x" }, `sessions[0].teacher: unknown teacher "t-x"`},
		{"unknown student", func(_ *solver.Instance, s *solver.Schedule) { s.Sessions[1].Students[0] = "s-x" }, `sessions[1].students[0]: unknown student "s-x"`},
		{"unknown room", func(_ *solver.Instance, s *solver.Schedule) { s.Sessions[0].Room = "r-x" }, `sessions[0].room`},
		{"unknown skill", func(_ *solver.Instance, s *solver.Schedule) { s.Sessions[0].Skill = "k" }, `sessions[0].skill`},
		{"unknown slot", func(_ *solver.Instance, s *solver.Schedule) { s.Sessions[0].Slot = "sat-9" }, `sessions[0].slot`},
		{"bad time zone", func(i *solver.Instance, _ *solver.Schedule) { i.School.Timezone = "Mars/Olympus" }, "Mars/Olympus"},
		{"bad week", func(i *solver.Instance, s *solver.Schedule) { i.WeekStart, s.WeekStart = "30/11/2026", "30/11/2026" }, "week_start"},
		{"bad start", func(i *solver.Instance, _ *solver.Schedule) { i.Slots[0].Start = "9am" }, "slot mon-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, sched := school()
			tt.change(inst, sched)
			_, err := Write(t.TempDir(), inst, sched)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	inst, sched := school()
	if err := WriteTeacherHTML(new(bytes.Buffer), inst, sched, "t-nobody"); err == nil {
		t.Error("unknown teacher: got no error")
	}
}

func TestFileNames(t *testing.T) {
	f := fileNames{used: map[string]bool{"index": true}}
	for _, tt := range []struct{ id, want string }{
		{"t-lee", "t-lee"},
		{"index", "index-2"},
		{"../etc/passwd", "_._etc_passwd"},
		{"a/b", "a_b"},
		{"a_b", "a_b-2"},
		{"T-LEE", "T-LEE-2"},
		{"", "teacher"},
	} {
		if got := f.name(tt.id); got != tt.want {
			t.Errorf("name(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// FuzzICSLine checks line folding: every physical line ends in CRLF and holds
// at most 75 octets, a fold never splits a UTF-8 sequence, and unfolding gives
// back the content line.
func FuzzICSLine(f *testing.F) {
	f.Add("DESCRIPTION:" + strings.Repeat("Zoë Ñúñez (s-0003)\\n", 10))
	f.Add(strings.Repeat("x", 75))
	f.Add(strings.Repeat("\x80", 200))
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\r\n") {
			t.Skip("content lines hold no line breaks: escapeText removes them")
		}
		var b bytes.Buffer
		out := &icsWriter{w: bufio.NewWriter(&b)}
		out.line(s)
		if err := out.w.Flush(); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if !strings.HasSuffix(got, "\r\n") {
			t.Fatalf("%q does not end in CRLF", got)
		}
		for _, l := range strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n") {
			if len(l) > 75 {
				t.Errorf("line of %d octets", len(l))
			}
			if utf8.ValidString(s) && !utf8.ValidString(l) {
				t.Errorf("fold splits a UTF-8 sequence: %q", l)
			}
		}
		if back := strings.ReplaceAll(strings.TrimSuffix(got, "\r\n"), "\r\n ", ""); back != s {
			t.Errorf("unfolded %q, want %q", back, s)
		}
	})
}
