package solver

import "sort"

// Spot is where one student is in one slot, as Diff compares placements: the
// mode, and for sessions the teacher and skill, and the room. The zero Spot
// (empty Mode) is no placement.
type Spot struct {
	Mode    Mode   `json:"mode,omitempty"`
	Teacher string `json:"teacher,omitempty"`
	Room    string `json:"room,omitempty"`
	Skill   string `json:"skill,omitempty"`
}

// Placed reports whether the spot is a placement.
func (p Spot) Placed() bool { return p.Mode != "" }

// StudentMove is one slot of one student whose placement changed.
type StudentMove struct {
	Slot string `json:"slot"`
	From Spot   `json:"from"`
	To   Spot   `json:"to"`
}

// StudentDiff lists the moves of one student, in slot order.
type StudentDiff struct {
	Student string        `json:"student"`
	Moves   []StudentMove `json:"moves"`
}

// SessionChange kinds.
const (
	SessionAdded   = "added"
	SessionRemoved = "removed"
	SessionChanged = "changed"
)

// SessionSide is one side of a changed session of a teacher.
type SessionSide struct {
	Mode     Mode     `json:"mode"`
	Room     string   `json:"room"`
	Skill    string   `json:"skill"`
	Students []string `json:"students"`
}

// SessionChange is a teacher's session in one slot that was added, removed,
// or changed (mode, room, skill or members). A teacher leads at most one
// session per slot (H2), so (teacher, slot) identifies it. From is nil for an
// added session, To for a removed one. Joined and Left are the members that
// are in To but not From, and in From but not To.
type SessionChange struct {
	Slot   string       `json:"slot"`
	Kind   string       `json:"kind"`
	From   *SessionSide `json:"from,omitempty"`
	To     *SessionSide `json:"to,omitempty"`
	Joined []string     `json:"joined,omitempty"`
	Left   []string     `json:"left,omitempty"`
}

// TeacherDiff lists the session changes of one teacher, in slot order.
type TeacherDiff struct {
	Teacher string          `json:"teacher"`
	Changes []SessionChange `json:"changes"`
}

// DiffCounts summarises a ScheduleDiff.
type DiffCounts struct {
	StudentsChanged int `json:"students_changed"`
	Moves           int `json:"moves"`    // student-slots whose placement changed
	NewlyPlaced     int `json:"placed"`   // moves from no placement to one
	NewlyUnplaced   int `json:"unplaced"` // moves from a placement to none
	TeachersChanged int `json:"teachers_changed"`
	SessionsAdded   int `json:"sessions_added"`
	SessionsRemoved int `json:"sessions_removed"`
	SessionsChanged int `json:"sessions_changed"`
}

// ScheduleDiff is what changed from schedule A to schedule B of one week: per student
// the slots whose placement changed, per teacher the sessions added, removed
// or changed. Students and teachers come in instance order (ids the instance
// does not know after them, sorted), slots in the week's order.
type ScheduleDiff struct {
	Students      []StudentDiff `json:"students"`
	Teachers      []TeacherDiff `json:"teachers"`
	Counts        DiffCounts    `json:"counts"`
	ObjectiveFrom float64       `json:"objective_from"`
	ObjectiveTo   float64       `json:"objective_to"`
}

// Empty reports whether the two schedules place every student and lead every
// session alike.
func (d *ScheduleDiff) Empty() bool { return len(d.Students) == 0 && len(d.Teachers) == 0 }

// Diff compares two schedules of the instance's week. It does not
// check them: a schedule that places a student twice in a slot is read with
// its first placement there. Unplaced and unavailable student-slots both read
// as no placement.
func Diff(inst *Instance, a, b *Schedule) ScheduleDiff {
	ord := newDiffOrder(inst)
	spotsA, spotsB := spotsOf(a), spotsOf(b)
	d := ScheduleDiff{Students: []StudentDiff{}, Teachers: []TeacherDiff{}, ObjectiveFrom: a.Objective, ObjectiveTo: b.Objective}

	students := map[string]bool{}
	for k := range spotsA {
		students[k.student] = true
	}
	for k := range spotsB {
		students[k.student] = true
	}
	slots := map[string]bool{}
	for k := range spotsA {
		slots[k.slot] = true
	}
	for k := range spotsB {
		slots[k.slot] = true
	}
	slotList := ord.sortSlots(keysOf(slots))
	for _, st := range ord.sortStudents(keysOf(students)) {
		var moves []StudentMove
		for _, sl := range slotList {
			k := pinKey{st, sl}
			from, to := spotsA[k], spotsB[k]
			if from == to {
				continue
			}
			moves = append(moves, StudentMove{Slot: sl, From: from, To: to})
			d.Counts.Moves++
			switch {
			case !from.Placed():
				d.Counts.NewlyPlaced++
			case !to.Placed():
				d.Counts.NewlyUnplaced++
			}
		}
		if len(moves) > 0 {
			d.Students = append(d.Students, StudentDiff{Student: st, Moves: moves})
		}
	}
	d.Counts.StudentsChanged = len(d.Students)

	sessA, sessB := sessionsOf(a), sessionsOf(b)
	teachers := map[string]bool{}
	for k := range sessA {
		teachers[k[0]] = true
		slots[k[1]] = true
	}
	for k := range sessB {
		teachers[k[0]] = true
		slots[k[1]] = true
	}
	slotList = ord.sortSlots(keysOf(slots))
	for _, tc := range ord.sortTeachers(keysOf(teachers)) {
		var changes []SessionChange
		for _, sl := range slotList {
			k := [2]string{tc, sl}
			from, to := sessA[k], sessB[k]
			switch {
			case from == nil && to == nil:
				continue
			case from == nil:
				changes = append(changes, SessionChange{Slot: sl, Kind: SessionAdded, To: to, Joined: to.Students})
				d.Counts.SessionsAdded++
			case to == nil:
				changes = append(changes, SessionChange{Slot: sl, Kind: SessionRemoved, From: from, Left: from.Students})
				d.Counts.SessionsRemoved++
			default:
				joined, left := setDifference(to.Students, from.Students), setDifference(from.Students, to.Students)
				if from.Mode == to.Mode && from.Room == to.Room && from.Skill == to.Skill && len(joined) == 0 && len(left) == 0 {
					continue
				}
				changes = append(changes, SessionChange{Slot: sl, Kind: SessionChanged, From: from, To: to, Joined: joined, Left: left})
				d.Counts.SessionsChanged++
			}
		}
		if len(changes) > 0 {
			d.Teachers = append(d.Teachers, TeacherDiff{Teacher: tc, Changes: changes})
		}
	}
	d.Counts.TeachersChanged = len(d.Teachers)
	return d
}

// spotsOf maps every placed student-slot of s to its spot (the first one when
// a student is placed twice in a slot).
func spotsOf(s *Schedule) map[pinKey]Spot {
	out := map[pinKey]Spot{}
	put := func(k pinKey, p Spot) {
		if _, ok := out[k]; !ok {
			out[k] = p
		}
	}
	for _, se := range s.Sessions {
		for _, st := range se.Students {
			put(pinKey{st, se.Slot}, Spot{Mode: se.Mode, Teacher: se.Teacher, Room: se.Room, Skill: se.Skill})
		}
	}
	for _, w := range s.Independent {
		for _, st := range w.Students {
			put(pinKey{st, w.Slot}, Spot{Mode: Independent, Room: w.Room})
		}
	}
	return out
}

// sessionsOf maps (teacher, slot) to the teacher's session there, with its
// members sorted.
func sessionsOf(s *Schedule) map[[2]string]*SessionSide {
	out := map[[2]string]*SessionSide{}
	for _, se := range s.Sessions {
		k := [2]string{se.Teacher, se.Slot}
		if _, ok := out[k]; ok {
			continue
		}
		members := append([]string{}, se.Students...)
		sort.Strings(members)
		out[k] = &SessionSide{Mode: se.Mode, Room: se.Room, Skill: se.Skill, Students: members}
	}
	return out
}

// setDifference returns the elements of a (sorted) that are not in b, or nil.
func setDifference(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// diffOrder orders ids as the instance lists them, unknown ids after, sorted.
type diffOrder struct {
	slot, student, teacher map[string]int
}

func newDiffOrder(inst *Instance) *diffOrder {
	o := &diffOrder{slot: map[string]int{}, student: map[string]int{}, teacher: map[string]int{}}
	if inst == nil {
		return o
	}
	for i, s := range inst.Slots {
		o.slot[s.ID] = i
	}
	for i, s := range inst.Students {
		o.student[s.ID] = i
	}
	for i, t := range inst.Teachers {
		o.teacher[t.ID] = i
	}
	return o
}

func sortByIndex(ids []string, index map[string]int) []string {
	sort.Slice(ids, func(a, b int) bool {
		ia, okA := index[ids[a]]
		ib, okB := index[ids[b]]
		switch {
		case okA && okB:
			return ia < ib
		case okA != okB:
			return okA
		}
		return ids[a] < ids[b]
	})
	return ids
}

func (o *diffOrder) sortSlots(ids []string) []string    { return sortByIndex(ids, o.slot) }
func (o *diffOrder) sortStudents(ids []string) []string { return sortByIndex(ids, o.student) }
func (o *diffOrder) sortTeachers(ids []string) []string { return sortByIndex(ids, o.teacher) }
