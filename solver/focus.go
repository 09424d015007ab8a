package solver

import "sort"

// FocusSkills returns the ids of the student's focus skills (SPEC §1, §3.1),
// sorted: for every subject in which the student has at least one progress row,
// the lowest-seq skill of that subject (ties broken by skill id) whose mastery is
// strictly below the threshold; plus every goal, mastered or not. A skill with no
// progress row has mastery 0.
func (inst *Instance) FocusSkills(st *Student) []string {
	return newSkillIndex(inst).focus(st, inst.Params().MasteryThreshold)
}

// FocusSkillsByStudent returns FocusSkills for every student, keyed by id.
func (inst *Instance) FocusSkillsByStudent() map[string][]string {
	idx := newSkillIndex(inst)
	threshold := inst.Params().MasteryThreshold
	out := make(map[string][]string, len(inst.Students))
	for i := range inst.Students {
		out[inst.Students[i].ID] = idx.focus(&inst.Students[i], threshold)
	}
	return out
}

// skillIndex groups the skills by subject, each group in sequence order.
type skillIndex struct {
	subjectOf map[string]string
	sequence  map[string][]string // subject → skill ids by (seq, id)
}

func newSkillIndex(inst *Instance) *skillIndex {
	idx := &skillIndex{subjectOf: map[string]string{}, sequence: map[string][]string{}}
	sorted := make([]*Skill, len(inst.Skills))
	for i := range inst.Skills {
		sorted[i] = &inst.Skills[i]
	}
	sort.Slice(sorted, func(a, b int) bool {
		if sorted[a].Seq != sorted[b].Seq {
			return sorted[a].Seq < sorted[b].Seq
		}
		return sorted[a].ID < sorted[b].ID
	})
	for _, sk := range sorted {
		idx.subjectOf[sk.ID] = sk.Subject
		idx.sequence[sk.Subject] = append(idx.sequence[sk.Subject], sk.ID)
	}
	return idx
}

func (idx *skillIndex) focus(st *Student, threshold float64) []string {
	focus := map[string]bool{}
	subjects := map[string]bool{}
	for k := range st.Progress {
		if subj, ok := idx.subjectOf[k]; ok {
			subjects[subj] = true
		}
	}
	for subj := range subjects {
		for _, id := range idx.sequence[subj] {
			if st.Progress[id] < threshold {
				focus[id] = true
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

// Need is 1 − mastery of the student on the skill (SPEC §1).
func Need(st *Student, skill string) float64 { return 1 - st.Progress[skill] }
