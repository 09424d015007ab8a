// Package roster writes every teacher's rosters for a week (SPEC §6
// `weekplan rosters`): a printable HTML page, a CSV file and an iCalendar file
// per teacher, and an index page linking them all.
//
// A roster lists the teacher's own sessions only, with what the teacher needs
// to know about each student in them: accessible seating, a group size limit,
// IEP minimum minutes. Those details are the students' private data; they are
// written here, for that teacher, and nowhere else (never in logs).
//
// Output is deterministic: the same instance and schedule give byte-identical
// files (no clock is read; DTSTAMP derives from the week).
package roster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // rosters need the school's time zone even where the system has no tz database

	"github.com/weekplan/weekplan/loader/fileout"
	"github.com/weekplan/weekplan/solver"
)

// IndexFile is the name of the index page that Write puts beside the rosters.
const IndexFile = "index.html"

// Write writes, into dir (created if needed), every teacher's roster as
// <teacher-id>.html, .csv and .ics, and index.html linking them; it returns
// the paths written, each teacher's three files in instance order and the
// index last. A teacher with no sessions still gets a roster that says so.
// Each file is written to a temporary name and renamed, so a reader never sees
// a half-written roster.
func Write(dir string, inst *solver.Instance, sched *solver.Schedule) ([]string, error) {
	b, err := newBook(inst, sched)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("writing rosters: %w", err)
	}
	var written []string
	write := func(name string, render func(w io.Writer) error) error {
		path := filepath.Join(dir, name)
		if err := fileout.Write(path, 0o640, render); err != nil {
			return fmt.Errorf("writing roster %s: %w", path, err)
		}
		written = append(written, path)
		return nil
	}
	for _, t := range b.teachers {
		if err := write(t.File+".html", func(f io.Writer) error { return b.writeHTML(f, t) }); err != nil {
			return written, err
		}
		if err := write(t.File+".csv", func(f io.Writer) error { return b.writeCSV(f, t) }); err != nil {
			return written, err
		}
		if err := write(t.File+".ics", func(f io.Writer) error { return b.writeICS(f, t) }); err != nil {
			return written, err
		}
	}
	if err := write(IndexFile, func(f io.Writer) error { return b.writeIndex(f) }); err != nil {
		return written, err
	}
	return written, nil
}

// book is a week's rosters, resolved from an instance and a schedule.
type book struct {
	inst     *solver.Instance
	week     time.Time      // Monday 00:00 in loc
	loc      *time.Location // the school's time zone; nil when it has none
	teachers []*teacherRoster
}

// teacherRoster is one teacher's week.
type teacherRoster struct {
	Teacher  *solver.Teacher
	File     string // file name without extension, safe on every file system
	Days     []*day
	Sessions int
}

// day is one day of a teacher's week, with its sessions in time order.
type day struct {
	Date     time.Time
	Sessions []*session
}

// session is one of the teacher's sessions, with every id resolved.
type session struct {
	Slot       *solver.Slot
	Start, End time.Time
	Room       *solver.Room
	Skill      *solver.Skill
	Mode       solver.Mode
	Students   []member
}

// member is a student of a session as its teacher sees it.
type member struct {
	ID, Name       string
	Accommodations []string
}

// newBook resolves every teacher's sessions. It fails, naming the record, on a
// schedule of another school or week, on ids the instance does not have, and
// on a week start or slot time that cannot be read.
func newBook(inst *solver.Instance, sched *solver.Schedule) (*book, error) {
	if inst == nil || sched == nil {
		return nil, errors.New("rosters: instance and schedule are required")
	}
	if sched.School != "" && sched.School != inst.School.ID {
		return nil, fmt.Errorf("rosters: schedule is for school %q, instance for %q", sched.School, inst.School.ID)
	}
	if sched.WeekStart != "" && sched.WeekStart != inst.WeekStart {
		return nil, fmt.Errorf("rosters: schedule is for week %s, instance for %s", sched.WeekStart, inst.WeekStart)
	}
	b := &book{inst: inst}
	if tz := inst.School.Timezone; tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("rosters: school.timezone %q: %w", tz, err)
		}
		b.loc = loc
	}
	week, err := time.ParseInLocation("2006-01-02", inst.WeekStart, b.location())
	if err != nil {
		return nil, fmt.Errorf("rosters: week_start %q: want YYYY-MM-DD", inst.WeekStart)
	}
	b.week = week

	slots := map[string]*solver.Slot{}
	slotOrder := map[string]int{}
	for i := range inst.Slots {
		slots[inst.Slots[i].ID] = &inst.Slots[i]
		slotOrder[inst.Slots[i].ID] = i
	}
	rooms := map[string]*solver.Room{}
	for i := range inst.Rooms {
		rooms[inst.Rooms[i].ID] = &inst.Rooms[i]
	}
	skills := map[string]*solver.Skill{}
	for i := range inst.Skills {
		skills[inst.Skills[i].ID] = &inst.Skills[i]
	}
	students := map[string]*solver.Student{}
	for i := range inst.Students {
		students[inst.Students[i].ID] = &inst.Students[i]
	}
	byTeacher := map[string]*teacherRoster{}
	files := fileNames{used: map[string]bool{strings.TrimSuffix(IndexFile, ".html"): true}}
	for i := range inst.Teachers {
		t := &teacherRoster{Teacher: &inst.Teachers[i], File: files.name(inst.Teachers[i].ID)}
		b.teachers = append(b.teachers, t)
		byTeacher[t.Teacher.ID] = t
	}

	type dated struct {
		*session
		order int
	}
	perTeacher := map[*teacherRoster][]dated{}
	for i, s := range sched.Sessions {
		rec := fmt.Sprintf("sessions[%d]", i)
		t, ok := byTeacher[s.Teacher]
		if !ok {
			return nil, fmt.Errorf("rosters: %s.teacher: unknown teacher %q", rec, s.Teacher)
		}
		slot, ok := slots[s.Slot]
		if !ok {
			return nil, fmt.Errorf("rosters: %s.slot: unknown slot %q", rec, s.Slot)
		}
		room, ok := rooms[s.Room]
		if !ok {
			return nil, fmt.Errorf("rosters: %s.room: unknown room %q", rec, s.Room)
		}
		skill, ok := skills[s.Skill]
		if !ok {
			return nil, fmt.Errorf("rosters: %s.skill: unknown skill %q", rec, s.Skill)
		}
		start, err := b.slotStart(slot)
		if err != nil {
			return nil, fmt.Errorf("rosters: %s: %w", rec, err)
		}
		out := &session{
			Slot: slot, Start: start, End: start.Add(time.Duration(slot.Minutes) * time.Minute),
			Room: room, Skill: skill, Mode: s.Mode,
		}
		for k, id := range s.Students {
			st, ok := students[id]
			if !ok {
				return nil, fmt.Errorf("rosters: %s.students[%d]: unknown student %q", rec, k, id)
			}
			out.Students = append(out.Students, member{ID: st.ID, Name: st.Name, Accommodations: Accommodations(st)})
		}
		sort.SliceStable(out.Students, func(a, c int) bool {
			if out.Students[a].Name != out.Students[c].Name {
				return out.Students[a].Name < out.Students[c].Name
			}
			return out.Students[a].ID < out.Students[c].ID
		})
		perTeacher[t] = append(perTeacher[t], dated{out, slotOrder[slot.ID]})
	}
	for _, t := range b.teachers {
		list := perTeacher[t]
		sort.SliceStable(list, func(a, c int) bool {
			if !list[a].Start.Equal(list[c].Start) {
				return list[a].Start.Before(list[c].Start)
			}
			return list[a].order < list[c].order
		})
		for _, s := range list {
			date := s.Start.Format("2006-01-02")
			if n := len(t.Days); n == 0 || t.Days[n-1].Date.Format("2006-01-02") != date {
				y, m, d := s.Start.Date()
				t.Days = append(t.Days, &day{Date: time.Date(y, m, d, 0, 0, 0, 0, b.location())})
			}
			last := t.Days[len(t.Days)-1]
			last.Sessions = append(last.Sessions, s.session)
			t.Sessions++
		}
	}
	return b, nil
}

// location is the school's time zone, or UTC standing in for floating local
// time when the school has none.
func (b *book) location() *time.Location {
	if b.loc == nil {
		return time.UTC
	}
	return b.loc
}

// slotStart is the wall-clock start of a slot in the week: week_start (a
// Monday) plus the day's offset, at the slot's start time.
func (b *book) slotStart(slot *solver.Slot) (time.Time, error) {
	offset, ok := solver.DayOffset(slot.Day)
	if !ok {
		return time.Time{}, fmt.Errorf("slot %s: unknown day %q", slot.ID, slot.Day)
	}
	clock, err := time.Parse("15:04", slot.Start)
	if err != nil {
		return time.Time{}, fmt.Errorf("slot %s: start %q: want HH:MM", slot.ID, slot.Start)
	}
	y, m, d := b.week.Date()
	return time.Date(y, m, d+offset, clock.Hour(), clock.Minute(), 0, 0, b.location()), nil
}

// teacher finds a teacher's roster by id.
func (b *book) teacher(id string) (*teacherRoster, error) {
	for _, t := range b.teachers {
		if t.Teacher.ID == id {
			return t, nil
		}
	}
	return nil, fmt.Errorf("rosters: unknown teacher %q", id)
}

// Accommodations lists what a teacher must know about a student in its
// sessions: "accessible seating", "max group N", and the IEP's minimum minutes
// ("IEP: 90 min tutoring, 45 min small group per week").
func Accommodations(st *solver.Student) []string {
	var out []string
	if st.NeedsAccessible {
		out = append(out, "accessible seating")
	}
	if st.MaxGroupSize != nil {
		out = append(out, fmt.Sprintf("max group %d", *st.MaxGroupSize))
	}
	var iep []string
	for _, m := range []solver.Mode{solver.Tutoring, solver.SmallGroup, solver.Independent} {
		if minutes := st.MinMinutes[m]; minutes > 0 {
			iep = append(iep, fmt.Sprintf("%d min %s", minutes, modeLabel(m, false)))
		}
	}
	if len(iep) > 0 {
		out = append(out, "IEP: "+strings.Join(iep, ", ")+" per week")
	}
	return out
}

// modeLabel is the mode as people read it: "Small group", "tutoring".
func modeLabel(m solver.Mode, capital bool) string {
	label := strings.ReplaceAll(string(m), "_", " ")
	if capital && label != "" {
		label = strings.ToUpper(label[:1]) + label[1:]
	}
	return label
}

// fileNames gives each teacher a file name that is safe on every file system
// and unique: letters, digits, '-', '_' and '.' are kept, anything else
// becomes '_', and a clash gets a numeric suffix.
type fileNames struct{ used map[string]bool }

func (f *fileNames) name(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if base == "" {
		base = "teacher"
	}
	name := base
	for k := 2; f.used[strings.ToLower(name)]; k++ {
		name = fmt.Sprintf("%s-%d", base, k)
	}
	f.used[strings.ToLower(name)] = true
	return name
}
