package report_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weekplan/weekplan/loader/report"
	"github.com/weekplan/weekplan/solver"
	"github.com/weekplan/weekplan/solver/triage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// reportWeek is a hand-made week with every section of the report populated:
// IEP students with a shortfall, unplaced slots with reasons that need
// escaping, an at-risk student, a room unavailable in one block and last
// week's placements.
func reportWeek() (*solver.Instance, *solver.Schedule) {
	two, zero, three := 2, 0, 3
	hi := 1.5
	inst := &solver.Instance{
		Format:    solver.InstanceFormat,
		School:    solver.School{ID: "rep-ms", Name: "Report <Middle> School", Timezone: "America/Denver"},
		WeekStart: "2026-11-30",
		Slots: []solver.Slot{
			{ID: "mon-1", Day: "mon", Start: "09:00", Minutes: 45},
			{ID: "mon-2", Day: "mon", Start: "10:00", Minutes: 45},
			{ID: "tue-1", Day: "tue", Start: "09:00", Minutes: 40},
		},
		Skills: []solver.Skill{
			{ID: "math.1", Subject: "math", Name: "Fractions", Seq: 1},
			{ID: "math.2", Subject: "math", Name: "Ratios", Seq: 2},
			{ID: "read.1", Subject: "reading", Name: "Inference", Seq: 1},
		},
		Rooms: []solver.Room{
			{ID: "r1", Name: "Room 1", Capacity: 6, Stations: &two, Modes: []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}, Accessible: true},
			{ID: "lib", Name: "Library", Capacity: 2, Stations: &zero, Modes: []solver.Mode{solver.Independent}, Topic: "reading", Unavailable: []string{"tue-1"}},
		},
		Teachers: []solver.Teacher{
			{ID: "t-lee", Name: "A. Lee", Subjects: []string{"math"}, MaxSessions: &three},
			{ID: "t-kim", Name: "B. Kim", Subjects: []string{"reading"}, Unavailable: []string{"mon-2"}},
		},
		Students: []solver.Student{
			{ID: "s-01", Name: "Annabel Q.", Grade: 6, Progress: map[string]float64{"math.1": 0.5}},
			{ID: "s-02", Name: "Bohdan W.", Grade: 6, Progress: map[string]float64{"math.1": 0.6}},
			{ID: "s-03", Name: "Cyprian Z.", Grade: 7, Priority: &hi, Progress: map[string]float64{"math.1": 0.9, "math.2": 0.2, "read.1": 0.3},
				MinMinutes: map[solver.Mode]int{solver.Tutoring: 90, solver.SmallGroup: 45}},
			{ID: "s-04", Name: "Dagmar V.", Grade: 7, Progress: map[string]float64{"read.1": 0.85}, MinMinutes: map[solver.Mode]int{solver.Independent: 40}},
		},
		LastWeek: []solver.LastWeekEntry{
			{Student: "s-03", Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t-lee"},
			{Student: "s-03", Slot: "tue-1", Mode: solver.Tutoring, Teacher: "t-kim"},
		},
	}
	s := &solver.Schedule{
		Format: solver.ScheduleFormat, School: "rep-ms", WeekStart: "2026-11-30",
		Sessions: []solver.Session{
			{Slot: "mon-1", Mode: solver.Tutoring, Teacher: "t-lee", Room: "r1", Skill: "math.2", Students: []string{"s-03"}},
			{Slot: "mon-1", Mode: solver.SmallGroup, Teacher: "t-kim", Room: "r1", Skill: "read.1", Students: nil},
			{Slot: "mon-2", Mode: solver.SmallGroup, Teacher: "t-lee", Room: "r1", Skill: "math.1", Students: []string{"s-01", "s-02"}},
		},
		Independent: []solver.IndependentWork{
			{Slot: "mon-1", Room: "lib", Students: []string{"s-01", "s-02"}},
			{Slot: "mon-1", Room: "r1", Students: []string{"s-04"}},
			{Slot: "mon-2", Room: "lib", Students: []string{"s-03", "s-04"}},
			{Slot: "tue-1", Room: "r1", Students: []string{"s-01", "s-02"}},
		},
		Unplaced: []solver.Unplaced{
			{Student: "s-04", Slot: "tue-1", Reason: `every room is at capacity in slot tue-1 & "lib" is closed`},
			{Student: "s-03", Slot: "tue-1", Reason: "no <accessible> room with free capacity in slot tue-1"},
		},
		Shortfalls: []solver.Shortfall{
			{Student: "s-03", Mode: solver.Tutoring, Minutes: 45, Reason: "tutoring: only 1 of 2 required blocks; teachers of math (t-lee) are at their weekly limit"},
			{Student: "s-03", Mode: solver.SmallGroup, Minutes: 45, Reason: "small_group: no compatible partner within the level band was free"},
		},
		Objective: -2500.25,
	}
	bound := -1900.5
	s.Bound = &bound
	return inst, s
}

// reportInfo describes reportWeek's schedule as version 3, with its tutoring
// shortfall acknowledged and its small-group shortfall not.
func reportInfo() report.ReportInfo {
	return report.ReportInfo{Version: 3, State: "draft", CreatedAt: time.Date(2026, 11, 27, 18, 0, 5, 0, time.UTC), InputHash: "abc123",
		Acknowledgements: []report.Acknowledgement{{Student: "s-03", Mode: solver.Tutoring, By: "P. <Admin>",
			At: time.Date(2026, 11, 28, 9, 30, 0, 0, time.FixedZone("MST", -7*3600)), Note: "IEP team agreed & parents informed;\nmake-up block on Monday"}},
		Triage: reportTriage()}
}

// reportTriage is a triage of reportWeek as triage.Triage reports one: two
// verified changes, most minutes first, of 5 candidates, 4 re-solved.
func reportTriage() *triage.Report {
	more := triage.Change{Kind: triage.TeacherMaxSessions, Teacher: "t-lee", From: 3, To: 4}
	free := triage.Change{Kind: triage.RoomAvailable, Room: "lib", Slot: "tue-1"}
	return &triage.Report{
		School: "rep-ms", Week: "2026-11-30", Seed: 7, Effort: 5,
		BaseShortfallMinutes: 90, StudentsShort: 1, ReferenceShortfallMinutes: 90,
		Candidates: 5, Examined: 4, Complete: true,
		Remedies: []triage.Remedy{
			{Change: more, Description: more.Description(), Recovered: 45, Students: []string{"s-03"}, Slots: []string{"mon-2"}, ShortfallMinutes: 45, Estimate: 90},
			{Change: free, Description: free.Description(), Recovered: 40, Students: []string{"s-03", "s-04"}, Slots: []string{"tue-1"}, ShortfallMinutes: 50, Estimate: 40},
		},
	}
}

// TestTriageSection: the triage section shows the verified changes, says
// when there is nothing to triage, when no single change helps and when the
// triage stopped early, and is absent when the caller gives no triage.
func TestTriageSection(t *testing.T) {
	inst, s := reportWeek()
	tests := []struct {
		name   string
		edit   func(*report.ReportInfo)
		want   []string
		absent []string
	}{
		{"remedies", func(*report.ReportInfo) {}, []string{
			`<a href="#triage">Triage</a>`, "Triage: changes that would meet the IEP minutes",
			"1 student(s) short by 90 minute(s)", "(seed 7, effort 5)", "which is short by 90 minute(s)",
			"4 of 5 candidate change(s) verified, those with the highest estimate",
			`<tr><td>teacher t-lee leads one more session in the week (max_sessions 3 → 4)</td><td class="n">45</td><td class="id">s-03</td><td class="id">mon-2</td></tr>`,
			`<tr><td>room lib freed in slot tue-1</td><td class="n">40</td><td class="id">s-03 s-04</td><td class="id">tue-1</td></tr>`,
		}, []string{"stopped early", "No single change"}},
		{"none", func(i *report.ReportInfo) { i.Triage = nil }, nil,
			[]string{"Triage", `id="triage"`}},
		{"nothing short", func(i *report.ReportInfo) {
			i.Triage = &triage.Report{School: "rep-ms", Week: "2026-11-30", Complete: true}
		}, []string{"nothing to triage"}, []string{"<th>change</th>"}},
		{"no single change", func(i *report.ReportInfo) { i.Triage.Remedies = nil },
			[]string{"No single change to one teacher or room recovers minutes"}, []string{"<th>change</th>"}},
		{"reference meets", func(i *report.ReportInfo) { i.Triage.Remedies, i.Triage.ReferenceShortfallMinutes = nil, 0 },
			[]string{"meets every minimum: run the week again"}, []string{"No single change"}},
		{"stopped early", func(i *report.ReportInfo) { i.Triage.Complete = false; i.Triage.Remedies = i.Triage.Remedies[:1] },
			[]string{"The triage stopped early", "max_sessions 3 → 4"}, []string{"room lib freed"}},
		{"stopped before any", func(i *report.ReportInfo) { i.Triage.Complete, i.Triage.Remedies = false, nil },
			[]string{"The triage stopped early"}, []string{"No single change", "<th>change</th>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := reportInfo()
			tt.edit(&info)
			var b bytes.Buffer
			if err := report.WriteIndex(&b, inst, s, info); err != nil {
				t.Fatal(err)
			}
			page := html.UnescapeString(b.String())
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(page, a) {
					t.Errorf("page has %q", a)
				}
			}
		})
	}
}

func writeReport(t *testing.T) (string, []string) {
	t.Helper()
	inst, s := reportWeek()
	dir := filepath.Join(t.TempDir(), "report")
	files, err := report.Write(dir, inst, s, reportInfo())
	if err != nil {
		t.Fatal(err)
	}
	return dir, files
}

// TestIndexGolden compares index.html with testdata/index.html.golden;
// `go test ./loader/report -update` rewrites it.
func TestIndexGolden(t *testing.T) {
	dir, _ := writeReport(t)
	got, err := os.ReadFile(filepath.Join(dir, report.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "index.html.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("index.html differs from %s; rerun with -update and review the diff", golden)
	}
}

func TestWriteFiles(t *testing.T) {
	dir, files := writeReport(t)
	want := []string{report.QualityPlot, report.IEPPlot, report.EquityPlot, report.MasteryEquityPlot,
		report.TeacherLoadPlot, report.RoomPlot, report.IndexFile}
	if len(files) != len(want) {
		t.Fatalf("got %d files %v, want %d", len(files), files, len(want))
	}
	for i, name := range want {
		if files[i] != filepath.Join(dir, name) {
			t.Errorf("file %d: got %s, want %s", i, files[i], name)
		}
		fi, err := os.Stat(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s is readable by others: %v", name, fi.Mode())
		}
	}
	index, _ := os.ReadFile(filepath.Join(dir, report.IndexFile))
	for _, name := range want[:len(want)-1] {
		if !strings.Contains(string(index), `src="`+name+`"`) {
			t.Errorf("index.html does not show %s", name)
		}
	}
	// Deterministic: a second report is byte-identical.
	dir2, _ := writeReport(t)
	for _, name := range want {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two reports of the same data", name)
		}
	}
}

// TestEveryReasonAppears: every unplaced slot and every shortfall is listed
// with its reason.
func TestEveryReasonAppears(t *testing.T) {
	dir, _ := writeReport(t)
	data, err := os.ReadFile(filepath.Join(dir, report.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(string(data))
	_, s := reportWeek()
	for _, u := range s.Unplaced {
		row := u.Student + "</td><td class=\"id\">" + u.Slot + "</td><td>" + u.Reason
		if !strings.Contains(text, row) {
			t.Errorf("unplaced %s %s: the report lacks the row with reason %q", u.Student, u.Slot, u.Reason)
		}
	}
	for _, f := range s.Shortfalls {
		if strings.Count(text, f.Reason) < 2 { // in the ledger and in the shortfall list
			t.Errorf("shortfall %s %s: reason %q appears %d time(s), want 2", f.Student, f.Mode, f.Reason, strings.Count(text, f.Reason))
		}
	}
	// Reasons are escaped, never markup.
	if strings.Contains(string(data), "<accessible>") || strings.Contains(string(data), "<Middle>") {
		t.Error("index.html holds unescaped input")
	}
}

func TestSVGIsWellFormedXML(t *testing.T) {
	_, files := writeReport(t)
	for _, f := range files {
		if !strings.HasSuffix(f, ".svg") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		root, err := parseXML(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if root.Local != "svg" || root.Space != "http://www.w3.org/2000/svg" {
			t.Errorf("%s: root element %v, want svg in the SVG namespace", filepath.Base(f), root)
		}
	}
}

// parseXML reads every token of data and returns the root element's name.
func parseXML(data []byte) (xml.Name, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root xml.Name
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return root, errors.New("unclosed element")
			}
			return root, nil
		}
		if err != nil {
			return root, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 && root.Local == "" {
				root = el.Name
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// TestReportContents checks the numbers the report computes.
func TestReportContents(t *testing.T) {
	inst, s := reportWeek()
	var b bytes.Buffer
	if err := report.WriteIndex(&b, inst, s, reportInfo()); err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(b.String())
	for _, want := range []string{
		"-2500.250",           // objective
		"-1900.500",           // bound
		"599.750",             // gap
		"version 3 (draft)",   // the version
		"computed 2026-11-27", // its time
		"Not valid:",          // t-kim's session has no students
		"2 student(s) with minimum minutes: 1 fully met",
		"at risk (priority > 1)",
		"grade 6", "grade 7",
		"1.50", // s-03's priority
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "imported again") {
		t.Error("report warns of changed input although it is not")
	}
	for _, st := range inst.Students {
		if strings.Contains(page, st.Name) {
			t.Errorf("report names student %s", st.ID)
		}
	}
	info := reportInfo()
	info.InputChanged = true
	b.Reset()
	if err := report.WriteIndex(&b, inst, s, info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "imported again") {
		t.Error("report does not warn that the input changed")
	}
}

func TestWriteRejectsOtherWeek(t *testing.T) {
	inst, s := reportWeek()
	s.WeekStart = "2026-12-07"
	if _, err := report.Write(t.TempDir(), inst, s, reportInfo()); err == nil {
		t.Error("a schedule of another week was accepted")
	}
}

func TestMasteryBand(t *testing.T) {
	inst, _ := reportWeek()
	tests := []struct {
		student int
		want    string
	}{
		{0, "mastery 0.50–0.75"}, // math.1 at 0.5
		{1, "mastery 0.50–0.75"}, // math.1 at 0.6
		{2, "mastery 0.25–0.50"}, // math.2 at 0.2 and read.1 at 0.3: mean 0.25
		{3, "no focus skill"},    // read.1 mastered
	}
	for _, tt := range tests {
		if got := report.MasteryBand(inst, &inst.Students[tt.student]); got != tt.want {
			t.Errorf("student %s: got %q, want %q", inst.Students[tt.student].ID, got, tt.want)
		}
	}
}

// TestReportAcknowledgements: the ledger shows who acknowledged each
// shortfall, when (in UTC) and why, escaped, and marks a shortfall that no
// one acknowledged.
func TestReportAcknowledgements(t *testing.T) {
	inst, s := reportWeek()
	var b bytes.Buffer
	if err := report.WriteIndex(&b, inst, s, reportInfo()); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	page := html.UnescapeString(raw)
	for _, want := range []string{
		"by P. <Admin>, 2026-11-28 16:30 UTC",
		"IEP team agreed & parents informed;\nmake-up block on Monday",
		"1 of 2 shortfall(s) acknowledged",
		`<span class="bad">not acknowledged</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(raw, "<Admin>") {
		t.Error("the acknowledger's name is not escaped")
	}
	// The not-acknowledged mark is on the small-group row, the
	// acknowledgement on the tutoring row.
	for _, row := range strings.Split(page, "<tr>") {
		if !strings.HasPrefix(row, `<td class="id">s-03</td>`) || !strings.Contains(row, `class="n bad"`) {
			continue
		}
		tutoring := strings.Contains(row, "<td>tutoring</td>")
		if got := strings.Contains(row, "by P. <Admin>"); got != tutoring {
			t.Errorf("s-03 row (tutoring %v) shows the acknowledgement: %v\n%s", tutoring, got, row)
		}
		if got := strings.Contains(row, "not acknowledged"); got == tutoring {
			t.Errorf("s-03 row (tutoring %v) marked not acknowledged: %v\n%s", tutoring, got, row)
		}
	}

	info := reportInfo()
	info.Acknowledgements = append(info.Acknowledgements, report.Acknowledgement{Student: "s-03", Mode: solver.SmallGroup, By: "Q", At: time.Unix(0, 0)})
	b.Reset()
	if err := report.WriteIndex(&b, inst, s, info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Every shortfall is acknowledged") || strings.Contains(b.String(), "not acknowledged") {
		t.Error("with both shortfalls acknowledged the report does not say so")
	}
	info.Acknowledgements = nil
	b.Reset()
	if err := report.WriteIndex(&b, inst, s, info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No shortfall is acknowledged") || strings.Count(b.String(), "not acknowledged") != 2 {
		t.Error("with no acknowledgement the report does not mark both shortfalls")
	}
}
