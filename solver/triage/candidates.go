package triage

import (
	"sort"

	"github.com/weekplan/weekplan/solver"
)

// index is the instance read for candidate generation: records by id, each
// student's available slots and focus subjects, each teacher's and room's
// unavailable slots.
type index struct {
	inst       *solver.Instance
	slot       map[string]int
	teacher    map[string]int
	room       map[string]int
	student    map[string]int
	subjects   []map[string]bool // student → subjects of its focus skills
	available  [][]bool          // student × slot
	teacherOff [][]bool          // teacher × slot
	roomOff    [][]bool          // room × slot
}

func newIndex(inst *solver.Instance) *index {
	ix := &index{inst: inst, slot: map[string]int{}, teacher: map[string]int{}, room: map[string]int{}, student: map[string]int{}}
	for t, sl := range inst.Slots {
		ix.slot[sl.ID] = t
	}
	off := func(list []string) []bool {
		v := make([]bool, len(inst.Slots))
		for _, id := range list {
			if t, ok := ix.slot[id]; ok {
				v[t] = true
			}
		}
		return v
	}
	for j := range inst.Teachers {
		ix.teacher[inst.Teachers[j].ID] = j
		ix.teacherOff = append(ix.teacherOff, off(inst.Teachers[j].Unavailable))
	}
	for r := range inst.Rooms {
		ix.room[inst.Rooms[r].ID] = r
		ix.roomOff = append(ix.roomOff, off(inst.Rooms[r].Unavailable))
	}
	subjectOf := map[string]string{}
	for _, sk := range inst.Skills {
		subjectOf[sk.ID] = sk.Subject
	}
	focus := inst.FocusSkillsByStudent()
	for i := range inst.Students {
		st := &inst.Students[i]
		ix.student[st.ID] = i
		avail := off(st.Unavailable)
		for t := range avail {
			avail[t] = !avail[t]
		}
		ix.available = append(ix.available, avail)
		subj := map[string]bool{}
		for _, k := range focus[st.ID] {
			subj[subjectOf[k]] = true
		}
		ix.subjects = append(ix.subjects, subj)
	}
	return ix
}

// shortKey is one student's requirement in one mode.
type shortKey struct {
	student int
	mode    solver.Mode
}

// shortfalls reads a schedule's stated shortfalls by student index and mode,
// skipping students the instance does not know (the input may have been
// imported again since the schedule was computed).
func (ix *index) shortfalls(s *solver.Schedule) map[shortKey]int {
	out := map[shortKey]int{}
	for _, f := range s.Shortfalls {
		if i, ok := ix.student[f.Student]; ok && f.Minutes > 0 {
			out[shortKey{i, f.Mode}] += f.Minutes
		}
	}
	return out
}

// usage is how a schedule uses the teachers and rooms.
type usage struct {
	teacherSessions []int
	roomSessions    map[[2]int]int // (room, slot) → sessions
	roomStudents    map[[2]int]int // (room, slot) → students of every mode
}

func (ix *index) usage(s *solver.Schedule) usage {
	u := usage{teacherSessions: make([]int, len(ix.inst.Teachers)), roomSessions: map[[2]int]int{}, roomStudents: map[[2]int]int{}}
	for _, se := range s.Sessions {
		if j, ok := ix.teacher[se.Teacher]; ok {
			u.teacherSessions[j]++
		}
		r, okr := ix.room[se.Room]
		t, oks := ix.slot[se.Slot]
		if okr && oks {
			u.roomSessions[[2]int{r, t}]++
			u.roomStudents[[2]int{r, t}] += len(se.Students)
		}
	}
	for _, iw := range s.Independent {
		r, okr := ix.room[iw.Room]
		t, oks := ix.slot[iw.Slot]
		if okr && oks {
			u.roomStudents[[2]int{r, t}] += len(iw.Students)
		}
	}
	return u
}

// candidate is a change with its cheap estimate of the minutes it recovers.
type candidate struct {
	change   Change
	estimate int
}

// candidates lists the single changes aimed at the resources short for the
// students in shorts, as solver's shortfall reasons name them (docs/model.md
// §6): a teacher of one of the student's focus subjects at its weekly limit
// with an available slot to spare (max_sessions + 1) or unavailable in a slot the student is available in
// (made available there); a room that allows the mode (and is accessible if
// the student needs it) unavailable in such a slot (freed there), with every
// station taken in such a slot (one more station, session modes) or full in
// such a slot (one more place). A resource counts as short if it is short in
// any of the schedules in uses. The estimate of a change is the sum, over the
// short (student, mode) pairs it could serve, of the shortfall, capped at the
// slot's minutes for a change in one slot. The result is sorted best estimate
// first, then by a stable key.
func (ix *index) candidates(shorts map[shortKey]int, uses []usage) []candidate {
	inst := ix.inst
	est := map[Change]int{}
	// served records that the change can serve pair k, counting each pair
	// once per change.
	served := map[Change]map[shortKey]bool{}
	add := func(c Change, k shortKey, minutes int) {
		if served[c] == nil {
			served[c] = map[shortKey]bool{}
		}
		if served[c][k] {
			return
		}
		served[c][k] = true
		est[c] += minutes
	}
	// atLimit counts the schedules in which teacher j has reached its limit.
	atLimit := func(j int) int {
		limit := inst.Teachers[j].SessionLimit(len(inst.Slots))
		n := 0
		for _, u := range uses {
			if u.teacherSessions[j] >= limit {
				n++
			}
		}
		return n
	}
	roomTaken := func(r, t int, m solver.Mode) (stations, capacity bool) {
		room := &inst.Rooms[r]
		for _, u := range uses {
			key := [2]int{r, t}
			stations = stations || m.IsSession() && u.roomSessions[key] >= room.StationCount()
			capacity = capacity || u.roomStudents[key] >= room.Capacity
		}
		return stations, capacity
	}
	for k, short := range shorts {
		st := &inst.Students[k.student]
		avail := ix.available[k.student]
		if k.mode.IsSession() {
			for j := range inst.Teachers {
				tc := &inst.Teachers[j]
				teaches := false
				for s := range ix.subjects[k.student] {
					teaches = teaches || tc.Teaches(s)
				}
				if !teaches {
					continue
				}
				limit := tc.SessionLimit(len(inst.Slots))
				full := atLimit(j)
				// One more session is of use only if the teacher has an
				// available slot to lead it in.
				if full > 0 && limit < ix.teacherSlots(j) {
					add(Change{Kind: TeacherMaxSessions, Teacher: tc.ID, From: limit, To: limit + 1}, k, short)
				}
				if full == len(uses) {
					continue // a free slot alone cannot help a teacher at its limit
				}
				for t := range inst.Slots {
					if avail[t] && ix.teacherOff[j][t] && inst.Slots[t].Minutes > 0 {
						add(Change{Kind: TeacherAvailable, Teacher: tc.ID, Slot: inst.Slots[t].ID}, k, min(short, inst.Slots[t].Minutes))
					}
				}
			}
		}
		for r := range inst.Rooms {
			room := &inst.Rooms[r]
			if !room.Allows(k.mode) || st.NeedsAccessible && !room.Accessible {
				continue
			}
			for t := range inst.Slots {
				if !avail[t] || inst.Slots[t].Minutes == 0 {
					continue
				}
				if ix.roomOff[r][t] {
					if room.Capacity > 0 && (!k.mode.IsSession() || room.StationCount() > 0) {
						add(Change{Kind: RoomAvailable, Room: room.ID, Slot: inst.Slots[t].ID}, k, min(short, inst.Slots[t].Minutes))
					}
					continue
				}
				stations, capacity := roomTaken(r, t, k.mode)
				if stations {
					add(Change{Kind: RoomStations, Room: room.ID, From: room.StationCount(), To: room.StationCount() + 1}, k, short)
				}
				if capacity && (!k.mode.IsSession() || room.StationCount() > 0) {
					add(Change{Kind: RoomCapacity, Room: room.ID, From: room.Capacity, To: room.Capacity + 1}, k, short)
				}
			}
		}
	}
	out := make([]candidate, 0, len(est))
	for c, e := range est {
		out = append(out, candidate{change: c, estimate: e})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].estimate != out[b].estimate {
			return out[a].estimate > out[b].estimate
		}
		return ix.less(out[a].change, out[b].change)
	})
	return out
}

// teacherSlots is the number of slots teacher j is available in.
func (ix *index) teacherSlots(j int) int {
	n := 0
	for _, off := range ix.teacherOff[j] {
		if !off {
			n++
		}
	}
	return n
}

// less is the stable order of changes: by kind, teacher, room, then slot in
// the week's order.
func (ix *index) less(a, b Change) bool {
	if a.Kind.rank() != b.Kind.rank() {
		return a.Kind.rank() < b.Kind.rank()
	}
	if a.Teacher != b.Teacher {
		return a.Teacher < b.Teacher
	}
	if a.Room != b.Room {
		return a.Room < b.Room
	}
	return ix.slot[a.Slot] < ix.slot[b.Slot]
}
