package solver

import (
	"fmt"
	"sort"
	"strings"

	"github.com/weekplan/weekplan/solver/model"
)

// unplacedReason names the short resource for an unplaced student-slot.
func (c *compiled) unplacedReason(sol *model.Solution, i, t int) string {
	p, inst := c.p, c.inst
	slot := inst.Slots[t].ID
	acc := p.Students[i].NeedsAccessible
	any := false
	for r := range p.Rooms {
		if !p.IndepRoomOK(i, t, r) {
			continue
		}
		any = true
		if sol.RoomLoad(t, r) < p.Rooms[r].Capacity {
			return fmt.Sprintf("left unplaced by the search although room %s had a free place in slot %s", inst.Rooms[r].ID, slot)
		}
	}
	switch {
	case !any && acc:
		return fmt.Sprintf("no accessible room allows independent work in slot %s", slot)
	case !any:
		return fmt.Sprintf("no room allows independent work in slot %s", slot)
	case acc:
		return fmt.Sprintf("no accessible room with free capacity in slot %s; sessions had no free place either", slot)
	}
	return fmt.Sprintf("every room is at capacity in slot %s; sessions had no free place either", slot)
}

// shortfallReason names the short resource for unmet minimum minutes.
func (c *compiled) shortfallReason(sol *model.Solution, i int, m model.Mode, short int) string {
	p, inst := c.p, c.inst
	st := &p.Students[i]
	req := st.MinMinutes[m]
	name := modeName(m)
	if m == model.Indep {
		return fmt.Sprintf("independent: %d of %d minutes; the student's free slots went to sessions or rooms were full", req-short, req)
	}
	typical := 0
	for _, sl := range p.Slots {
		typical = max(typical, sl.Minutes)
	}
	if typical == 0 {
		return fmt.Sprintf("%s: the week has no slot with minutes, so no placement counts toward the %d required", name, req)
	}
	need := (req + typical - 1) / typical
	got := 0
	for t := range p.Slots {
		if sol.Mode(i, t) == m {
			got++
		}
	}
	subj := map[int]bool{}
	for _, f := range st.Focus {
		subj[p.Skills[f.Skill].Subject] = true
	}
	if len(subj) == 0 {
		return fmt.Sprintf("%s: the student has no focus skill, so no session can take it", name)
	}
	var names []string
	for s := range subj {
		names = append(names, c.subjects[s])
	}
	sort.Strings(names)
	var atLimit, busy, spare []string
	for j := range p.Teachers {
		tc := &p.Teachers[j]
		teaches := false
		for s := range subj {
			teaches = teaches || tc.Subjects[s]
		}
		if !teaches {
			continue
		}
		switch {
		case sol.TeacherSessions(j) >= tc.Limit:
			atLimit = append(atLimit, inst.Teachers[j].ID)
		case c.sharedFreeSlot(sol, i, j):
			spare = append(spare, inst.Teachers[j].ID)
		default:
			busy = append(busy, inst.Teachers[j].ID)
		}
	}
	sort.Strings(atLimit)
	sort.Strings(busy)
	sort.Strings(spare)
	msg := fmt.Sprintf("%s: only %d of %d required blocks (%d minutes short)", name, got, need, short)
	if len(atLimit)+len(busy)+len(spare) == 0 {
		return msg + fmt.Sprintf("; no teacher teaches %s", strings.Join(names, ", "))
	}
	msg += fmt.Sprintf("; teachers of %s", strings.Join(names, ", "))
	var parts []string
	if len(atLimit) > 0 {
		parts = append(parts, fmt.Sprintf("(%s) are at their weekly limit", strings.Join(atLimit, ", ")))
	}
	if len(busy) > 0 {
		what := "busy, unavailable or without a free room station"
		if m == model.Group {
			what += ", or no compatible partner within the level band was free"
		}
		parts = append(parts, fmt.Sprintf("(%s) are %s in the student's free slots", strings.Join(busy, ", "), what))
	}
	if len(spare) > 0 {
		parts = append(parts, fmt.Sprintf("(%s) have a free slot shared with the student, but no room station or level-band partner was free then, or the search found a higher-valued use of the student's slots", strings.Join(spare, ", ")))
	}
	return msg + " " + strings.Join(parts, "; ")
}

// sharedFreeSlot reports whether teacher j is free (available, leading no
// session) in a slot where student i is available and not in a session.
func (c *compiled) sharedFreeSlot(sol *model.Solution, i, j int) bool {
	p := c.p
	for t := range p.Slots {
		if p.Students[i].Avail[t] && !sol.Mode(i, t).IsSession() && p.Teachers[j].Avail[t] && sol.Busy(j, t) < 0 {
			return true
		}
	}
	return false
}
