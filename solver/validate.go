package solver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
)

// ErrInvalidInstance is wrapped by every error that rejects an instance; the
// concrete error is a *ValidationError listing every problem found.
var ErrInvalidInstance = errors.New("invalid instance")

// Problem is one way in which an instance breaks SPEC §2/§3.1. Path names the
// record and field, e.g. `students[s-0042].progress["math.07"]`.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError carries every problem of a rejected instance, like a
// compiler reports every error of a file rather than the first.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid instance: %d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidInstance) succeed.
func (e *ValidationError) Unwrap() error { return ErrInvalidInstance }

// ParseInstance decodes a weekplan.instance/v1 document. It reports JSON that
// does not fit the format (a string where a number belongs, trailing data) with
// the field named; it does not validate: call Validate for that.
func ParseInstance(data []byte) (*Instance, error) {
	var inst Instance
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&inst); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidInstance, describeJSONError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the instance object", ErrInvalidInstance)
	}
	return &inst, nil
}

// ParseSchedule decodes a weekplan.schedule/v1 document.
func ParseSchedule(data []byte) (*Schedule, error) {
	var s Schedule
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("invalid schedule: %s", describeJSONError(err))
	}
	if dec.More() {
		return nil, errors.New("invalid schedule: trailing data after the schedule object")
	}
	return &s, nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("%s: want %s, got JSON %s (byte %d)", te.Field, te.Type, te.Value, te.Offset)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	}
	return err.Error()
}

// clockPattern matches a 24-hour time of day, HH:MM.
var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// DayOffset is the number of days from Monday of a slot day name ("mon"→0,
// "sun"→6); ok is false for any other string.
func DayOffset(day string) (offset int, ok bool) {
	switch day {
	case "mon":
		return 0, true
	case "tue":
		return 1, true
	case "wed":
		return 2, true
	case "thu":
		return 3, true
	case "fri":
		return 4, true
	case "sat":
		return 5, true
	case "sun":
		return 6, true
	}
	return 0, false
}

// problems accumulates validation problems.
type problems struct{ list []Problem }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate checks the instance against SPEC §2 and §3.1 and returns a
// *ValidationError (wrapping ErrInvalidInstance) listing every problem, or nil.
func (inst *Instance) Validate() error {
	var p problems
	if inst.Format != InstanceFormat {
		p.add("format", "want %q, got %q", InstanceFormat, inst.Format)
	}
	if inst.School.ID == "" {
		p.add("school.id", "missing")
	}
	if tz := inst.School.Timezone; tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			p.add("school.timezone", "unknown time zone %q", tz)
		}
	}
	if _, err := time.Parse("2006-01-02", inst.WeekStart); err != nil {
		p.add("week_start", "want a date YYYY-MM-DD, got %q", inst.WeekStart)
	}
	inst.validatePolicy(&p)

	slots := uniqueIDs(&p, "slots", len(inst.Slots), func(i int) string { return inst.Slots[i].ID })
	skills := uniqueIDs(&p, "skills", len(inst.Skills), func(i int) string { return inst.Skills[i].ID })
	rooms := uniqueIDs(&p, "rooms", len(inst.Rooms), func(i int) string { return inst.Rooms[i].ID })
	teachers := uniqueIDs(&p, "teachers", len(inst.Teachers), func(i int) string { return inst.Teachers[i].ID })
	students := uniqueIDs(&p, "students", len(inst.Students), func(i int) string { return inst.Students[i].ID })

	for _, s := range inst.Slots {
		path := fmt.Sprintf("slots[%s]", s.ID)
		if _, ok := DayOffset(s.Day); !ok {
			p.add(path+".day", "want one of mon, tue, wed, thu, fri, sat, sun; got %q", s.Day)
		}
		if !clockPattern.MatchString(s.Start) {
			p.add(path+".start", "want a time HH:MM, got %q", s.Start)
		}
		if s.Minutes < 0 {
			p.add(path+".minutes", "negative minutes %d", s.Minutes)
		}
	}
	subjects := map[string]bool{}
	for _, sk := range inst.Skills {
		if sk.Subject == "" {
			p.add(fmt.Sprintf("skills[%s].subject", sk.ID), "missing")
			continue
		}
		subjects[sk.Subject] = true
	}
	topics := map[string]bool{}
	for _, r := range inst.Rooms {
		path := fmt.Sprintf("rooms[%s]", r.ID)
		if r.Capacity < 0 {
			p.add(path+".capacity", "negative capacity %d", r.Capacity)
		}
		if r.Stations != nil && *r.Stations < 0 {
			p.add(path+".stations", "negative stations %d", *r.Stations)
		}
		if len(r.Modes) == 0 {
			p.add(path+".modes", "a room needs at least one mode")
		}
		for _, m := range r.Modes {
			if !m.Valid() {
				p.add(path+".modes", "unknown mode %q", m)
			}
		}
		checkRefs(&p, path+".unavailable", r.Unavailable, slots, "slot")
		if r.Topic != "" {
			topics[r.Topic] = true
		}
	}
	for _, t := range inst.Teachers {
		path := fmt.Sprintf("teachers[%s]", t.ID)
		if len(t.Subjects) == 0 {
			p.add(path+".subjects", "a teacher needs at least one subject")
		}
		for _, s := range t.Subjects {
			if !subjects[s] {
				p.add(path+".subjects", "subject %q has no skill", s)
			}
		}
		if t.MaxSessions != nil && *t.MaxSessions < 0 {
			p.add(path+".max_sessions", "negative max_sessions %d", *t.MaxSessions)
		}
		checkRefs(&p, path+".unavailable", t.Unavailable, slots, "slot")
	}
	for i := range inst.Students {
		inst.validateStudent(&p, &inst.Students[i], slots, skills, students, subjects, topics)
	}
	for i, lw := range inst.LastWeek {
		path := fmt.Sprintf("last_week[%d]", i)
		checkRef(&p, path+".student", lw.Student, students, "student")
		checkRef(&p, path+".slot", lw.Slot, slots, "slot")
		if !lw.Mode.Valid() {
			p.add(path+".mode", "unknown mode %q", lw.Mode)
		}
		if lw.Teacher != "" {
			checkRef(&p, path+".teacher", lw.Teacher, teachers, "teacher")
		}
		if lw.Room != "" {
			checkRef(&p, path+".room", lw.Room, rooms, "room")
		}
		if lw.Skill != "" {
			checkRef(&p, path+".skill", lw.Skill, skills, "skill")
		}
	}
	if len(p.list) == 0 {
		// Pins are checked against the hard constraints only once every id
		// resolves; otherwise the reference problems above say it all.
		inst.validatePins(&p)
	} else {
		for i, pin := range inst.Pins {
			path := fmt.Sprintf("pins[%d]", i)
			checkRef(&p, path+".student", pin.Student, students, "student")
			checkRef(&p, path+".slot", pin.Slot, slots, "slot")
		}
	}
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: p.list}
}

func (inst *Instance) validatePolicy(p *problems) {
	defaults := PolicyDefaults()
	keys := make([]string, 0, len(inst.Policy))
	for k := range inst.Policy {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := inst.Policy[k]
		path := "policy." + k
		if _, ok := defaults[k]; !ok {
			p.add(path, "unknown policy key (known: %s)", strings.Join(PolicyKeys(), ", "))
			continue
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			p.add(path, "not a finite number")
		case v < 0:
			p.add(path, "negative value %g", v)
		case isCountPolicyKey(k) && v != math.Trunc(v):
			p.add(path, "want a whole number, got %g", v)
		case (k == "mastery_threshold" || k == "level_band") && v > 1:
			p.add(path, "%g outside [0,1]", v)
		}
	}
	par := inst.Params()
	if par.GroupMin > par.GroupMax {
		p.add("policy.group_min", "group_min %d exceeds group_max %d", par.GroupMin, par.GroupMax)
	}
	if par.GroupMin < 1 {
		p.add("policy.group_min", "group_min must be at least 1, got %d", par.GroupMin)
	}
}

func (inst *Instance) validateStudent(p *problems, st *Student, slots, skills, students map[string]int, subjects, topics map[string]bool) {
	path := fmt.Sprintf("students[%s]", st.ID)
	if st.Priority != nil {
		if v := *st.Priority; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			p.add(path+".priority", "want a finite number ≥ 0, got %g", v)
		}
	}
	checkRefs(p, path+".unavailable", st.Unavailable, slots, "slot")
	if st.MaxGroupSize != nil && *st.MaxGroupSize < 0 {
		p.add(path+".max_group_size", "negative max_group_size %d", *st.MaxGroupSize)
	}
	for _, m := range sortedModes(st.MinMinutes) {
		if !m.Valid() {
			p.add(fmt.Sprintf("%s.min_minutes[%q]", path, m), "unknown mode")
		} else if v := st.MinMinutes[m]; v < 0 {
			p.add(fmt.Sprintf("%s.min_minutes[%q]", path, m), "negative minutes %d", v)
		}
	}
	for _, a := range st.Apart {
		if a == st.ID {
			p.add(path+".apart", "names the student itself")
			continue
		}
		checkRef(p, path+".apart", a, students, "student")
	}
	for _, k := range sortedKeys(st.Progress) {
		fp := fmt.Sprintf("%s.progress[%q]", path, k)
		if _, ok := skills[k]; !ok {
			p.add(fp, "unknown skill")
		}
		if v := st.Progress[k]; math.IsNaN(v) || v < 0 || v > 1 {
			p.add(fp, "mastery %g outside [0,1]", v)
		}
	}
	for _, k := range sortedKeys(st.Interests) {
		fp := fmt.Sprintf("%s.interests[%q]", path, k)
		if !subjects[k] && !topics[k] {
			p.add(fp, "neither a subject nor a room topic")
		}
		if v := st.Interests[k]; math.IsNaN(v) || v < 0 || v > 1 {
			p.add(fp, "interest weight %g outside [0,1]", v)
		}
	}
	checkRefs(p, path+".goals", st.Goals, skills, "skill")
}

// pinKey is one student-slot.
type pinKey struct{ student, slot string }

// validatePins rejects pins that contradict a hard constraint (SPEC §2) on
// their own or together. It runs only when every reference resolves.
func (inst *Instance) validatePins(p *problems) {
	par := inst.Params()
	room := map[string]*Room{}
	for i := range inst.Rooms {
		room[inst.Rooms[i].ID] = &inst.Rooms[i]
	}
	teacher := map[string]*Teacher{}
	for i := range inst.Teachers {
		teacher[inst.Teachers[i].ID] = &inst.Teachers[i]
	}
	student := map[string]*Student{}
	for i := range inst.Students {
		student[inst.Students[i].ID] = &inst.Students[i]
	}
	skill := map[string]*Skill{}
	for i := range inst.Skills {
		skill[inst.Skills[i].ID] = &inst.Skills[i]
	}
	focus := map[string]map[string]bool{}
	focusOf := func(st *Student) map[string]bool {
		if f, ok := focus[st.ID]; ok {
			return f
		}
		f := map[string]bool{}
		for _, k := range inst.FocusSkills(st) {
			f[k] = true
		}
		focus[st.ID] = f
		return f
	}
	slotSet := map[string]bool{}
	for _, s := range inst.Slots {
		slotSet[s.ID] = true
	}

	// merged is the conjunction of every pin on one student-slot.
	type merged struct {
		Pin
		first int
	}
	byKey := map[pinKey]*merged{}
	var order []pinKey
	for i, pin := range inst.Pins {
		path := fmt.Sprintf("pins[%d]", i)
		st, ok := student[pin.Student]
		if !ok {
			p.add(path+".student", "unknown student %q", pin.Student)
			continue
		}
		if !slotSet[pin.Slot] {
			p.add(path+".slot", "unknown slot %q", pin.Slot)
			continue
		}
		if contains(st.Unavailable, pin.Slot) {
			p.add(path+".slot", "student %s is unavailable in slot %s (H1)", pin.Student, pin.Slot)
		}
		if pin.Mode != "" && !pin.Mode.Valid() {
			p.add(path+".mode", "unknown mode %q", pin.Mode)
			continue
		}
		if pin.Teacher != "" {
			t, ok := teacher[pin.Teacher]
			switch {
			case !ok:
				p.add(path+".teacher", "unknown teacher %q", pin.Teacher)
				continue
			case contains(t.Unavailable, pin.Slot):
				p.add(path+".teacher", "teacher %s is unavailable in slot %s (H2)", pin.Teacher, pin.Slot)
			case t.SessionLimit(len(inst.Slots)) == 0:
				p.add(path+".teacher", "teacher %s has max_sessions 0 (H2)", pin.Teacher)
			}
			if pin.Mode == Independent {
				p.add(path+".mode", "independent work has no teacher, but the pin names teacher %s", pin.Teacher)
			}
		}
		if pin.Skill != "" {
			sk, ok := skill[pin.Skill]
			if !ok {
				p.add(path+".skill", "unknown skill %q", pin.Skill)
				continue
			}
			if pin.Mode == Independent {
				p.add(path+".mode", "independent work has no skill, but the pin names skill %s", pin.Skill)
			}
			if !focusOf(st)[pin.Skill] {
				p.add(path+".skill", "skill %s is not a focus skill of student %s (H5)", pin.Skill, pin.Student)
			}
			if t, ok := teacher[pin.Teacher]; ok && !t.Teaches(sk.Subject) {
				p.add(path+".skill", "teacher %s does not teach %s, the subject of skill %s (H2)", pin.Teacher, sk.Subject, pin.Skill)
			}
		}
		if pin.Room != "" {
			r, ok := room[pin.Room]
			if !ok {
				p.add(path+".room", "unknown room %q", pin.Room)
				continue
			}
			if contains(r.Unavailable, pin.Slot) {
				p.add(path+".room", "room %s is unavailable in slot %s (H3)", pin.Room, pin.Slot)
			}
			if pin.Mode != "" && !r.Allows(pin.Mode) {
				p.add(path+".room", "room %s does not allow mode %s (H3)", pin.Room, pin.Mode)
			}
			if (pin.Mode.IsSession() || pin.Teacher != "" || pin.Skill != "") && r.StationCount() == 0 {
				p.add(path+".room", "room %s has no station for a session (H3)", pin.Room)
			}
			if (pin.Mode.IsSession() || pin.Teacher != "" || pin.Skill != "") && !r.Allows(SmallGroup) && !r.Allows(Tutoring) {
				p.add(path+".room", "room %s hosts no sessions (H3)", pin.Room)
			}
			if r.Capacity == 0 {
				p.add(path+".room", "room %s has capacity 0 (H3)", pin.Room)
			}
			if st.NeedsAccessible && !r.Accessible {
				p.add(path+".room", "student %s needs an accessible room; room %s is not (H3)", pin.Student, pin.Room)
			}
		}
		if pin.Mode == SmallGroup && st.MaxGroupSize != nil && *st.MaxGroupSize < par.GroupMin {
			p.add(path+".mode", "student %s has max_group_size %d, below group_min %d (H4)", pin.Student, *st.MaxGroupSize, par.GroupMin)
		}
		if pin.Mode == Tutoring && par.TutoringMax < 1 {
			p.add(path+".mode", "tutoring_max is 0, so no tutoring is possible (H6)")
		}
		key := pinKey{pin.Student, pin.Slot}
		m, ok := byKey[key]
		if !ok {
			byKey[key] = &merged{Pin: pin, first: i}
			order = append(order, key)
			continue
		}
		// Several pins on one student-slot must all hold (SPEC §3.1).
		for _, f := range []struct {
			name string
			a, b *string
		}{
			{"mode", (*string)(&m.Mode), (*string)(&pin.Mode)},
			{"teacher", &m.Teacher, &pin.Teacher},
			{"room", &m.Room, &pin.Room},
			{"skill", &m.Skill, &pin.Skill},
		} {
			switch {
			case *f.b == "":
			case *f.a == "":
				*f.a = *f.b
			case *f.a != *f.b:
				p.add(path+"."+f.name, "contradicts pins[%d]: %s %q vs %q for student %s in slot %s", m.first, f.name, *f.a, *f.b, pin.Student, pin.Slot)
			}
		}
	}
	if len(p.list) > 0 {
		return
	}
	// Pins that share a teacher and slot must describe one session; pins
	// that share a room and slot must fit it.
	type teacherSlot struct{ teacher, slot string }
	sessionPins := map[teacherSlot][]*merged{}
	roomLoad := map[[2]string]int{}
	teacherSlots := map[string]map[string]bool{}
	for _, key := range order {
		m := byKey[key]
		if m.Teacher != "" {
			ts := teacherSlot{m.Teacher, m.Slot}
			sessionPins[ts] = append(sessionPins[ts], m)
			if teacherSlots[m.Teacher] == nil {
				teacherSlots[m.Teacher] = map[string]bool{}
			}
			teacherSlots[m.Teacher][m.Slot] = true
		}
		if m.Room != "" {
			roomLoad[[2]string{m.Room, m.Slot}]++
		}
	}
	for ts, list := range sessionPins {
		first := list[0]
		path := fmt.Sprintf("pins[%d]", first.first)
		mode, sk, rm := "", "", ""
		for _, m := range list {
			for _, f := range [][2]*string{{&mode, (*string)(&m.Mode)}, {&sk, &m.Skill}, {&rm, &m.Room}} {
				if *f[1] == "" {
					continue
				}
				if *f[0] != "" && *f[0] != *f[1] {
					p.add(path, "pins for teacher %s in slot %s describe different sessions (%q vs %q) (H2)", ts.teacher, ts.slot, *f[0], *f[1])
				}
				*f[0] = *f[1]
			}
		}
		n := len(list)
		switch Mode(mode) {
		case Tutoring:
			if n > par.TutoringMax {
				p.add(path, "%d students pinned to tutoring with teacher %s in slot %s; tutoring_max is %d (H6)", n, ts.teacher, ts.slot, par.TutoringMax)
			}
		case SmallGroup:
			if n > par.GroupMax {
				p.add(path, "%d students pinned to a small group with teacher %s in slot %s; group_max is %d (H4)", n, ts.teacher, ts.slot, par.GroupMax)
			}
		}
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				if apartPair(student[list[a].Student], student[list[b].Student]) {
					p.add(path, "students %s and %s are kept apart but pinned to one session of teacher %s in slot %s (H7)", list[a].Student, list[b].Student, ts.teacher, ts.slot)
				}
			}
		}
	}
	for _, t := range inst.Teachers {
		if n := len(teacherSlots[t.ID]); n > t.SessionLimit(len(inst.Slots)) {
			p.add(fmt.Sprintf("teachers[%s].max_sessions", t.ID), "pins need %d sessions, above max_sessions %d (H2)", n, t.SessionLimit(len(inst.Slots)))
		}
	}
	for rs, n := range roomLoad {
		if r := room[rs[0]]; n > r.Capacity {
			p.add(fmt.Sprintf("rooms[%s].capacity", rs[0]), "%d students pinned to it in slot %s, above capacity %d (H3)", n, rs[1], r.Capacity)
		}
	}
	sort.SliceStable(p.list, func(a, b int) bool { return p.list[a].Path < p.list[b].Path })
}

// apartPair reports whether either student lists the other in apart (H7).
func apartPair(a, b *Student) bool {
	return contains(a.Apart, b.ID) || contains(b.Apart, a.ID)
}

func uniqueIDs(p *problems, kind string, n int, id func(int) string) map[string]int {
	seen := make(map[string]int, n)
	for i := 0; i < n; i++ {
		v := id(i)
		if v == "" {
			p.add(fmt.Sprintf("%s[%d].id", kind, i), "missing id")
			continue
		}
		if j, dup := seen[v]; dup {
			p.add(fmt.Sprintf("%s[%s]", kind, v), "duplicate id (records %d and %d)", j, i)
			continue
		}
		seen[v] = i
	}
	return seen
}

func checkRef(p *problems, path, id string, known map[string]int, kind string) {
	if _, ok := known[id]; !ok {
		p.add(path, "unknown %s %q", kind, id)
	}
}

func checkRefs(p *problems, path string, ids []string, known map[string]int, kind string) {
	for _, id := range ids {
		checkRef(p, path, id, known, kind)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedModes(m map[Mode]int) []Mode {
	keys := make([]Mode, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	return keys
}
