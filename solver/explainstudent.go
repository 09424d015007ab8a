package solver

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// StudentExplanation tells one student's week block by block: where the
// student is and why — the focus skill a session serves, the group's level
// band, the pins, unavailability, continuity with last week — and the
// student's IEP minutes ledger. It carries no other student's data: of a
// group it gives only the size and the band (lowest and highest mastery on
// the session's skill), never the members.
type StudentExplanation struct {
	Student         string             `json:"student"`
	Grade           int                `json:"grade,omitempty"`
	Priority        float64            `json:"priority"`
	NeedsAccessible bool               `json:"needs_accessible,omitempty"`
	MaxGroupSize    *int               `json:"max_group_size,omitempty"`
	KeptApartFrom   int                `json:"kept_apart_from"` // how many students, never who
	Focus           []FocusSkillInfo   `json:"focus"`
	Blocks          []BlockExplanation `json:"blocks"`
	Minutes         []MinutesLedger    `json:"minutes"`
	Sessions        int                `json:"sessions"` // teacher-led sessions in the week
	ContactTarget   int                `json:"contact_target"`
}

// FocusSkillInfo is one focus skill of the student (SPEC §1) and why it is one.
type FocusSkillInfo struct {
	Skill   string  `json:"skill"`
	Subject string  `json:"subject"`
	Name    string  `json:"name,omitempty"`
	Mastery float64 `json:"mastery"`
	Goal    bool    `json:"goal,omitempty"`
	Why     string  `json:"why"`
}

// Block statuses.
const (
	BlockPlaced      = "placed"
	BlockUnplaced    = "unplaced"
	BlockUnavailable = "unavailable"
)

// GroupBand describes a session without naming its members.
type GroupBand struct {
	Size      int     `json:"size"`
	Min       float64 `json:"min_mastery"`
	Max       float64 `json:"max_mastery"`
	LevelBand float64 `json:"level_band"` // the policy's allowed spread (small groups)
}

// BlockExplanation is one slot of the student's week.
type BlockExplanation struct {
	Slot      string `json:"slot"`
	Day       string `json:"day"`
	Start     string `json:"start"`
	Minutes   int    `json:"minutes"`
	Status    string `json:"status"`
	Placement Spot   `json:"placement"`
	// Skill is the session's skill, with the student's own mastery on it.
	Skill   *FocusSkillInfo `json:"skill,omitempty"`
	Group   *GroupBand      `json:"group,omitempty"`
	Topic   string          `json:"topic,omitempty"` // the room's topic, independent work
	Pins    []Pin           `json:"pins,omitempty"`  // the student's pins in this slot
	PinsMet bool            `json:"pins_met"`        // every pin holds (true when there is none)
	Last    *LastWeekEntry  `json:"last_week,omitempty"`
	Stable  bool            `json:"continuity"`       // the §4 continuity term is earned
	Reason  string          `json:"reason,omitempty"` // why unplaced, as the schedule states it
	Why     []string        `json:"why"`              // the explanation in plain language
}

// MinutesLedger is the student's minimum minutes in one mode: required,
// scheduled and the shortfall with the schedule's stated reason.
type MinutesLedger struct {
	Mode      Mode   `json:"mode"`
	Required  int    `json:"required"`
	Scheduled int    `json:"scheduled"`
	Shortfall int    `json:"shortfall"`
	Reason    string `json:"reason,omitempty"`
}

// ExplainStudent explains the student's week in schedule s of the instance.
// It reads the schedule as written (it does not check it); an unknown student
// is an error.
func ExplainStudent(inst *Instance, s *Schedule, studentID string) (*StudentExplanation, error) {
	var st *Student
	for i := range inst.Students {
		if inst.Students[i].ID == studentID {
			st = &inst.Students[i]
		}
	}
	if st == nil {
		return nil, fmt.Errorf("no student %q in school %q week %s", studentID, inst.School.ID, inst.WeekStart)
	}
	par := inst.Params()
	skills := map[string]*Skill{}
	for i := range inst.Skills {
		skills[inst.Skills[i].ID] = &inst.Skills[i]
	}
	rooms := map[string]*Room{}
	for i := range inst.Rooms {
		rooms[inst.Rooms[i].ID] = &inst.Rooms[i]
	}
	// Other students are read for one thing only: the band of a group.
	others := map[string]*Student{}
	for i := range inst.Students {
		others[inst.Students[i].ID] = &inst.Students[i]
	}
	masteryOf := func(id, skill string) float64 {
		if o := others[id]; o != nil {
			return o.Progress[skill]
		}
		return 0
	}

	e := &StudentExplanation{
		Student: st.ID, Grade: st.Grade, Priority: st.PriorityWeight(), NeedsAccessible: st.NeedsAccessible,
		MaxGroupSize: st.MaxGroupSize, KeptApartFrom: keptApartCount(inst, st), ContactTarget: par.ContactTarget,
		Focus: []FocusSkillInfo{}, Blocks: []BlockExplanation{}, Minutes: []MinutesLedger{},
	}
	focus := map[string]FocusSkillInfo{}
	goals := map[string]bool{}
	for _, g := range st.Goals {
		goals[g] = true
	}
	for _, id := range inst.FocusSkills(st) {
		sk := skills[id]
		if sk == nil {
			continue
		}
		f := FocusSkillInfo{Skill: id, Subject: sk.Subject, Name: sk.Name, Mastery: st.Progress[id], Goal: goals[id]}
		switch {
		case st.Progress[id] < par.MasteryThreshold && isNextSkill(inst, st, sk, par.MasteryThreshold):
			f.Why = fmt.Sprintf("the next %s skill not yet mastered (mastery %.2f, mastered at %.2f)", sk.Subject, f.Mastery, par.MasteryThreshold)
			if f.Goal {
				f.Why += ", and a goal"
			}
		default:
			f.Why = "a goal set for the student"
		}
		focus[id] = f
		e.Focus = append(e.Focus, f)
	}

	// Where the student is in each slot, with the session index if any.
	type where struct {
		spot    Spot
		session int
	}
	placed := map[string]where{}
	for i, se := range s.Sessions {
		for _, id := range se.Students {
			if id == st.ID {
				if _, dup := placed[se.Slot]; !dup {
					placed[se.Slot] = where{Spot{Mode: se.Mode, Teacher: se.Teacher, Room: se.Room, Skill: se.Skill}, i}
				}
			}
		}
	}
	for _, w := range s.Independent {
		for _, id := range w.Students {
			if id == st.ID {
				if _, dup := placed[w.Slot]; !dup {
					placed[w.Slot] = where{Spot{Mode: Independent, Room: w.Room}, -1}
				}
			}
		}
	}
	unplacedReason := map[string]string{}
	for _, u := range s.Unplaced {
		if u.Student == st.ID {
			unplacedReason[u.Slot] = u.Reason
		}
	}
	unavailable := map[string]bool{}
	for _, sl := range st.Unavailable {
		unavailable[sl] = true
	}
	lastWeek := map[string][]LastWeekEntry{}
	for _, lw := range inst.LastWeek {
		if lw.Student == st.ID {
			lastWeek[lw.Slot] = append(lastWeek[lw.Slot], lw)
		}
	}
	pins := map[string][]Pin{}
	for _, p := range inst.Pins {
		if p.Student == st.ID {
			pins[p.Slot] = append(pins[p.Slot], p)
		}
	}

	scheduled := map[Mode]int{}
	for _, sl := range inst.Slots {
		b := BlockExplanation{Slot: sl.ID, Day: sl.Day, Start: sl.Start, Minutes: sl.Minutes, Pins: pins[sl.ID], PinsMet: true}
		w, ok := placed[sl.ID]
		switch {
		case ok:
			b.Status = BlockPlaced
			b.Placement = w.spot
			scheduled[w.spot.Mode] += sl.Minutes
		case unavailable[sl.ID]:
			b.Status = BlockUnavailable
		default:
			b.Status = BlockUnplaced
			b.Reason = unplacedReason[sl.ID]
		}
		if unavailable[sl.ID] {
			b.Why = append(b.Why, "the student is marked unavailable in this block")
		}
		switch {
		case b.Status == BlockPlaced && w.spot.Mode.IsSession():
			e.Sessions++
			se := s.Sessions[w.session]
			sk := skills[se.Skill]
			info := FocusSkillInfo{Skill: se.Skill, Mastery: st.Progress[se.Skill]}
			if sk != nil {
				info.Subject, info.Name = sk.Subject, sk.Name
			}
			if f, ok := focus[se.Skill]; ok {
				info.Goal, info.Why = f.Goal, f.Why
			} else {
				info.Why = "not one of the student's focus skills (the schedule breaks H5 here)"
			}
			b.Skill = &info
			band := &GroupBand{Size: len(se.Students), Min: math.Inf(1), Max: math.Inf(-1)}
			for _, id := range se.Students {
				m := masteryOf(id, se.Skill)
				band.Min, band.Max = math.Min(band.Min, m), math.Max(band.Max, m)
			}
			if w.spot.Mode == SmallGroup {
				band.LevelBand = par.LevelBand
			}
			b.Group = band
			verb := "tutored one-on-one"
			if band.Size > 1 {
				verb = fmt.Sprintf("tutored with %d students in all", band.Size)
			}
			if w.spot.Mode == SmallGroup {
				verb = fmt.Sprintf("in a small group of %d", band.Size)
			}
			b.Why = append(b.Why, fmt.Sprintf("%s by %s in room %s on %s%s: %s",
				verb, se.Teacher, se.Room, se.Skill, skillName(sk), info.Why))
			if w.spot.Mode == SmallGroup {
				b.Why = append(b.Why, fmt.Sprintf("group level on %s: masteries %.2f–%.2f (spread %.2f, allowed %.2f); the student's own mastery %.2f",
					se.Skill, band.Min, band.Max, band.Max-band.Min, par.LevelBand, info.Mastery))
			}
			if req := st.MinMinutes[w.spot.Mode]; req > 0 {
				b.Why = append(b.Why, fmt.Sprintf("counts %d minutes toward the %d %s minutes the student's plan requires", sl.Minutes, req, w.spot.Mode))
			}
		case b.Status == BlockPlaced:
			r := rooms[w.spot.Room]
			line := fmt.Sprintf("independent work in room %s", w.spot.Room)
			if r != nil && r.Topic != "" {
				b.Topic = r.Topic
				line += fmt.Sprintf(" (topic %s, the student's interest %.2f)", r.Topic, st.Interests[r.Topic])
			}
			b.Why = append(b.Why, line)
			if req := st.MinMinutes[Independent]; req > 0 {
				b.Why = append(b.Why, fmt.Sprintf("counts %d minutes toward the %d independent minutes the student's plan requires", sl.Minutes, req))
			}
		case b.Status == BlockUnplaced:
			reason := b.Reason
			if reason == "" {
				reason = "no reason stated in the schedule"
			}
			b.Why = append(b.Why, "no placement: "+reason)
		}
		if st.NeedsAccessible && b.Status == BlockPlaced {
			b.Why = append(b.Why, fmt.Sprintf("needs an accessible room: room %s is%s accessible", w.spot.Room, map[bool]string{true: "", false: " not"}[rooms[w.spot.Room] != nil && rooms[w.spot.Room].Accessible]))
		}
		for _, p := range b.Pins {
			met := pinMet(p, b.Status == BlockPlaced, w.spot)
			b.PinsMet = b.PinsMet && met
			state := "honoured"
			if !met {
				state = "NOT honoured"
			}
			b.Why = append(b.Why, fmt.Sprintf("pinned by an administrator (%s): %s", pinText(p), state))
		}
		if lws := lastWeek[sl.ID]; len(lws) > 0 {
			lw := lws[0]
			b.Last = &lw
			for _, l := range lws {
				if b.Status == BlockPlaced && l.Mode == w.spot.Mode && (w.spot.Mode == Independent || l.Teacher == "" || l.Teacher == w.spot.Teacher) {
					b.Stable = true
					b.Last = &l
				}
			}
			if b.Stable {
				b.Why = append(b.Why, fmt.Sprintf("continuity: same as last week (%s)", lastWeekText(*b.Last)))
			} else {
				b.Why = append(b.Why, fmt.Sprintf("last week: %s; this week differs", lastWeekText(lw)))
			}
		}
		e.Blocks = append(e.Blocks, b)
	}

	reasons := map[Mode]string{}
	for _, f := range s.Shortfalls {
		if f.Student == st.ID {
			reasons[f.Mode] = f.Reason
		}
	}
	for _, m := range AllModes() {
		req := st.MinMinutes[m]
		if req == 0 && scheduled[m] == 0 {
			continue
		}
		l := MinutesLedger{Mode: m, Required: req, Scheduled: scheduled[m], Shortfall: max(0, req-scheduled[m])}
		if l.Shortfall > 0 {
			l.Reason = reasons[m]
		}
		e.Minutes = append(e.Minutes, l)
	}
	return e, nil
}

// isNextSkill reports whether sk is the lowest-seq unmastered skill of its
// subject for the student (SPEC §1), the student having progress in it.
func isNextSkill(inst *Instance, st *Student, sk *Skill, threshold float64) bool {
	var cands []*Skill
	has := false
	for i := range inst.Skills {
		k := &inst.Skills[i]
		if k.Subject != sk.Subject {
			continue
		}
		if _, ok := st.Progress[k.ID]; ok {
			has = true
		}
		if st.Progress[k.ID] < threshold {
			cands = append(cands, k)
		}
	}
	if !has || len(cands) == 0 {
		return false
	}
	sort.Slice(cands, func(a, b int) bool {
		if cands[a].Seq != cands[b].Seq {
			return cands[a].Seq < cands[b].Seq
		}
		return cands[a].ID < cands[b].ID
	})
	return cands[0].ID == sk.ID
}

// keptApartCount is the number of students the student is kept apart from,
// listed on either side.
func keptApartCount(inst *Instance, st *Student) int {
	n := map[string]bool{}
	for _, id := range st.Apart {
		n[id] = true
	}
	for i := range inst.Students {
		o := &inst.Students[i]
		if o.ID != st.ID && contains(o.Apart, st.ID) {
			n[o.ID] = true
		}
	}
	return len(n)
}

func skillName(sk *Skill) string {
	if sk == nil || sk.Name == "" {
		return ""
	}
	return " (" + sk.Name + ")"
}

// pinMet reports whether the placement honours the pin (SPEC §3.1).
func pinMet(p Pin, placed bool, at Spot) bool {
	if !placed {
		return false
	}
	return (p.Mode == "" || p.Mode == at.Mode) && (p.Teacher == "" || p.Teacher == at.Teacher) &&
		(p.Room == "" || p.Room == at.Room) && (p.Skill == "" || p.Skill == at.Skill)
}

// pinText shows the fields a pin gives: "mode tutoring, teacher t-lee".
func pinText(p Pin) string {
	var parts []string
	if p.Mode != "" {
		parts = append(parts, "mode "+string(p.Mode))
	}
	if p.Teacher != "" {
		parts = append(parts, "teacher "+p.Teacher)
	}
	if p.Room != "" {
		parts = append(parts, "room "+p.Room)
	}
	if p.Skill != "" {
		parts = append(parts, "skill "+p.Skill)
	}
	if len(parts) == 0 {
		return "placed, anywhere"
	}
	return strings.Join(parts, ", ")
}

func lastWeekText(l LastWeekEntry) string {
	s := string(l.Mode)
	if l.Teacher != "" {
		s += " with " + l.Teacher
	}
	return s
}
