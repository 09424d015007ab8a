package solver

import (
	"fmt"
	"sort"

	"github.com/weekplan/weekplan/solver/model"
)

// compiled is a problem with the id tables needed to translate back.
type compiled struct {
	p          *model.Problem
	inst       *Instance
	slotIdx    map[string]int
	skillIdx   map[string]int
	roomIdx    map[string]int
	teacherIdx map[string]int
	studentIdx map[string]int
	subjects   []string // subject index → name
}

var modeIndex = map[Mode]model.Mode{SmallGroup: model.Group, Tutoring: model.Tutor, Independent: model.Indep}

func modeName(m model.Mode) Mode {
	switch m {
	case model.Group:
		return SmallGroup
	case model.Tutor:
		return Tutoring
	}
	return Independent
}

func index[T any](list []T, id func(*T) string) map[string]int {
	m := make(map[string]int, len(list))
	for i := range list {
		m[id(&list[i])] = i
	}
	return m
}

// compile builds the index-based problem of docs/model.md §1 from a valid
// instance. It returns an error only for contradictions Validate is expected
// to reject (so that Solve never works on an instance it cannot represent).
func compile(inst *Instance) (*compiled, error) {
	par := inst.Params()
	T := len(inst.Slots)
	c := &compiled{
		inst:       inst,
		slotIdx:    index(inst.Slots, func(s *Slot) string { return s.ID }),
		skillIdx:   index(inst.Skills, func(s *Skill) string { return s.ID }),
		roomIdx:    index(inst.Rooms, func(r *Room) string { return r.ID }),
		teacherIdx: index(inst.Teachers, func(t *Teacher) string { return t.ID }),
		studentIdx: index(inst.Students, func(s *Student) string { return s.ID }),
	}
	p := &model.Problem{P: model.Params{
		MasteryThreshold: par.MasteryThreshold, LevelBand: par.LevelBand,
		GroupMin: par.GroupMin, GroupMax: par.GroupMax, TutoringMax: par.TutoringMax,
		WGroup: par.WGroup, WTutor: par.WTutor, WIndep: par.WIndep, WInterest: par.WInterest,
		WStable: par.WStable, WContact: par.WContact, ContactTarget: par.ContactTarget,
		PUnplaced: par.PUnplaced, PIEPMinute: par.PIEPMinute,
	}}
	c.p = p
	// Interest keys: subjects first (in order of appearance), then topics.
	keys := map[string]int{}
	key := func(name string) int {
		if k, ok := keys[name]; ok {
			return k
		}
		keys[name] = len(keys)
		return len(keys) - 1
	}
	subjIdx := map[string]int{}
	for _, sk := range inst.Skills {
		if _, ok := subjIdx[sk.Subject]; !ok {
			subjIdx[sk.Subject] = len(c.subjects)
			c.subjects = append(c.subjects, sk.Subject)
		}
	}
	p.NumSubjects = len(c.subjects)
	for _, sl := range inst.Slots {
		p.Slots = append(p.Slots, model.Slot{Minutes: sl.Minutes})
	}
	for _, sk := range inst.Skills {
		p.Skills = append(p.Skills, model.Skill{Subject: subjIdx[sk.Subject], Key: key(sk.Subject)})
	}
	avail := func(unavailable []string) []bool {
		a := make([]bool, T)
		for t := range a {
			a[t] = true
		}
		for _, id := range unavailable {
			if t, ok := c.slotIdx[id]; ok {
				a[t] = false
			}
		}
		return a
	}
	for i := range inst.Rooms {
		r := &inst.Rooms[i]
		var modes uint8
		for _, m := range r.Modes {
			if mm, ok := modeIndex[m]; ok {
				modes |= mm.Bit()
			}
		}
		k := -1
		if r.Topic != "" {
			k = key(r.Topic)
		}
		p.Rooms = append(p.Rooms, model.Room{Capacity: r.Capacity, Stations: r.StationCount(),
			Modes: modes, Accessible: r.Accessible, Key: k, Avail: avail(r.Unavailable)})
	}
	for i := range inst.Teachers {
		tc := &inst.Teachers[i]
		subj := make([]bool, p.NumSubjects)
		for _, s := range tc.Subjects {
			if k, ok := subjIdx[s]; ok {
				subj[k] = true
			}
		}
		p.Teachers = append(p.Teachers, model.Teacher{Subjects: subj, Limit: tc.SessionLimit(T), Avail: avail(tc.Unavailable)})
	}
	for i := range inst.Students {
		st := &inst.Students[i]
		ms := model.Student{Priority: st.PriorityWeight(), Avail: avail(st.Unavailable),
			NeedsAccessible: st.NeedsAccessible, MaxGroup: model.MaxGroupNone}
		if st.MaxGroupSize != nil {
			ms.MaxGroup = *st.MaxGroupSize
		}
		for m, v := range st.MinMinutes {
			if mm, ok := modeIndex[m]; ok {
				ms.MinMinutes[mm] = v
			}
		}
		for _, id := range inst.FocusSkills(st) {
			k, ok := c.skillIdx[id]
			if !ok {
				return nil, fmt.Errorf("students[%d] (%s): focus skill %q is not a skill", i, st.ID, id)
			}
			ms.Focus = append(ms.Focus, model.Focus{Skill: k, Need: Need(st, id), Mastery: st.Progress[id]})
		}
		c.internKeys(st, key)
		p.Students = append(p.Students, ms)
	}
	p.NumKeys = len(keys)
	for i := range inst.Students {
		st := &inst.Students[i]
		ms := &p.Students[i]
		ms.Interest = make([]float64, p.NumKeys)
		for name, w := range st.Interests {
			if k, ok := keys[name]; ok {
				ms.Interest[k] = w
			}
		}
		for _, a := range st.Apart {
			if j, ok := c.studentIdx[a]; ok && j != i {
				ms.Apart = append(ms.Apart, j)
				p.Students[j].Apart = append(p.Students[j].Apart, i)
			}
		}
	}
	for i := range p.Students {
		a := p.Students[i].Apart
		sort.Ints(a)
		out := a[:0]
		for x, v := range a {
			if x == 0 || v != a[x-1] {
				out = append(out, v)
			}
		}
		p.Students[i].Apart = out
	}
	// last_week, grouped per student by slot.
	rows := make([][][]model.LastRow, len(inst.Students))
	for _, lw := range inst.LastWeek {
		i, ok1 := c.studentIdx[lw.Student]
		t, ok2 := c.slotIdx[lw.Slot]
		m, ok3 := modeIndex[lw.Mode]
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		j := -1
		if lw.Teacher != "" {
			j = -2
			if x, ok := c.teacherIdx[lw.Teacher]; ok {
				j = x
			}
		}
		if rows[i] == nil {
			rows[i] = make([][]model.LastRow, T)
		}
		rows[i][t] = append(rows[i][t], model.LastRow{Mode: m, Teacher: j})
	}
	for i, byslot := range rows {
		if byslot == nil {
			continue
		}
		ms := &p.Students[i]
		ms.LastAt = make([]int32, T+1)
		for t := 0; t < T; t++ {
			ms.LastAt[t] = int32(len(ms.Last))
			ms.Last = append(ms.Last, byslot[t]...)
		}
		ms.LastAt[T] = int32(len(ms.Last))
	}
	if err := c.compilePins(); err != nil {
		return nil, err
	}
	p.Finish()
	return c, nil
}

// internKeys makes sure every interest key of the student has an index, so
// that keys naming neither a subject nor a topic are kept harmlessly.
func (c *compiled) internKeys(st *Student, key func(string) int) {
	names := make([]string, 0, len(st.Interests))
	for name := range st.Interests {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, n := range names {
		key(n)
	}
}

// compilePins merges the pins of each student-slot into one conjunction.
func (c *compiled) compilePins() error {
	p := c.p
	at := map[[2]int]int{}
	for x, pn := range c.inst.Pins {
		i, ok1 := c.studentIdx[pn.Student]
		t, ok2 := c.slotIdx[pn.Slot]
		if !ok1 || !ok2 {
			return fmt.Errorf("pins[%d]: unknown student or slot", x)
		}
		k, ok := at[[2]int{i, t}]
		if !ok {
			k = len(p.Pins)
			at[[2]int{i, t}] = k
			p.Pins = append(p.Pins, model.Pin{Student: i, Slot: t, Mode: model.None, Teacher: -1, Room: -1, Skill: -1})
		}
		mp := &p.Pins[k]
		set := func(field string, dst *int, id string, idx map[string]int) error {
			if id == "" {
				return nil
			}
			v, ok := idx[id]
			if !ok {
				return fmt.Errorf("pins[%d].%s: unknown id %q", x, field, id)
			}
			if *dst >= 0 && *dst != v {
				return fmt.Errorf("pins[%d].%s: contradicts another pin of %s in %s", x, field, pn.Student, pn.Slot)
			}
			*dst = v
			return nil
		}
		if pn.Mode != "" {
			m, ok := modeIndex[pn.Mode]
			if !ok {
				return fmt.Errorf("pins[%d].mode: unknown mode %q", x, pn.Mode)
			}
			if mp.Mode != model.None && mp.Mode != m {
				return fmt.Errorf("pins[%d].mode: contradicts another pin of %s in %s", x, pn.Student, pn.Slot)
			}
			mp.Mode = m
		}
		if err := set("teacher", &mp.Teacher, pn.Teacher, c.teacherIdx); err != nil {
			return err
		}
		if err := set("room", &mp.Room, pn.Room, c.roomIdx); err != nil {
			return err
		}
		if err := set("skill", &mp.Skill, pn.Skill, c.skillIdx); err != nil {
			return err
		}
	}
	return nil
}

// decode writes the solution as a §5 schedule, in a deterministic order:
// sessions by slot then teacher id, independent work by slot then room id,
// students by id; unplaced by slot then student id; shortfalls by student id
// then mode. Reasons are filled by explain.
func (c *compiled) decode(sol *model.Solution) *Schedule {
	p, inst := c.p, c.inst
	T := p.T()
	s := &Schedule{Format: ScheduleFormat, School: inst.School.ID, WeekStart: inst.WeekStart,
		Sessions: []Session{}, Independent: []IndependentWork{}, Unplaced: []Unplaced{}, Shortfalls: []Shortfall{}}
	teachers := sortedBy(len(inst.Teachers), func(a int) string { return inst.Teachers[a].ID })
	rooms := sortedBy(len(inst.Rooms), func(a int) string { return inst.Rooms[a].ID })
	students := sortedBy(len(inst.Students), func(a int) string { return inst.Students[a].ID })
	indep := make([][]string, len(inst.Rooms))
	for t := 0; t < T; t++ {
		for _, j := range teachers {
			id := sol.Busy(j, t)
			if id < 0 {
				continue
			}
			ss := &sol.Sessions[id]
			members := make([]string, 0, len(ss.Members))
			for _, i := range ss.Members {
				members = append(members, inst.Students[i].ID)
			}
			sort.Strings(members)
			s.Sessions = append(s.Sessions, Session{Slot: inst.Slots[t].ID, Mode: modeName(ss.Mode),
				Teacher: inst.Teachers[j].ID, Room: inst.Rooms[ss.Room].ID, Skill: inst.Skills[ss.Skill].ID,
				Students: members})
		}
		for r := range indep {
			indep[r] = indep[r][:0]
		}
		for _, i := range students {
			switch sol.Mode(i, t) {
			case model.Indep:
				r := sol.Ref(i, t)
				indep[r] = append(indep[r], inst.Students[i].ID)
			case model.None:
				if p.Students[i].Avail[t] {
					s.Unplaced = append(s.Unplaced, Unplaced{Student: inst.Students[i].ID, Slot: inst.Slots[t].ID,
						Reason: c.unplacedReason(sol, i, t)})
				}
			}
		}
		for _, r := range rooms {
			if len(indep[r]) > 0 {
				s.Independent = append(s.Independent, IndependentWork{Slot: inst.Slots[t].ID,
					Room: inst.Rooms[r].ID, Students: append([]string(nil), indep[r]...)})
			}
		}
	}
	for _, i := range students {
		for m := model.Mode(0); m < model.NModes; m++ {
			if short := p.Students[i].MinMinutes[m] - sol.Minutes(i, m); short > 0 {
				s.Shortfalls = append(s.Shortfalls, Shortfall{Student: inst.Students[i].ID, Mode: modeName(m),
					Minutes: short, Reason: c.shortfallReason(sol, i, m, short)})
			}
		}
	}
	return s
}

func sortedBy(n int, id func(int) string) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	sort.Slice(out, func(a, b int) bool { return id(out[a]) < id(out[b]) })
	return out
}
