package solver

import (
	"context"
	"errors"
	"fmt"

	"github.com/weekplan/weekplan/solver/heuristic"
	"github.com/weekplan/weekplan/solver/model"
)

// ErrInvalidPrevious marks an Options.Previous that cannot be the current
// version of the instance's week: it belongs to another school or week.
var ErrInvalidPrevious = errors.New("invalid previous schedule")

// Churn is the number of student-slots of the instance whose placement
// differs between schedules a and b (docs/model.md §7.1): the mode, the room,
// and for a session the teacher and skill, as Diff compares spots. A
// student-slot placed in one and not in the other counts; students and slots
// the instance does not have do not. It does not check the schedules: a
// student placed twice in a slot is read with its first placement there.
func Churn(inst *Instance, a, b *Schedule) int {
	spotsA, spotsB := spotsOf(a), spotsOf(b)
	n := 0
	for _, st := range inst.Students {
		for _, sl := range inst.Slots {
			k := pinKey{st.ID, sl.ID}
			if spotsA[k] != spotsB[k] {
				n++
			}
		}
	}
	return n
}

// reference translates prev, the schedule a stable re-solve stays close to,
// into the index form of the compiled instance (model.Reference). Ids the
// instance does not know are tolerated: a student or slot it does not have is
// left out, a teacher, room or skill becomes model.UnknownID (the placement
// cannot be kept and counts as changed), and so does an unknown mode. As in
// Diff, a student-slot placed twice is read with its first placement.
func (c *compiled) reference(prev *Schedule) (*model.Reference, error) {
	inst := c.inst
	if prev.School != "" && prev.School != inst.School.ID || prev.WeekStart != "" && prev.WeekStart != inst.WeekStart {
		return nil, fmt.Errorf("%w: it is the schedule of school %q week %s, not of school %q week %s",
			ErrInvalidPrevious, prev.School, prev.WeekStart, inst.School.ID, inst.WeekStart)
	}
	p := c.p
	T := p.T()
	ref := model.NewReference(p)
	at := func(student, slot string) int {
		i, ok1 := c.studentIdx[student]
		t, ok2 := c.slotIdx[slot]
		if !ok1 || !ok2 {
			return -1
		}
		return i*T + t
	}
	id := func(idx map[string]int, s string) int32 {
		if x, ok := idx[s]; ok {
			return int32(x)
		}
		return model.UnknownID
	}
	put := func(k int, pl model.Placement) {
		if k >= 0 && ref.At[k].Mode == model.None {
			ref.At[k] = pl
		}
	}
	unknown := model.Placement{Mode: model.Indep, Teacher: -1, Room: model.UnknownID, Skill: -1}
	for _, se := range prev.Sessions {
		pl := unknown
		if m, ok := modeIndex[se.Mode]; ok && m.IsSession() {
			pl = model.Placement{Mode: m, Teacher: id(c.teacherIdx, se.Teacher), Room: id(c.roomIdx, se.Room), Skill: id(c.skillIdx, se.Skill)}
		}
		for _, st := range se.Students {
			put(at(st, se.Slot), pl)
		}
	}
	for _, w := range prev.Independent {
		pl := model.Placement{Mode: model.Indep, Teacher: -1, Room: id(c.roomIdx, w.Room), Skill: -1}
		for _, st := range w.Students {
			put(at(st, w.Slot), pl)
		}
	}
	for _, u := range prev.Unplaced {
		if k := at(u.Student, u.Slot); k >= 0 {
			ref.Unplaced[k] = true
		}
	}
	for _, f := range prev.Shortfalls {
		i, ok1 := c.studentIdx[f.Student]
		m, ok2 := modeIndex[f.Mode]
		if ok1 && ok2 && f.Minutes > 0 {
			ref.Short[i*model.NModes+int(m)] += f.Minutes
		}
	}
	return ref, nil
}

// constructionObjective is the objective of the greedy construction of p,
// and whether it leaves IEP minutes unmet (which decides the bound's starts),
// or fallback's if it fails. A stable solve gives it to the bound as the
// incumbent, as a fresh solve does, so that the bound depends only on the
// instance and the effort, not on the previous version: an unchanged week
// solved again against its own version is that version, bound included, and
// a stable and a fresh version of one week report the same bound.
func constructionObjective(ctx context.Context, p *model.Problem, fallback *model.Solution) (float64, bool) {
	sol, _, err := heuristic.Construct(ctx, p)
	if err != nil {
		sol = fallback
	}
	return sol.Objective(), shortMinutes(sol)
}
