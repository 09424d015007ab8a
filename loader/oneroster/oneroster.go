// Package oneroster reads a school's week from a OneRoster 1.2 bulk CSV
// directory, as student information systems export it, plus a few small CSV
// files of weekplan's own for what OneRoster does not carry (slots, skills,
// rooms, progress, interests, accommodations, engagement). The files and
// their columns are documented in docs/oneroster.md.
//
// Read is pure parsing: it takes a file system and returns a solver.Instance,
// or an *Error listing every problem found, each located by file, line and
// column. The caller validates the instance (solver.Instance.Validate) and
// imports it all or nothing.
package oneroster

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weekplan/weekplan/solver"
)

// File names of a OneRoster directory.
const (
	OrgsFile             = "orgs.csv"
	UsersFile            = "users.csv"
	ClassesFile          = "classes.csv"
	EnrollmentsFile      = "enrollments.csv"
	AcademicSessionsFile = "academicSessions.csv"

	WeekFile           = "week.csv"
	SlotsFile          = "slots.csv"
	SkillsFile         = "skills.csv"
	RoomsFile          = "rooms.csv"
	ProgressFile       = "progress.csv"
	InterestsFile      = "interests.csv"
	AccommodationsFile = "accommodations.csv"
	AvailabilityFile   = "availability.csv"
	StaffFile          = "staff.csv"
	SubjectsFile       = "subjects.csv"
	PolicyFile         = "policy.csv"
	PinsFile           = "pins.csv"
	EngagementFile     = "engagement.csv"
)

// reader holds what has been read so far.
type reader struct {
	fsys fs.FS
	ps   problems
	inst *solver.Instance

	week     time.Time
	school   string
	slots    map[string]bool
	days     map[string][]string // day → slot ids
	skills   map[string]bool
	subjects map[string]bool // weekplan subjects (of skills.csv)
	rooms    map[string]bool
	users    map[string]*user
	students map[string]*solver.Student
	teachers map[string]*solver.Teacher
	priority map[string]float64
	atRisk   int
}

// user is one row of users.csv.
type user struct {
	given, family, preferred string
	grade                    int
	line                     int
}

// Read reads the OneRoster directory fsys (see docs/oneroster.md) into an
// instance of one school and one week.
func Read(fsys fs.FS) (*solver.Instance, error) {
	inst, _, err := ReadWithSummary(fsys)
	return inst, err
}

// Summary counts what Read found, for logs (counts only, never names).
type Summary struct {
	Students, Teachers, Classes, Enrollments int
	AtRisk                                   int // students whose derived priority is above 1
	SkippedClasses                           int // classes of another school or not running this week
}

// ReadWithSummary is Read, also returning counts of what was read.
func ReadWithSummary(fsys fs.FS) (*solver.Instance, Summary, error) {
	r := &reader{fsys: fsys, slots: map[string]bool{}, days: map[string][]string{}, skills: map[string]bool{},
		subjects: map[string]bool{}, rooms: map[string]bool{}, users: map[string]*user{},
		students: map[string]*solver.Student{}, teachers: map[string]*solver.Teacher{}, priority: map[string]float64{}}
	r.inst = &solver.Instance{Format: solver.InstanceFormat, Slots: []solver.Slot{}, Skills: []solver.Skill{},
		Rooms: []solver.Room{}, Teachers: []solver.Teacher{}, Students: []solver.Student{}}
	var sum Summary

	r.readWeek()
	r.readSlots()
	r.readSkills()
	r.readRooms()
	r.readPolicy()
	terms := r.readSessions()
	r.readOrgs()
	r.readUsers()
	classes := r.readClasses(terms, &sum)
	r.readEnrollments(classes, &sum)
	r.readProgress()
	r.readInterests()
	r.readAccommodations()
	r.readAvailability()
	r.readStaff()
	r.readPins()
	r.readEngagement()

	if len(r.ps.list) > 0 {
		return nil, sum, &Error{Problems: r.ps.list}
	}
	r.finish()
	sum.Students, sum.Teachers, sum.AtRisk = len(r.inst.Students), len(r.inst.Teachers), r.atRisk
	return r.inst, sum, nil
}

func (r *reader) readWeek() {
	t := readTable(r.fsys, WeekFile, true, []string{"week_start"}, &r.ps)
	if t == nil {
		return
	}
	if len(t.rows) != 1 {
		r.ps.add(WeekFile, 0, "", "%d data rows, want exactly 1", len(t.rows))
		return
	}
	row := t.rows[0]
	ws, ok := row.required(&r.ps, "week_start")
	if ok {
		d, err := time.Parse("2006-01-02", ws)
		switch {
		case err != nil:
			row.fail(&r.ps, "week_start", "%q is not a date YYYY-MM-DD", ws)
		case d.Weekday() != time.Monday:
			row.fail(&r.ps, "week_start", "%s is a %s, not a Monday", ws, d.Weekday())
		default:
			r.week = d
			r.inst.WeekStart = ws
		}
	}
	r.inst.School.Timezone = row.get("timezone")
	if tz := r.inst.School.Timezone; tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			row.fail(&r.ps, "timezone", "unknown time zone %q", tz)
		}
	}
	r.school = row.get("school") // the org's sourcedId; optional with one school
}

func (r *reader) readSlots() {
	t := readTable(r.fsys, SlotsFile, true, []string{"slot_id", "day", "start", "minutes"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		id, ok := row.required(&r.ps, "slot_id")
		if !ok {
			continue
		}
		if r.slots[id] {
			row.fail(&r.ps, "slot_id", "duplicate slot %q", id)
			continue
		}
		day, _ := row.required(&r.ps, "day")
		start, _ := row.required(&r.ps, "start")
		minutes, _ := row.count(&r.ps, "minutes", false)
		r.slots[id] = true
		day = strings.ToLower(day)
		r.days[day] = append(r.days[day], id)
		r.inst.Slots = append(r.inst.Slots, solver.Slot{ID: id, Day: day, Start: start, Minutes: minutes})
	}
}

func (r *reader) readSkills() {
	t := readTable(r.fsys, SkillsFile, true, []string{"skill_id", "subject", "seq"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		id, ok := row.required(&r.ps, "skill_id")
		if !ok {
			continue
		}
		if r.skills[id] {
			row.fail(&r.ps, "skill_id", "duplicate skill %q", id)
			continue
		}
		subject, _ := row.required(&r.ps, "subject")
		seqText, _ := row.required(&r.ps, "seq")
		seq, err := strconv.Atoi(seqText)
		if seqText != "" && err != nil {
			row.fail(&r.ps, "seq", "%q is not a whole number", seqText)
		}
		r.skills[id] = true
		r.subjects[subject] = true
		r.inst.Skills = append(r.inst.Skills, solver.Skill{ID: id, Subject: subject, Name: row.get("name"), Seq: seq})
	}
}

func (r *reader) readRooms() {
	t := readTable(r.fsys, RoomsFile, true, []string{"room_id", "capacity"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		id, ok := row.required(&r.ps, "room_id")
		if !ok {
			continue
		}
		if r.rooms[id] {
			row.fail(&r.ps, "room_id", "duplicate room %q", id)
			continue
		}
		room := solver.Room{ID: id, Name: row.get("name"), Accessible: row.boolean(&r.ps, "accessible"), Topic: row.get("topic")}
		room.Capacity, _ = row.count(&r.ps, "capacity", false)
		if n, ok := row.count(&r.ps, "stations", true); ok {
			room.Stations = &n
		}
		modes := row.list("modes")
		if len(modes) == 0 {
			room.Modes = []solver.Mode{solver.SmallGroup, solver.Tutoring, solver.Independent}
		}
		for _, m := range modes {
			if !solver.Mode(m).Valid() {
				row.fail(&r.ps, "modes", "unknown mode %q (small_group, tutoring or independent)", m)
				continue
			}
			room.Modes = append(room.Modes, solver.Mode(m))
		}
		room.Unavailable = r.slotList(row, "unavailable")
		r.rooms[id] = true
		r.inst.Rooms = append(r.inst.Rooms, room)
	}
}

// slotList reads a list of slot ids and day names (a day stands for every
// slot of that day) from a column.
func (r *reader) slotList(row record, column string) []string {
	var out []string
	for _, v := range row.list(column) {
		out = append(out, r.expandSlot(row, column, v)...)
	}
	return out
}

// expandSlot resolves a slot id, or a day name to that day's slots.
func (r *reader) expandSlot(row record, column, v string) []string {
	if r.slots[v] {
		return []string{v}
	}
	if ids := r.days[strings.ToLower(v)]; len(ids) > 0 {
		return ids
	}
	row.fail(&r.ps, column, "unknown slot or day %q", v)
	return nil
}

func (r *reader) readPolicy() {
	t := readTable(r.fsys, PolicyFile, false, []string{"key", "value"}, &r.ps)
	if t == nil {
		return
	}
	r.inst.Policy = map[string]float64{}
	for _, row := range t.rows {
		k, ok := row.required(&r.ps, "key")
		v, okV := row.number(&r.ps, "value")
		if !ok || !okV {
			continue
		}
		if _, known := solver.PolicyDefaults()[k]; !known {
			row.fail(&r.ps, "key", "unknown policy key %q", k)
			continue
		}
		r.inst.Policy[k] = v
	}
}

// term is one academic session's date range.
type term struct {
	start, end time.Time
}

// readSessions reads academicSessions.csv and checks that the week falls in
// at least one active session.
func (r *reader) readSessions() map[string]term {
	out := map[string]term{}
	t := readTable(r.fsys, AcademicSessionsFile, true, []string{"sourcedId", "startDate", "endDate"}, &r.ps)
	if t == nil {
		return out
	}
	covered := false
	for _, row := range t.rows {
		if !row.active() {
			continue
		}
		id, ok := row.required(&r.ps, "sourcedId")
		if !ok {
			continue
		}
		start, okS := r.date(row, "startDate")
		end, okE := r.date(row, "endDate")
		if !okS || !okE {
			continue
		}
		if end.Before(start) {
			row.fail(&r.ps, "endDate", "%s is before startDate %s", row.get("endDate"), row.get("startDate"))
			continue
		}
		out[id] = term{start, end}
		if r.coversWeek(term{start, end}) {
			covered = true
		}
	}
	if !r.week.IsZero() && !covered {
		r.ps.add(AcademicSessionsFile, 0, "", "no active academic session covers the week of %s", r.inst.WeekStart)
	}
	return out
}

// coversWeek reports whether the term overlaps the week (Monday to Sunday).
func (r *reader) coversWeek(t term) bool {
	if r.week.IsZero() {
		return true
	}
	return !t.end.Before(r.week) && !t.start.After(r.week.AddDate(0, 0, 6))
}

// date parses a OneRoster date (YYYY-MM-DD; a date-time is cut to its date).
func (r *reader) date(row record, column string) (time.Time, bool) {
	v, ok := row.required(&r.ps, column)
	if !ok {
		return time.Time{}, false
	}
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10]
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		row.fail(&r.ps, column, "%q is not a date YYYY-MM-DD", row.get(column))
		return time.Time{}, false
	}
	return d, true
}

// readOrgs picks the school: the org named in week.csv, or the only active
// org of type "school".
func (r *reader) readOrgs() {
	t := readTable(r.fsys, OrgsFile, true, []string{"sourcedId", "name", "type"}, &r.ps)
	if t == nil {
		return
	}
	var schools []record
	for _, row := range t.rows {
		if !row.active() {
			continue
		}
		id := row.get("sourcedId")
		if r.school != "" {
			if id == r.school {
				schools = append(schools, row)
			}
			continue
		}
		if strings.EqualFold(row.get("type"), "school") {
			schools = append(schools, row)
		}
	}
	switch {
	case len(schools) == 1:
		r.inst.School.ID = schools[0].get("sourcedId")
		r.inst.School.Name = schools[0].get("name")
		r.school = r.inst.School.ID
	case r.school != "":
		r.ps.add(OrgsFile, 0, "", "no active org with sourcedId %q (named by week.csv)", r.school)
	case len(schools) == 0:
		r.ps.add(OrgsFile, 0, "", "no active org of type school")
	default:
		ids := make([]string, len(schools))
		for i, s := range schools {
			ids[i] = s.get("sourcedId")
		}
		r.ps.add(OrgsFile, 0, "", "%d schools (%s): name the one to import in week.csv's school column", len(schools), strings.Join(ids, ", "))
	}
}

func (r *reader) readUsers() {
	t := readTable(r.fsys, UsersFile, true, []string{"sourcedId", "givenName", "familyName"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		if !row.active() || strings.EqualFold(row.get("enabledUser"), "false") {
			continue
		}
		id, ok := row.required(&r.ps, "sourcedId")
		if !ok {
			continue
		}
		if r.users[id] != nil {
			row.fail(&r.ps, "sourcedId", "duplicate user %q", id)
			continue
		}
		u := &user{given: row.get("givenName"), family: row.get("familyName"), preferred: row.get("preferredGivenName"), line: row.line}
		if g := row.list("grades"); len(g) > 0 {
			grade, ok := gradeNumber(g[0])
			if !ok {
				row.fail(&r.ps, "grades", "unknown grade %q (a CEDS grade code such as KG or 07)", g[0])
			}
			u.grade = grade
		}
		r.users[id] = u
	}
}

// gradeNumber maps a CEDS grade level code (OneRoster's grades) to a number:
// 01–13 to 1–13, kindergarten (KG, TK) to 0, pre-kindergarten and younger
// (PK, PR, IT) to −1; ungraded (UG, Other) to 0.
func gradeNumber(code string) (int, bool) {
	switch strings.ToUpper(code) {
	case "KG", "TK", "UG", "OTHER", "PS":
		return 0, true
	case "PK", "PR", "IT":
		return -1, true
	}
	n, err := strconv.Atoi(code)
	if err != nil || n < 1 || n > 13 {
		return 0, false
	}
	return n, true
}

// class is one running class of the school.
type class struct {
	subjects []string // weekplan subjects
}

// readClasses reads the school's classes that run in the week, with their
// subjects mapped to skills.csv's subjects.
func (r *reader) readClasses(terms map[string]term, sum *Summary) map[string]*class {
	aliases := r.readSubjects()
	out := map[string]*class{}
	t := readTable(r.fsys, ClassesFile, true, []string{"sourcedId", "schoolSourcedId"}, &r.ps)
	if t == nil {
		return out
	}
	for _, row := range t.rows {
		if !row.active() {
			continue
		}
		id, ok := row.required(&r.ps, "sourcedId")
		if !ok {
			continue
		}
		if row.get("schoolSourcedId") != r.school {
			sum.SkippedClasses++
			continue
		}
		running := true
		if ids := row.list("termSourcedIds"); len(ids) > 0 {
			running = false
			for _, tid := range ids {
				tm, known := terms[tid]
				if !known {
					row.fail(&r.ps, "termSourcedIds", "unknown academic session %q", tid)
					continue
				}
				running = running || r.coversWeek(tm)
			}
		}
		if !running {
			sum.SkippedClasses++
			continue
		}
		c := &class{}
		// subjects is a list inside one field ("Mathematics,Science"); each
		// maps through subjects.csv, else matches a skills.csv subject
		// case-insensitively; others (PE, ...) have no skills and are dropped.
		for _, s := range strings.Split(row.get("subjects"), ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if mapped, ok := aliases[strings.ToLower(s)]; ok {
				c.subjects = append(c.subjects, mapped)
				continue
			}
			for subj := range r.subjects {
				if strings.EqualFold(subj, s) {
					c.subjects = append(c.subjects, subj)
				}
			}
		}
		out[id] = c
		sum.Classes++
	}
	return out
}

// readSubjects reads subjects.csv: OneRoster class subjects → weekplan
// subjects.
func (r *reader) readSubjects() map[string]string {
	out := map[string]string{}
	t := readTable(r.fsys, SubjectsFile, false, []string{"class_subject", "subject"}, &r.ps)
	if t == nil {
		return out
	}
	for _, row := range t.rows {
		from, ok := row.required(&r.ps, "class_subject")
		to, okT := row.required(&r.ps, "subject")
		if !ok || !okT {
			continue
		}
		if !r.subjects[to] {
			row.fail(&r.ps, "subject", "subject %q has no skill in %s", to, SkillsFile)
			continue
		}
		out[strings.ToLower(from)] = to
	}
	return out
}

// readEnrollments makes students and teachers of the users enrolled in the
// school's running classes.
func (r *reader) readEnrollments(classes map[string]*class, sum *Summary) {
	t := readTable(r.fsys, EnrollmentsFile, true, []string{"classSourcedId", "userSourcedId", "role"}, &r.ps)
	if t == nil {
		return
	}
	teacherSubjects := map[string]map[string]bool{}
	for _, row := range t.rows {
		if !row.active() {
			continue
		}
		c := classes[row.get("classSourcedId")]
		if c == nil {
			continue // another school's class, or not running this week
		}
		if !r.enrolledThisWeek(row) {
			continue
		}
		uid, ok := row.required(&r.ps, "userSourcedId")
		if !ok {
			continue
		}
		u := r.users[uid]
		if u == nil {
			row.fail(&r.ps, "userSourcedId", "no active user %q in %s", uid, UsersFile)
			continue
		}
		sum.Enrollments++
		switch strings.ToLower(row.get("role")) {
		case "student":
			if r.students[uid] == nil {
				r.students[uid] = &solver.Student{ID: uid, Name: studentName(u), Grade: u.grade}
			}
		case "teacher":
			if teacherSubjects[uid] == nil {
				teacherSubjects[uid] = map[string]bool{}
			}
			for _, s := range c.subjects {
				teacherSubjects[uid][s] = true
			}
		}
	}
	for uid, subjects := range teacherSubjects {
		if len(subjects) == 0 {
			continue // teaches nothing weekplan schedules
		}
		if r.students[uid] != nil {
			r.ps.add(EnrollmentsFile, 0, "userSourcedId", "user %q is enrolled both as a student and as a teacher", uid)
			continue
		}
		tc := &solver.Teacher{ID: uid, Name: teacherName(r.users[uid])}
		for s := range subjects {
			tc.Subjects = append(tc.Subjects, s)
		}
		sort.Strings(tc.Subjects)
		r.teachers[uid] = tc
	}
}

// enrolledThisWeek reports whether an enrollment's optional beginDate and
// endDate overlap the week.
func (r *reader) enrolledThisWeek(row record) bool {
	var tm term
	tm.end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if row.get("beginDate") != "" {
		d, ok := r.date(row, "beginDate")
		if !ok {
			return false
		}
		tm.start = d
	}
	if row.get("endDate") != "" {
		d, ok := r.date(row, "endDate")
		if !ok {
			return false
		}
		tm.end = d
	}
	return r.coversWeek(tm)
}

// studentName is "Given F." (the preferred given name if any): enough for a
// teacher's roster, no more.
func studentName(u *user) string {
	given := u.given
	if u.preferred != "" {
		given = u.preferred
	}
	if f := []rune(u.family); len(f) > 0 {
		return strings.TrimSpace(given + " " + string(f[0]) + ".")
	}
	return given
}

// teacherName is "G. Family".
func teacherName(u *user) string {
	if g := []rune(u.given); len(g) > 0 {
		return string(g[0]) + ". " + u.family
	}
	return u.family
}

// student returns the enrolled student of a row's user column, recording a
// problem when there is none.
func (r *reader) student(row record, column string) *solver.Student {
	id, ok := row.required(&r.ps, column)
	if !ok {
		return nil
	}
	st := r.students[id]
	if st == nil {
		row.fail(&r.ps, column, "%q is not a student enrolled in a class of school %q this week", id, r.school)
	}
	return st
}

func (r *reader) readProgress() {
	t := readTable(r.fsys, ProgressFile, true, []string{"user_sourced_id", "skill_id", "mastery"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		st := r.student(row, "user_sourced_id")
		skill, ok := row.required(&r.ps, "skill_id")
		if ok && !r.skills[skill] {
			row.fail(&r.ps, "skill_id", "unknown skill %q", skill)
			ok = false
		}
		m, okM := row.unit(&r.ps, "mastery")
		if st == nil || !ok || !okM {
			continue
		}
		if st.Progress == nil {
			st.Progress = map[string]float64{}
		}
		if _, dup := st.Progress[skill]; dup {
			row.fail(&r.ps, "skill_id", "second progress row of this student on skill %q", skill)
			continue
		}
		st.Progress[skill] = m
	}
}

func (r *reader) readInterests() {
	t := readTable(r.fsys, InterestsFile, false, []string{"user_sourced_id", "key", "weight"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		st := r.student(row, "user_sourced_id")
		key, ok := row.required(&r.ps, "key")
		w, okW := row.unit(&r.ps, "weight")
		if st == nil || !ok || !okW {
			continue
		}
		if st.Interests == nil {
			st.Interests = map[string]float64{}
		}
		if _, dup := st.Interests[key]; dup {
			row.fail(&r.ps, "key", "second interest row of this student on %q", key)
			continue
		}
		st.Interests[key] = w
	}
}

func (r *reader) readAccommodations() {
	t := readTable(r.fsys, AccommodationsFile, false, []string{"user_sourced_id"}, &r.ps)
	if t == nil {
		return
	}
	seen := map[string]bool{}
	for _, row := range t.rows {
		st := r.student(row, "user_sourced_id")
		if st == nil {
			continue
		}
		if seen[st.ID] {
			row.fail(&r.ps, "user_sourced_id", "second accommodations row of this student")
			continue
		}
		seen[st.ID] = true
		st.NeedsAccessible = row.boolean(&r.ps, "needs_accessible")
		if n, ok := row.count(&r.ps, "max_group_size", true); ok {
			st.MaxGroupSize = &n
		}
		for _, m := range solver.AllModes() {
			if n, ok := row.count(&r.ps, "min_"+string(m), true); ok && n > 0 {
				if st.MinMinutes == nil {
					st.MinMinutes = map[solver.Mode]int{}
				}
				st.MinMinutes[m] = n
			}
		}
		for _, other := range row.list("apart") {
			if r.students[other] == nil {
				row.fail(&r.ps, "apart", "%q is not a student of the school this week", other)
				continue
			}
			st.Apart = append(st.Apart, other)
		}
		for _, g := range row.list("goals") {
			if !r.skills[g] {
				row.fail(&r.ps, "goals", "unknown skill %q", g)
				continue
			}
			st.Goals = append(st.Goals, g)
		}
	}
}

// readAvailability reads availability.csv: the blocks in which a student or
// a teacher is out (a slot id, or a day for all its slots).
func (r *reader) readAvailability() {
	t := readTable(r.fsys, AvailabilityFile, false, []string{"user_sourced_id", "unavailable"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		id, ok := row.required(&r.ps, "user_sourced_id")
		if !ok {
			continue
		}
		slots := r.slotList(row, "unavailable")
		switch {
		case r.students[id] != nil:
			r.students[id].Unavailable = appendNew(r.students[id].Unavailable, slots)
		case r.teachers[id] != nil:
			r.teachers[id].Unavailable = appendNew(r.teachers[id].Unavailable, slots)
		default:
			row.fail(&r.ps, "user_sourced_id", "%q is neither a student nor a teacher of the school this week", id)
		}
	}
}

// appendNew appends the elements of add that list does not hold yet.
func appendNew(list, add []string) []string {
	for _, x := range add {
		found := false
		for _, y := range list {
			found = found || x == y
		}
		if !found {
			list = append(list, x)
		}
	}
	return list
}

func (r *reader) readStaff() {
	t := readTable(r.fsys, StaffFile, false, []string{"user_sourced_id", "max_sessions"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		id, ok := row.required(&r.ps, "user_sourced_id")
		if !ok {
			continue
		}
		tc := r.teachers[id]
		if tc == nil {
			row.fail(&r.ps, "user_sourced_id", "%q is not a teacher of a running class of the school", id)
			continue
		}
		if n, ok := row.count(&r.ps, "max_sessions", true); ok {
			tc.MaxSessions = &n
		}
	}
}

// readPins reads pins.csv: administrators' fixed placements.
func (r *reader) readPins() {
	t := readTable(r.fsys, PinsFile, false, []string{"user_sourced_id", "slot"}, &r.ps)
	if t == nil {
		return
	}
	for _, row := range t.rows {
		st := r.student(row, "user_sourced_id")
		slot, ok := row.required(&r.ps, "slot")
		if ok && !r.slots[slot] {
			row.fail(&r.ps, "slot", "unknown slot %q", slot)
			ok = false
		}
		if st == nil || !ok {
			continue
		}
		pin := solver.Pin{Student: st.ID, Slot: slot, Mode: solver.Mode(row.get("mode")),
			Teacher: row.get("teacher_sourced_id"), Room: row.get("room"), Skill: row.get("skill")}
		if pin.Mode != "" && !pin.Mode.Valid() {
			row.fail(&r.ps, "mode", "unknown mode %q", pin.Mode)
			continue
		}
		if pin.Teacher != "" && r.teachers[pin.Teacher] == nil {
			row.fail(&r.ps, "teacher_sourced_id", "%q is not a teacher of the school this week", pin.Teacher)
			continue
		}
		if pin.Room != "" && !r.rooms[pin.Room] {
			row.fail(&r.ps, "room", "unknown room %q", pin.Room)
			continue
		}
		if pin.Skill != "" && !r.skills[pin.Skill] {
			row.fail(&r.ps, "skill", "unknown skill %q", pin.Skill)
			continue
		}
		r.inst.Pins = append(r.inst.Pins, pin)
	}
}

// finish puts students and teachers in the instance in a deterministic order
// (by sourcedId) with the derived priorities.
func (r *reader) finish() {
	ids := make([]string, 0, len(r.students))
	for id := range r.students {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := r.students[id]
		if p, ok := r.priority[id]; ok && p != 1 {
			p := p
			st.Priority = &p
		}
		r.inst.Students = append(r.inst.Students, *st)
	}
	ids = ids[:0]
	for id := range r.teachers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.inst.Teachers = append(r.inst.Teachers, *r.teachers[id])
	}
}

// String shows a summary for logs.
func (s Summary) String() string {
	return fmt.Sprintf("%d students, %d teachers, %d classes, %d enrollments, %d at risk", s.Students, s.Teachers, s.Classes, s.Enrollments, s.AtRisk)
}
