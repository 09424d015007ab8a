package solver

import "sort"

// FocusSkills returns the ids of the student's focus skills (SPEC §1, §3.1),
// sorted: for every subject in which the student has at least one progress row,
// the lowest-seq skill of that subject (ties broken by skill id) whose mastery is
// strictly below the threshold; plus every goal, mastered or not. A skill with no
// progress row has mastery 0.
func (inst *Instance) FocusSkills(st *Student) []string {
	threshold := inst.Params().MasteryThreshold
	subjects := map[string]bool{}
	for k := range st.Progress {
		for i := range inst.Skills {
			if inst.Skills[i].ID == k {
				subjects[inst.Skills[i].Subject] = true
			}
		}
	}
	bySubject := inst.skillsBySubject()
	focus := map[string]bool{}
	for subj := range subjects {
		for _, sk := range bySubject[subj] {
			if st.Progress[sk.ID] < threshold {
				focus[sk.ID] = true
				break
			}
		}
	}
	for _, g := range st.Goals {
		focus[g] = true
	}
	out := make([]string, 0, len(focus))
	for k := range focus {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// skillsBySubject groups the skills by subject, each group in sequence order
// (seq, then id).
func (inst *Instance) skillsBySubject() map[string][]*Skill {
	by := map[string][]*Skill{}
	for i := range inst.Skills {
		sk := &inst.Skills[i]
		by[sk.Subject] = append(by[sk.Subject], sk)
	}
	for _, list := range by {
		sort.Slice(list, func(a, b int) bool {
			if list[a].Seq != list[b].Seq {
				return list[a].Seq < list[b].Seq
			}
			return list[a].ID < list[b].ID
		})
	}
	return by
}

// Need is 1 − mastery of the student on the skill (SPEC §1).
func Need(st *Student, skill string) float64 { return 1 - st.Progress[skill] }
