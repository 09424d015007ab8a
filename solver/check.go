package solver

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Rules of a check report besides the hard constraints H1–H8 of SPEC §3.
const (
	RuleFormat    = "FORMAT"    // the schedule does not fit §5 or names unknown records
	RuleObjective = "OBJECTIVE" // the claimed objective is not the §4 value
	RuleBound     = "BOUND"     // the claimed bound is below the objective
	RuleReport    = "REPORT"    // unplaced/shortfalls do not list what the schedule leaves out
)

// Violation is one broken rule with the records involved.
type Violation struct {
	Rule    string   `json:"rule"`
	Records []string `json:"records"`
	Message string   `json:"message"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.Rule, strings.Join(v.Records, ", "), v.Message)
}

// CheckReport is the result of Check: every violation found and the §4 score.
type CheckReport struct {
	Violations []Violation `json:"violations"`
	Score      Score       `json:"score"`
}

// Valid reports whether the schedule breaks no rule.
func (r *CheckReport) Valid() bool { return len(r.Violations) == 0 }

// ObjectiveTolerance is how far a claimed objective may be from the scored one:
// a relative 1e-6 (absolute below 1), to allow for summation order.
func ObjectiveTolerance(v float64) float64 { return 1e-6 * math.Max(1, math.Abs(v)) }

// levelBandTolerance is the tolerance of the level-band comparison (SPEC §3.1).
const levelBandTolerance = 1e-9

// placement is where one student is in one slot, as the checker reads it.
type placement struct {
	mode    Mode
	teacher string // sessions only
	room    string
	skill   string // sessions only
	session int    // index into Schedule.Sessions, or −1
}

// Check validates a schedule against the hard constraints of SPEC §3 (with the
// readings of §3.1) and scores it by §4. The instance must be valid. Check is
// the oracle of weekplan's tests: it reads the instance directly and shares no
// code with the solving engine.
func Check(inst *Instance, s *Schedule) *CheckReport {
	c := newChecker(inst)
	c.checkHeader(s)
	c.collect(s)
	c.checkSessions(s)
	c.checkRooms(s)
	c.checkTeachers(s)
	c.checkPins()
	c.score()
	c.checkReport(s)
	return &CheckReport{Violations: c.violations, Score: c.sc}
}

type checker struct {
	inst       *Instance
	par        Params
	slotIdx    map[string]int
	skill      map[string]*Skill
	room       map[string]*Room
	teacher    map[string]*Teacher
	student    map[string]*Student
	focus      map[string]map[string]bool
	placements map[pinKey][]placement
	violations []Violation
	sc         Score
	unplaced   map[pinKey]bool
	shortfall  map[string]map[Mode]int // student → mode → minutes short
}

func newChecker(inst *Instance) *checker {
	c := &checker{
		inst:       inst,
		par:        inst.Params(),
		slotIdx:    map[string]int{},
		skill:      map[string]*Skill{},
		room:       map[string]*Room{},
		teacher:    map[string]*Teacher{},
		student:    map[string]*Student{},
		focus:      map[string]map[string]bool{},
		placements: map[pinKey][]placement{},
	}
	for i, s := range inst.Slots {
		c.slotIdx[s.ID] = i
	}
	for i := range inst.Skills {
		c.skill[inst.Skills[i].ID] = &inst.Skills[i]
	}
	for i := range inst.Rooms {
		c.room[inst.Rooms[i].ID] = &inst.Rooms[i]
	}
	for i := range inst.Teachers {
		c.teacher[inst.Teachers[i].ID] = &inst.Teachers[i]
	}
	for i := range inst.Students {
		c.student[inst.Students[i].ID] = &inst.Students[i]
	}
	for id, list := range inst.FocusSkillsByStudent() {
		set := make(map[string]bool, len(list))
		for _, k := range list {
			set[k] = true
		}
		c.focus[id] = set
	}
	return c
}

func (c *checker) fail(rule, format string, records []string, args ...any) {
	c.violations = append(c.violations, Violation{Rule: rule, Records: records, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) checkHeader(s *Schedule) {
	if s.Format != ScheduleFormat {
		c.fail(RuleFormat, "format: want %q, got %q", []string{"format"}, ScheduleFormat, s.Format)
	}
	if s.School != c.inst.School.ID {
		c.fail(RuleFormat, "school: want %q, got %q", []string{"school"}, c.inst.School.ID, s.School)
	}
	if s.WeekStart != c.inst.WeekStart {
		c.fail(RuleFormat, "week_start: want %q, got %q", []string{"week_start"}, c.inst.WeekStart, s.WeekStart)
	}
}

// collect records every placement and reports unknown references.
func (c *checker) collect(s *Schedule) {
	add := func(student, slot string, p placement, where string) {
		if _, ok := c.student[student]; !ok {
			c.fail(RuleFormat, "%s names unknown student %q", []string{where}, where, student)
			return
		}
		c.placements[pinKey{student, slot}] = append(c.placements[pinKey{student, slot}], p)
	}
	for i, ss := range s.Sessions {
		where := fmt.Sprintf("sessions[%d]", i)
		ok := true
		if _, found := c.slotIdx[ss.Slot]; !found {
			c.fail(RuleFormat, "%s: unknown slot %q", []string{where}, where, ss.Slot)
			ok = false
		}
		if !ss.Mode.IsSession() {
			c.fail(RuleFormat, "%s: mode %q is not a session mode", []string{where}, where, ss.Mode)
			ok = false
		}
		if _, found := c.teacher[ss.Teacher]; !found {
			c.fail(RuleFormat, "%s: unknown teacher %q", []string{where}, where, ss.Teacher)
			ok = false
		}
		if _, found := c.room[ss.Room]; !found {
			c.fail(RuleFormat, "%s: unknown room %q", []string{where}, where, ss.Room)
			ok = false
		}
		if _, found := c.skill[ss.Skill]; !found {
			c.fail(RuleFormat, "%s: unknown skill %q", []string{where}, where, ss.Skill)
			ok = false
		}
		if !ok {
			continue
		}
		for _, st := range ss.Students {
			add(st, ss.Slot, placement{mode: ss.Mode, teacher: ss.Teacher, room: ss.Room, skill: ss.Skill, session: i}, where)
		}
	}
	for i, iw := range s.Independent {
		where := fmt.Sprintf("independent[%d]", i)
		if _, found := c.slotIdx[iw.Slot]; !found {
			c.fail(RuleFormat, "%s: unknown slot %q", []string{where}, where, iw.Slot)
			continue
		}
		if _, found := c.room[iw.Room]; !found {
			c.fail(RuleFormat, "%s: unknown room %q", []string{where}, where, iw.Room)
			continue
		}
		for _, st := range iw.Students {
			add(st, iw.Slot, placement{mode: Independent, room: iw.Room, session: -1}, where)
		}
	}
	// H1: at most one placement per student-slot, none when unavailable.
	for _, key := range c.sortedKeys() {
		list := c.placements[key]
		if len(list) > 1 {
			c.fail("H1", "student %s has %d placements in slot %s", []string{key.student, key.slot}, key.student, len(list), key.slot)
		}
		if contains(c.student[key.student].Unavailable, key.slot) {
			c.fail("H1", "student %s is placed in slot %s, where it is unavailable", []string{key.student, key.slot}, key.student, key.slot)
		}
	}
}

func (c *checker) sortedKeys() []pinKey {
	keys := make([]pinKey, 0, len(c.placements))
	for k := range c.placements {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].student != keys[b].student {
			return keys[a].student < keys[b].student
		}
		return c.slotIdx[keys[a].slot] < c.slotIdx[keys[b].slot]
	})
	return keys
}

// checkSessions checks H4–H7 and the subject and skill parts of H2 and H5.
func (c *checker) checkSessions(s *Schedule) {
	for i, ss := range s.Sessions {
		t, okT := c.teacher[ss.Teacher]
		sk, okK := c.skill[ss.Skill]
		if !okT || !okK || !ss.Mode.IsSession() {
			continue
		}
		rec := []string{fmt.Sprintf("sessions[%d]", i), ss.Slot, ss.Teacher}
		n := len(ss.Students)
		seen := map[string]bool{}
		for _, st := range ss.Students {
			if seen[st] {
				c.fail("H1", "student %s is listed twice in the session of teacher %s in slot %s", append(rec, st), st, ss.Teacher, ss.Slot)
			}
			seen[st] = true
		}
		if !t.Teaches(sk.Subject) {
			c.fail("H2", "teacher %s does not teach %s (skill %s)", rec, ss.Teacher, sk.Subject, ss.Skill)
		}
		switch ss.Mode {
		case SmallGroup:
			if n < c.par.GroupMin || n > c.par.GroupMax {
				c.fail("H4", "small group of %d students; allowed %d to %d", rec, n, c.par.GroupMin, c.par.GroupMax)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, id := range ss.Students {
				st, ok := c.student[id]
				if !ok {
					continue
				}
				if st.MaxGroupSize != nil && n > *st.MaxGroupSize {
					c.fail("H4", "small group of %d students exceeds max_group_size %d of student %s", append(rec, id), n, *st.MaxGroupSize, id)
				}
				m := st.Progress[ss.Skill]
				lo, hi = math.Min(lo, m), math.Max(hi, m)
			}
			if n > 1 && hi-lo > c.par.LevelBand+levelBandTolerance {
				c.fail("H5", "masteries on %s span %.4g, above level_band %g", rec, ss.Skill, hi-lo, c.par.LevelBand)
			}
		case Tutoring:
			if n < 1 || n > c.par.TutoringMax {
				c.fail("H6", "tutoring session of %d students; allowed 1 to %d", rec, n, c.par.TutoringMax)
			}
		}
		for _, id := range ss.Students {
			if _, ok := c.student[id]; ok && !c.focus[id][ss.Skill] {
				c.fail("H5", "skill %s is not a focus skill of student %s", append(rec, id), ss.Skill, id)
			}
		}
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				sa, okA := c.student[ss.Students[a]]
				sb, okB := c.student[ss.Students[b]]
				if okA && okB && apartPair(sa, sb) {
					c.fail("H7", "students %s and %s are kept apart but share a session", append(rec, sa.ID, sb.ID), sa.ID, sb.ID)
				}
			}
		}
	}
}

// checkRooms checks H3: modes, availability, capacity, stations, accessibility.
// Stations count sessions, capacity counts students of every mode (SPEC §3.1).
func (c *checker) checkRooms(s *Schedule) {
	type roomSlot struct{ room, slot string }
	students := map[roomSlot]int{}
	sessions := map[roomSlot]int{}
	use := func(room, slot string, mode Mode, who []string) {
		r := c.room[room]
		if !r.Allows(mode) {
			c.fail("H3", "room %s does not allow %s in slot %s", append([]string{room, slot}, who...), room, mode, slot)
		}
		if contains(r.Unavailable, slot) {
			c.fail("H3", "room %s is used in slot %s, where it is unavailable", append([]string{room, slot}, who...), room, slot)
		}
	}
	for _, ss := range s.Sessions {
		if _, ok := c.room[ss.Room]; !ok || !ss.Mode.IsSession() {
			continue
		}
		if _, ok := c.slotIdx[ss.Slot]; !ok {
			continue
		}
		sessions[roomSlot{ss.Room, ss.Slot}]++
		use(ss.Room, ss.Slot, ss.Mode, []string{ss.Teacher})
	}
	for _, iw := range s.Independent {
		if _, ok := c.room[iw.Room]; !ok {
			continue
		}
		if _, ok := c.slotIdx[iw.Slot]; ok {
			use(iw.Room, iw.Slot, Independent, nil)
		}
	}
	for _, key := range c.sortedKeys() {
		for _, p := range c.placements[key] {
			students[roomSlot{p.room, key.slot}]++
			if c.student[key.student].NeedsAccessible && !c.room[p.room].Accessible {
				c.fail("H3", "student %s needs an accessible room; room %s is not", []string{key.student, p.room, key.slot}, key.student, p.room)
			}
		}
	}
	keys := make([]roomSlot, 0, len(students)+len(sessions))
	for k := range students {
		keys = append(keys, k)
	}
	for k := range sessions {
		if _, ok := students[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].room != keys[b].room {
			return keys[a].room < keys[b].room
		}
		return c.slotIdx[keys[a].slot] < c.slotIdx[keys[b].slot]
	})
	for _, rs := range keys {
		r := c.room[rs.room]
		if n := students[rs]; n > r.Capacity {
			c.fail("H3", "room %s holds %d students in slot %s; capacity %d", []string{rs.room, rs.slot}, rs.room, n, rs.slot, r.Capacity)
		}
		if n := sessions[rs]; n > r.StationCount() {
			c.fail("H3", "room %s hosts %d sessions in slot %s; stations %d", []string{rs.room, rs.slot}, rs.room, n, rs.slot, r.StationCount())
		}
	}
}

// checkTeachers checks the per-slot and weekly parts of H2. A session with no
// students still counts: it breaks H4/H6 and occupies its teacher.
func (c *checker) checkTeachers(s *Schedule) {
	perSlot := map[[2]string]int{}
	total := map[string]int{}
	for _, ss := range s.Sessions {
		if _, ok := c.teacher[ss.Teacher]; !ok {
			continue
		}
		if _, ok := c.slotIdx[ss.Slot]; !ok {
			continue
		}
		perSlot[[2]string{ss.Teacher, ss.Slot}]++
		total[ss.Teacher]++
		if len(ss.Students) == 0 {
			rule := "H4"
			if ss.Mode == Tutoring {
				rule = "H6"
			}
			c.fail(rule, "session of teacher %s in slot %s has no students", []string{ss.Teacher, ss.Slot}, ss.Teacher, ss.Slot)
		}
	}
	for _, t := range c.inst.Teachers {
		for _, sl := range c.inst.Slots {
			n := perSlot[[2]string{t.ID, sl.ID}]
			if n > 1 {
				c.fail("H2", "teacher %s leads %d sessions in slot %s", []string{t.ID, sl.ID}, t.ID, n, sl.ID)
			}
			if n > 0 && contains(t.Unavailable, sl.ID) {
				c.fail("H2", "teacher %s leads a session in slot %s, where it is unavailable", []string{t.ID, sl.ID}, t.ID, sl.ID)
			}
		}
		if limit := t.SessionLimit(len(c.inst.Slots)); total[t.ID] > limit {
			c.fail("H2", "teacher %s leads %d sessions in the week; max_sessions %d", []string{t.ID}, t.ID, total[t.ID], limit)
		}
	}
}

// checkPins checks H8: every pin holds in every field it gives.
func (c *checker) checkPins() {
	for i, pin := range c.inst.Pins {
		rec := []string{fmt.Sprintf("pins[%d]", i), pin.Student, pin.Slot}
		list := c.placements[pinKey{pin.Student, pin.Slot}]
		if len(list) == 0 {
			c.fail("H8", "pin of student %s in slot %s: the student is not placed", rec, pin.Student, pin.Slot)
			continue
		}
		p := list[0]
		var wrong []string
		if pin.Mode != "" && p.mode != pin.Mode {
			wrong = append(wrong, fmt.Sprintf("mode %s, pinned %s", p.mode, pin.Mode))
		}
		if pin.Teacher != "" && p.teacher != pin.Teacher {
			wrong = append(wrong, fmt.Sprintf("teacher %q, pinned %s", p.teacher, pin.Teacher))
		}
		if pin.Room != "" && p.room != pin.Room {
			wrong = append(wrong, fmt.Sprintf("room %s, pinned %s", p.room, pin.Room))
		}
		if pin.Skill != "" && p.skill != pin.Skill {
			wrong = append(wrong, fmt.Sprintf("skill %q, pinned %s", p.skill, pin.Skill))
		}
		if len(wrong) > 0 {
			c.fail("H8", "pin of student %s in slot %s not honoured: %s", rec, pin.Student, pin.Slot, strings.Join(wrong, "; "))
		}
	}
}

// score computes the §4 objective (docs/model.md §2). Every placement counts
// as written, so an invalid schedule still gets a score.
func (c *checker) score() {
	par := c.par
	lastWeek := map[pinKey][]LastWeekEntry{}
	for _, lw := range c.inst.LastWeek {
		k := pinKey{lw.Student, lw.Slot}
		lastWeek[k] = append(lastWeek[k], lw)
	}
	c.unplaced = map[pinKey]bool{}
	c.shortfall = map[string]map[Mode]int{}
	var sc Score
	for i := range c.inst.Students {
		st := &c.inst.Students[i]
		prio := st.PriorityWeight()
		sessions := 0
		minutes := map[Mode]int{}
		for _, sl := range c.inst.Slots {
			key := pinKey{st.ID, sl.ID}
			list := c.placements[key]
			if len(list) == 0 {
				if !contains(st.Unavailable, sl.ID) {
					sc.Unplaced -= par.PUnplaced
					sc.UnplacedSlots++
					c.unplaced[key] = true
				}
				continue
			}
			stable := false
			for _, p := range list {
				minutes[p.mode] += sl.Minutes
				switch p.mode {
				case SmallGroup, Tutoring:
					sessions++
					w := par.WGroup
					if p.mode == Tutoring {
						w = par.WTutor
					}
					v := w * Need(st, p.skill) * prio
					if p.mode == SmallGroup {
						sc.GroupNeed += v
					} else {
						sc.TutorNeed += v
					}
					sc.Interest += par.WInterest * st.Interests[c.skill[p.skill].Subject]
				case Independent:
					sc.Independent += par.WIndep
					if topic := c.room[p.room].Topic; topic != "" {
						sc.Interest += par.WInterest * st.Interests[topic]
					}
				}
				for _, lw := range lastWeek[key] {
					if lw.Mode == p.mode && (p.mode == Independent || lw.Teacher == "" || lw.Teacher == p.teacher) {
						stable = true
					}
				}
			}
			if stable {
				sc.Stable += par.WStable
			}
		}
		sc.Contact += par.WContact * prio * float64(min(sessions, par.ContactTarget))
		for _, m := range AllModes() {
			if short := st.MinMinutes[m] - minutes[m]; short > 0 {
				sc.IEP -= par.PIEPMinute * float64(short)
				sc.ShortfallMinutes += short
				if c.shortfall[st.ID] == nil {
					c.shortfall[st.ID] = map[Mode]int{}
				}
				c.shortfall[st.ID][m] = short
			}
		}
	}
	sc.Total = sc.GroupNeed + sc.TutorNeed + sc.Interest + sc.Independent + sc.Stable + sc.Contact + sc.Unplaced + sc.IEP
	c.sc = sc
}

// checkReport checks that the claimed objective and bound are consistent with
// the score and that unplaced and shortfalls list exactly what is left out,
// each with a reason (SPEC §4, §5).
func (c *checker) checkReport(s *Schedule) {
	if d := math.Abs(s.Objective - c.sc.Total); d > ObjectiveTolerance(c.sc.Total) {
		c.fail(RuleObjective, "objective claims %.6f, the schedule scores %.6f", []string{"objective"}, s.Objective, c.sc.Total)
	}
	if s.Bound != nil && *s.Bound < c.sc.Total-ObjectiveTolerance(c.sc.Total) {
		c.fail(RuleBound, "bound %.6f is below the schedule's objective %.6f", []string{"bound"}, *s.Bound, c.sc.Total)
	}
	listed := map[pinKey]bool{}
	for i, u := range s.Unplaced {
		key := pinKey{u.Student, u.Slot}
		rec := []string{fmt.Sprintf("unplaced[%d]", i), u.Student, u.Slot}
		switch {
		case !c.unplaced[key]:
			c.fail(RuleReport, "student %s is listed unplaced in slot %s but is placed or unavailable there", rec, u.Student, u.Slot)
		case listed[key]:
			c.fail(RuleReport, "student %s is listed unplaced in slot %s twice", rec, u.Student, u.Slot)
		case strings.TrimSpace(u.Reason) == "":
			c.fail(RuleReport, "unplaced student %s in slot %s has no reason", rec, u.Student, u.Slot)
		}
		listed[key] = true
	}
	for _, st := range c.inst.Students {
		for _, sl := range c.inst.Slots {
			if key := (pinKey{st.ID, sl.ID}); c.unplaced[key] && !listed[key] {
				c.fail(RuleReport, "student %s has no placement in slot %s but is not listed in unplaced", []string{st.ID, sl.ID}, st.ID, sl.ID)
			}
		}
	}
	listedShort := map[string]map[Mode]bool{}
	for i, sf := range s.Shortfalls {
		rec := []string{fmt.Sprintf("shortfalls[%d]", i), sf.Student, string(sf.Mode)}
		want := c.shortfall[sf.Student][sf.Mode]
		switch {
		case want != sf.Minutes:
			c.fail(RuleReport, "shortfall of student %s in %s lists %d minutes; the schedule is %d short", rec, sf.Student, sf.Mode, sf.Minutes, want)
		case listedShort[sf.Student][sf.Mode]:
			c.fail(RuleReport, "shortfall of student %s in %s is listed twice", rec, sf.Student, sf.Mode)
		case strings.TrimSpace(sf.Reason) == "":
			c.fail(RuleReport, "shortfall of student %s in %s has no reason", rec, sf.Student, sf.Mode)
		}
		if listedShort[sf.Student] == nil {
			listedShort[sf.Student] = map[Mode]bool{}
		}
		listedShort[sf.Student][sf.Mode] = true
	}
	for _, st := range c.inst.Students {
		for _, m := range AllModes() {
			if c.shortfall[st.ID][m] > 0 && !listedShort[st.ID][m] {
				c.fail(RuleReport, "student %s is %d minutes short in %s but no shortfall is listed", []string{st.ID, string(m)}, st.ID, c.shortfall[st.ID][m], m)
			}
		}
	}
}
