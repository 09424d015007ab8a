// Package report writes the administrator's report of one schedule version
// (SPEC §6 `weekplan report`): index.html, a print-friendly page that needs
// nothing but the SVG plots written beside it, with
//
//   - quality: the objective term by term, the proven bound and the gap;
//   - the IEP minutes ledger of every student with minimum minutes: required,
//     scheduled, last week's minutes in the same slots, shortfall and reason,
//     and who acknowledged the shortfall, when and why;
//   - every unplaced slot and every shortfall with its reason;
//   - when the caller gives a triage (solver/triage), the single changes of
//     one teacher or room verified to recover IEP minutes;
//   - equity: average minutes per student in each mode by subgroup (IEP or
//     not, at-risk or not, grade) and by mastery band;
//   - teacher load (sessions against max_sessions) and room utilisation per
//     block;
//   - the students whose priority is raised (at risk), with the priority.
//
// Students appear by id only, never by name. Write is pure: it takes the data
// and writes files; it reads no database and no clock, so the same input gives
// byte-identical files.
package report

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/weekplan/weekplan/loader/fileout"
	"github.com/weekplan/weekplan/solver"
	"github.com/weekplan/weekplan/solver/triage"
)

//go:embed templates
var templateFS embed.FS

// IndexFile is the report's page; the plots are written beside it.
const IndexFile = "index.html"

// The plots' file names.
const (
	QualityPlot       = "quality.svg"
	IEPPlot           = "iep-minutes.svg"
	EquityPlot        = "equity-subgroups.svg"
	MasteryEquityPlot = "equity-mastery.svg"
	TeacherLoadPlot   = "teacher-load.svg"
	RoomPlot          = "room-utilisation.svg"
)

// ReportInfo describes the stored version a report is about. Every field is
// optional; the zero value reports a schedule that is not stored.
type ReportInfo struct {
	Version   int
	State     string    // "draft" or "published"
	CreatedAt time.Time // when the version was written; zero: not shown
	InputHash string
	// InputChanged says the week's input was imported again after the
	// version was computed, so the report reads newer input than the solver did.
	InputChanged bool
	// Acknowledgements are the version's acknowledged shortfalls (weekplan
	// acknowledge, publish --acknowledge-shortfalls); the IEP ledger shows
	// each beside its shortfall, and a shortfall without one as not
	// acknowledged.
	Acknowledgements []Acknowledgement
	// Triage, when set, is shown as the section "Triage: changes that would
	// meet the IEP minutes" (the caller runs triage.Triage when the version
	// has shortfalls).
	Triage *triage.Report
}

// Acknowledgement is an administrator's acceptance of one shortfall: a
// student's unmet minutes in one mode.
type Acknowledgement struct {
	Student string
	Mode    solver.Mode
	By      string    // who accepted it
	At      time.Time // when
	Note    string    // why; may be empty
}

// Write writes index.html and the plots into dir (created if needed) and
// returns the paths written, the plots first and index.html last. Each file
// is written to a temporary name and renamed, and is readable by its owner
// and group only: the report is about minors.
func Write(dir string, inst *solver.Instance, s *solver.Schedule, info ReportInfo) ([]string, error) {
	if inst == nil || s == nil {
		return nil, errors.New("report: instance and schedule are required")
	}
	if s.School != "" && s.School != inst.School.ID || s.WeekStart != "" && s.WeekStart != inst.WeekStart {
		return nil, fmt.Errorf("report: schedule of school %q week %s does not belong to instance of school %q week %s",
			s.School, s.WeekStart, inst.School.ID, inst.WeekStart)
	}
	p := build(inst, s, info)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("writing report: %w", err)
	}
	var written []string
	write := func(name string, render func(w io.Writer) error) error {
		path := filepath.Join(dir, name)
		if err := fileout.Write(path, 0o640, render); err != nil {
			return fmt.Errorf("writing report %s: %w", path, err)
		}
		written = append(written, path)
		return nil
	}
	for _, pl := range p.plots() {
		data := pl.svg
		if err := write(pl.file, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return written, err
		}
	}
	if err := write(IndexFile, func(w io.Writer) error { return p.render(w) }); err != nil {
		return written, err
	}
	return written, nil
}

// WriteIndex writes the report page alone to w (the plots it links to are
// not written).
func WriteIndex(w io.Writer, inst *solver.Instance, s *solver.Schedule, info ReportInfo) error {
	if inst == nil || s == nil {
		return errors.New("report: instance and schedule are required")
	}
	return build(inst, s, info).render(w)
}

// page is everything index.html shows.
type page struct {
	School     string
	SchoolName string
	Week       string
	Info       ReportInfo
	Created    string

	Quality    quality
	IEP        []iepRow
	IEPSummary iepSummary
	Unplaced   []solver.Unplaced
	Shortfalls []solver.Shortfall
	Reasons    []reasonCount // unplaced slots grouped by reason
	Equity     []equityRow
	Mastery    []equityRow
	Teachers   []teacherRow
	Rooms      []roomRow
	Slots      []string
	AtRisk     []priorityRow
	Students   int

	charts []plot
}

type quality struct {
	Objective      float64
	Bound          *float64
	Gap            *float64 // bound − objective
	RelGap         *float64 // gap / |bound|, when objective and bound are positive
	Terms          []term
	Valid          bool
	Violations     []string // the first few
	ViolationCount int
	ScoreDiffers   bool // the stored objective is not the checker's score
	Score          float64
}

type term struct {
	Name  string
	Value float64
}

type iepRow struct {
	Student   string
	Mode      solver.Mode
	Required  int
	Scheduled int
	LastWeek  int // minutes in this mode in last week's placements (same slot ids)
	Shortfall int
	Reason    string
	Ack       *ackView // nil: not acknowledged
}

// ackView is an acknowledgement as the ledger shows it.
type ackView struct {
	By, At, Note string
}

type iepSummary struct {
	Students, Met, Short int
	Required, Scheduled  int
	ShortMinutes         int
	// ShortRows counts the ledger's rows with a shortfall, Acknowledged
	// those of them that are acknowledged.
	ShortRows, Acknowledged int
}

type reasonCount struct {
	Reason string
	Count  int
}

// equityRow is one subgroup's average minutes per student in each mode.
type equityRow struct {
	Dimension   string
	Group       string
	Students    int
	SmallGroup  float64
	Tutoring    float64
	Independent float64
	Unplaced    float64
	Sessions    float64 // average teacher-led sessions per student
}

type teacherRow struct {
	ID, Name    string
	Sessions    int
	Limit       int
	SmallGroups int
	Tutoring    int
	Students    int // distinct students met
	Over        bool
}

type roomRow struct {
	ID, Name    string
	Capacity    int
	Cells       []roomCell
	AvgUse      float64 // mean students/capacity over the available blocks
	PeakUse     float64
	Unavailable int
}

type roomCell struct {
	Students    int
	Sessions    int
	Unavailable bool
}

type priorityRow struct {
	Student  string
	Grade    int
	Priority float64
	IEP      bool
}

type plot struct {
	file, title string
	svg         []byte
}

func (p *page) plots() []plot { return p.charts }

// build computes the page from the instance and schedule.
func build(inst *solver.Instance, s *solver.Schedule, info ReportInfo) *page {
	p := &page{School: inst.School.ID, SchoolName: inst.School.Name, Week: inst.WeekStart, Info: info,
		Students: len(inst.Students)}
	if p.SchoolName == "" {
		p.SchoolName = inst.School.ID
	}
	if !info.CreatedAt.IsZero() {
		p.Created = info.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, sl := range inst.Slots {
		p.Slots = append(p.Slots, sl.ID)
	}
	w := newWeek(inst, s)
	p.quality(inst, s)
	p.iep(inst, s, w, info.Acknowledgements)
	p.problems(inst, s)
	p.equity(inst, w)
	p.teachers(inst, s)
	p.rooms(inst, w)
	p.atRisk(inst)
	p.charts = p.makePlots()
	return p
}

// week is the schedule read per student and per room.
type week struct {
	minutes  map[string]map[solver.Mode]int // student → mode → minutes
	sessions map[string]int                 // student → sessions
	unplaced map[string]int                 // student → unplaced minutes
	room     map[[2]string]*roomCell        // (room, slot) → use
}

func newWeek(inst *solver.Instance, s *solver.Schedule) *week {
	w := &week{minutes: map[string]map[solver.Mode]int{}, sessions: map[string]int{}, unplaced: map[string]int{},
		room: map[[2]string]*roomCell{}}
	slotMinutes := map[string]int{}
	for _, sl := range inst.Slots {
		slotMinutes[sl.ID] = sl.Minutes
	}
	add := func(st, slot string, m solver.Mode) {
		if w.minutes[st] == nil {
			w.minutes[st] = map[solver.Mode]int{}
		}
		w.minutes[st][m] += slotMinutes[slot]
	}
	cell := func(room, slot string) *roomCell {
		k := [2]string{room, slot}
		if w.room[k] == nil {
			w.room[k] = &roomCell{}
		}
		return w.room[k]
	}
	for _, se := range s.Sessions {
		c := cell(se.Room, se.Slot)
		c.Sessions++
		c.Students += len(se.Students)
		for _, st := range se.Students {
			add(st, se.Slot, se.Mode)
			w.sessions[st]++
		}
	}
	for _, iw := range s.Independent {
		cell(iw.Room, iw.Slot).Students += len(iw.Students)
		for _, st := range iw.Students {
			add(st, iw.Slot, solver.Independent)
		}
	}
	for _, u := range s.Unplaced {
		w.unplaced[u.Student] += slotMinutes[u.Slot]
	}
	return w
}

func (p *page) quality(inst *solver.Instance, s *solver.Schedule) {
	rep := solver.Check(inst, s)
	q := quality{Objective: s.Objective, Bound: s.Bound, Valid: rep.Valid(), ViolationCount: len(rep.Violations), Score: rep.Score.Total}
	for i, v := range rep.Violations {
		if i == 10 {
			break
		}
		q.Violations = append(q.Violations, v.String())
	}
	q.ScoreDiffers = math.Abs(rep.Score.Total-s.Objective) > solver.ObjectiveTolerance(rep.Score.Total)
	if s.Bound != nil {
		gap := *s.Bound - s.Objective
		q.Gap = &gap
		if s.Objective > 0 && *s.Bound > 0 {
			rel := gap / *s.Bound
			q.RelGap = &rel
		}
	}
	sc := rep.Score
	q.Terms = []term{
		{"small-group need", sc.GroupNeed}, {"tutoring need", sc.TutorNeed}, {"interest", sc.Interest},
		{"independent work", sc.Independent}, {"continuity", sc.Stable}, {"teacher contact", sc.Contact},
		{"unplaced penalty", sc.Unplaced}, {"IEP minute penalty", sc.IEP},
	}
	p.Quality = q
}

func (p *page) iep(inst *solver.Instance, s *solver.Schedule, w *week, acks []Acknowledgement) {
	reasons := map[string]string{}
	for _, f := range s.Shortfalls {
		reasons[f.Student+"\x00"+string(f.Mode)] = f.Reason
	}
	acked := map[string]*ackView{}
	for _, a := range acks {
		acked[a.Student+"\x00"+string(a.Mode)] = &ackView{By: a.By, At: a.At.UTC().Format("2006-01-02 15:04 UTC"), Note: a.Note}
	}
	slotMinutes := map[string]int{}
	for _, sl := range inst.Slots {
		slotMinutes[sl.ID] = sl.Minutes
	}
	last := map[string]map[solver.Mode]int{}
	for _, lw := range inst.LastWeek {
		if last[lw.Student] == nil {
			last[lw.Student] = map[solver.Mode]int{}
		}
		last[lw.Student][lw.Mode] += slotMinutes[lw.Slot]
	}
	for _, st := range inst.Students {
		any, short := false, false
		for _, m := range solver.AllModes() {
			req := st.MinMinutes[m]
			if req <= 0 {
				continue
			}
			any = true
			got := w.minutes[st.ID][m]
			r := iepRow{Student: st.ID, Mode: m, Required: req, Scheduled: got, LastWeek: last[st.ID][m], Shortfall: max(0, req-got),
				Ack: acked[st.ID+"\x00"+string(m)]}
			if r.Shortfall > 0 {
				short = true
				p.IEPSummary.ShortRows++
				if r.Ack != nil {
					p.IEPSummary.Acknowledged++
				}
				r.Reason = reasons[st.ID+"\x00"+string(m)]
				if r.Reason == "" {
					r.Reason = "(no reason stored with the schedule)"
				}
			}
			p.IEP = append(p.IEP, r)
			p.IEPSummary.Required += req
			p.IEPSummary.Scheduled += min(got, req)
			p.IEPSummary.ShortMinutes += r.Shortfall
		}
		if any {
			p.IEPSummary.Students++
			if short {
				p.IEPSummary.Short++
			} else {
				p.IEPSummary.Met++
			}
		}
	}
}

func (p *page) problems(inst *solver.Instance, s *solver.Schedule) {
	studentPos := map[string]int{}
	for i, st := range inst.Students {
		studentPos[st.ID] = i
	}
	slotPos := map[string]int{}
	for i, sl := range inst.Slots {
		slotPos[sl.ID] = i
	}
	p.Unplaced = append([]solver.Unplaced{}, s.Unplaced...)
	sort.SliceStable(p.Unplaced, func(a, b int) bool {
		ua, ub := p.Unplaced[a], p.Unplaced[b]
		if ua.Student != ub.Student {
			return studentPos[ua.Student] < studentPos[ub.Student]
		}
		return slotPos[ua.Slot] < slotPos[ub.Slot]
	})
	p.Shortfalls = append([]solver.Shortfall{}, s.Shortfalls...)
	sort.SliceStable(p.Shortfalls, func(a, b int) bool {
		fa, fb := p.Shortfalls[a], p.Shortfalls[b]
		if fa.Student != fb.Student {
			return studentPos[fa.Student] < studentPos[fb.Student]
		}
		return modeIndex(fa.Mode) < modeIndex(fb.Mode)
	})
	counts := map[string]int{}
	for _, u := range s.Unplaced {
		counts[u.Reason]++
	}
	for r, n := range counts {
		p.Reasons = append(p.Reasons, reasonCount{r, n})
	}
	sort.Slice(p.Reasons, func(a, b int) bool {
		if p.Reasons[a].Count != p.Reasons[b].Count {
			return p.Reasons[a].Count > p.Reasons[b].Count
		}
		return p.Reasons[a].Reason < p.Reasons[b].Reason
	})
}

func modeIndex(m solver.Mode) int {
	for i, x := range solver.AllModes() {
		if x == m {
			return i
		}
	}
	return len(solver.AllModes())
}

// MasteryBand names the band of a student's mean mastery over its focus
// skills, the grouping of the report's mastery equity table.
func MasteryBand(inst *solver.Instance, st *solver.Student) string {
	focus := inst.FocusSkills(st)
	if len(focus) == 0 {
		return "no focus skill"
	}
	sum := 0.0
	for _, k := range focus {
		sum += st.Progress[k]
	}
	mean := sum / float64(len(focus))
	switch {
	case mean < 0.25:
		return "mastery 0–0.25"
	case mean < 0.5:
		return "mastery 0.25–0.50"
	case mean < 0.75:
		return "mastery 0.50–0.75"
	}
	return "mastery 0.75–1"
}

func (p *page) equity(inst *solver.Instance, w *week) {
	type acc struct {
		row equityRow
		ord int
	}
	add := func(groups map[[2]string]*acc, dim, group string, ord int, st *solver.Student) {
		k := [2]string{dim, group}
		a := groups[k]
		if a == nil {
			a = &acc{row: equityRow{Dimension: dim, Group: group}, ord: ord}
			groups[k] = a
		}
		a.row.Students++
		m := w.minutes[st.ID]
		a.row.SmallGroup += float64(m[solver.SmallGroup])
		a.row.Tutoring += float64(m[solver.Tutoring])
		a.row.Independent += float64(m[solver.Independent])
		a.row.Unplaced += float64(w.unplaced[st.ID])
		a.row.Sessions += float64(w.sessions[st.ID])
	}
	bandOrder := map[string]int{"mastery 0–0.25": 0, "mastery 0.25–0.50": 1, "mastery 0.50–0.75": 2, "mastery 0.75–1": 3, "no focus skill": 4}
	groups, mastery := map[[2]string]*acc{}, map[[2]string]*acc{}
	for i := range inst.Students {
		st := &inst.Students[i]
		add(groups, "all", "all students", 0, st)
		if hasIEP(st) {
			add(groups, "IEP", "IEP", 0, st)
		} else {
			add(groups, "IEP", "no IEP", 1, st)
		}
		if st.PriorityWeight() > 1 {
			add(groups, "at risk", "at risk (priority > 1)", 0, st)
		} else {
			add(groups, "at risk", "not at risk", 1, st)
		}
		add(groups, "grade", fmt.Sprintf("grade %d", st.Grade), st.Grade, st)
		band := MasteryBand(inst, st)
		add(mastery, "mastery", band, bandOrder[band], st)
	}
	dimOrder := map[string]int{"all": 0, "IEP": 1, "at risk": 2, "grade": 3}
	finish := func(m map[[2]string]*acc) []equityRow {
		list := make([]*acc, 0, len(m))
		for _, a := range m {
			n := float64(a.row.Students)
			a.row.SmallGroup /= n
			a.row.Tutoring /= n
			a.row.Independent /= n
			a.row.Unplaced /= n
			a.row.Sessions /= n
			list = append(list, a)
		}
		sort.Slice(list, func(x, y int) bool {
			if dx, dy := dimOrder[list[x].row.Dimension], dimOrder[list[y].row.Dimension]; dx != dy {
				return dx < dy
			}
			if list[x].ord != list[y].ord {
				return list[x].ord < list[y].ord
			}
			return list[x].row.Group < list[y].row.Group
		})
		out := make([]equityRow, len(list))
		for i, a := range list {
			out[i] = a.row
		}
		return out
	}
	p.Equity = finish(groups)
	p.Mastery = finish(mastery)
}

func hasIEP(st *solver.Student) bool {
	for _, v := range st.MinMinutes {
		if v > 0 {
			return true
		}
	}
	return false
}

func (p *page) teachers(inst *solver.Instance, s *solver.Schedule) {
	rows := map[string]*teacherRow{}
	met := map[string]map[string]bool{}
	for i := range inst.Teachers {
		t := &inst.Teachers[i]
		rows[t.ID] = &teacherRow{ID: t.ID, Name: t.Name, Limit: t.SessionLimit(len(inst.Slots))}
		met[t.ID] = map[string]bool{}
	}
	for _, se := range s.Sessions {
		r := rows[se.Teacher]
		if r == nil {
			continue
		}
		r.Sessions++
		if se.Mode == solver.Tutoring {
			r.Tutoring++
		} else {
			r.SmallGroups++
		}
		for _, st := range se.Students {
			met[se.Teacher][st] = true
		}
	}
	for _, t := range inst.Teachers {
		r := rows[t.ID]
		r.Students = len(met[t.ID])
		r.Over = r.Sessions > r.Limit
		p.Teachers = append(p.Teachers, *r)
	}
}

func (p *page) rooms(inst *solver.Instance, w *week) {
	for _, r := range inst.Rooms {
		row := roomRow{ID: r.ID, Name: r.Name, Capacity: r.Capacity}
		blocked := map[string]bool{}
		for _, sl := range r.Unavailable {
			blocked[sl] = true
		}
		used, open := 0.0, 0
		for _, sl := range inst.Slots {
			c := roomCell{Unavailable: blocked[sl.ID]}
			if u := w.room[[2]string{r.ID, sl.ID}]; u != nil {
				c.Students, c.Sessions = u.Students, u.Sessions
			}
			if c.Unavailable {
				row.Unavailable++
			} else if r.Capacity > 0 {
				ratio := float64(c.Students) / float64(r.Capacity)
				used += ratio
				open++
				row.PeakUse = math.Max(row.PeakUse, ratio)
			}
			row.Cells = append(row.Cells, c)
		}
		if open > 0 {
			row.AvgUse = used / float64(open)
		}
		p.Rooms = append(p.Rooms, row)
	}
}

func (p *page) atRisk(inst *solver.Instance) {
	for _, st := range inst.Students {
		if st.PriorityWeight() != 1 {
			p.AtRisk = append(p.AtRisk, priorityRow{Student: st.ID, Grade: st.Grade, Priority: st.PriorityWeight(), IEP: hasIEP(&st)})
		}
	}
	sort.SliceStable(p.AtRisk, func(a, b int) bool { return p.AtRisk[a].Priority > p.AtRisk[b].Priority })
}

// makePlots draws the page's plots.
func (p *page) makePlots() []plot {
	var out []plot
	add := func(file string, title string, svg []byte) {
		out = append(out, plot{file: file, title: title, svg: svg})
	}

	q := &hbarChart{Title: "Objective by term", Unit: "objective points"}
	for _, t := range p.Quality.Terms {
		q.Rows = append(q.Rows, hbarRow{Label: t.Name, Segments: []float64{t.Value}})
	}
	q.Rows = append(q.Rows, hbarRow{Label: "objective", Segments: []float64{p.Quality.Objective}})
	if p.Quality.Bound != nil {
		q.Rows = append(q.Rows, hbarRow{Label: "proven bound", Segments: []float64{*p.Quality.Bound}})
	}
	add(QualityPlot, q.Title, q.svg())

	iep := &hbarChart{Title: "IEP minutes: scheduled against required", Unit: "minutes",
		Series: []string{"scheduled"}, MarkerLabel: "required"}
	for _, r := range p.IEP {
		req := float64(r.Required)
		iep.Rows = append(iep.Rows, hbarRow{Label: r.Student + " " + modeLabel(r.Mode), Segments: []float64{float64(r.Scheduled)}, Marker: &req})
	}
	add(IEPPlot, iep.Title, iep.svg())

	series := []string{"small group", "tutoring", "independent", "unplaced"}
	eq := &hbarChart{Title: "Average minutes per student by subgroup", Unit: "minutes per student", Series: series}
	for _, r := range p.Equity {
		eq.Rows = append(eq.Rows, hbarRow{Label: fmt.Sprintf("%s (%d)", r.Group, r.Students), Segments: []float64{r.SmallGroup, r.Tutoring, r.Independent, r.Unplaced}})
	}
	add(EquityPlot, eq.Title, eq.svg())

	mq := &hbarChart{Title: "Average minutes per student by mastery band", Unit: "minutes per student", Series: series}
	for _, r := range p.Mastery {
		mq.Rows = append(mq.Rows, hbarRow{Label: fmt.Sprintf("%s (%d)", r.Group, r.Students), Segments: []float64{r.SmallGroup, r.Tutoring, r.Independent, r.Unplaced}})
	}
	add(MasteryEquityPlot, mq.Title, mq.svg())

	tl := &hbarChart{Title: "Teacher load: sessions against max_sessions", Unit: "sessions",
		Series: []string{"small groups", "tutoring"}, MarkerLabel: "max_sessions"}
	for _, t := range p.Teachers {
		limit := float64(t.Limit)
		tl.Rows = append(tl.Rows, hbarRow{Label: t.ID, Segments: []float64{float64(t.SmallGroups), float64(t.Tutoring)}, Marker: &limit})
	}
	add(TeacherLoadPlot, tl.Title, tl.svg())

	hm := &heatMap{Title: "Room utilisation per block (students / capacity)", Columns: p.Slots,
		Note: "cell: students placed; shade: share of capacity; hatched: room unavailable"}
	for _, r := range p.Rooms {
		hm.Rows = append(hm.Rows, r.ID)
		var cells []heatCell
		for j, c := range r.Cells {
			ratio := 0.0
			if r.Capacity > 0 {
				ratio = float64(c.Students) / float64(r.Capacity)
			}
			tip := fmt.Sprintf("%s %s: %d of %d students, %d session(s)", r.ID, p.Slots[j], c.Students, r.Capacity, c.Sessions)
			text := ""
			if c.Students > 0 {
				text = fmt.Sprint(c.Students)
			}
			if c.Unavailable {
				tip = fmt.Sprintf("%s %s: unavailable", r.ID, p.Slots[j])
			}
			cells = append(cells, heatCell{Ratio: ratio, Text: text, Tip: tip, Blocked: c.Unavailable})
		}
		hm.Cells = append(hm.Cells, cells)
	}
	add(RoomPlot, hm.Title, hm.svg())
	return out
}

func modeLabel(m solver.Mode) string {
	switch m {
	case solver.SmallGroup:
		return "small group"
	case solver.Tutoring:
		return "tutoring"
	case solver.Independent:
		return "independent"
	}
	return string(m)
}

// render writes index.html.
func (p *page) render(w io.Writer) error {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	t, err := template.New("index.html").Funcs(template.FuncMap{
		"f1":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"f3":   func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"pct":  func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
		"mode": modeLabel,
		"plot": func(file string) plot {
			for _, pl := range p.charts {
				if pl.file == file {
					return pl
				}
			}
			return plot{file: file}
		},
		"join": strings.Join,
	}).ParseFS(templateFS, "templates/index.html")
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	// The style sheet is a file of this package, not input: safe as CSS.
	if err := t.Execute(w, map[string]any{"P": p, "Style": template.CSS(css)}); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	return nil
}

// File and Title expose a plot to the template.
func (pl plot) File() string  { return pl.file }
func (pl plot) Title() string { return pl.title }
