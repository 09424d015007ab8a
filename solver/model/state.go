package model

import (
	"fmt"
	"math"
)

// Session is a teacher-led meeting in the solution state.
type Session struct {
	Teacher, Slot, Room, Skill int
	Mode                       Mode
	Members                    []int
	Alive                      bool
}

type journalEntry struct {
	kind int8 // 0 move, 1 open, 2 close, 3 teacher (i: the old one)
	i, t int
	mode Mode
	ref  int32
	sid  int
	sess Session
}

// Solution is a schedule under construction with its objective maintained
// incrementally: every change goes through Move, Open or Close, each O(1)
// apart from the membership list of the session touched (docs/model.md §3).
//
// Sessions may be transiently infeasible (too small) during a compound move;
// Verify reports any broken constraint.
type Solution struct {
	P *Problem
	T int

	mode     []Mode    // student*T+slot
	ref      []int32   // room (Indep) or session id (Group, Tutor)
	val      []float64 // per-placement value, including −p_unplaced
	Sessions []Session
	free     []int
	roomLoad []int32 // slot*R+room: students
	roomSess []int32 // slot*R+room: sessions
	busy     []int32 // teacher*T+slot: session id or -1
	teach    []int   // sessions per teacher
	n        []int   // sessions per student
	minutes  []int   // student*NModes+mode
	obj      float64

	// refer and churn: the reference of a stable re-solve and the number of
	// student-slots placed otherwise (reference.go); refer is nil without.
	refer *Reference
	churn int

	journaling bool
	journal    []journalEntry
}

// NewSolution returns the empty solution: nobody placed, no sessions.
func NewSolution(p *Problem) *Solution {
	T, S, R := len(p.Slots), len(p.Students), len(p.Rooms)
	s := &Solution{
		P: p, T: T,
		mode:     make([]Mode, S*T),
		ref:      make([]int32, S*T),
		val:      make([]float64, S*T),
		roomLoad: make([]int32, T*R),
		roomSess: make([]int32, T*R),
		busy:     make([]int32, len(p.Teachers)*T),
		teach:    make([]int, len(p.Teachers)),
		n:        make([]int, S),
		minutes:  make([]int, S*NModes),
	}
	for k := range s.busy {
		s.busy[k] = -1
	}
	var zero [NModes]int
	for i := range p.Students {
		for t := 0; t < T; t++ {
			s.mode[i*T+t] = None
			s.ref[i*T+t] = -1
			if p.Students[i].Avail[t] {
				s.val[i*T+t] = -p.P.PUnplaced
				s.obj -= p.P.PUnplaced
			}
		}
		s.obj += p.IEPPenalty(i, &zero)
	}
	return s
}

// Objective is the §4 value of the current state.
func (s *Solution) Objective() float64 { return s.obj }

// Mode and Ref return the placement of student i in slot t: the mode and the
// room (Indep) or session id (Group, Tutor); None and -1 when unplaced.
func (s *Solution) Mode(i, t int) Mode { return s.mode[i*s.T+t] }

// Ref returns the room or session of i's placement in slot t.
func (s *Solution) Ref(i, t int) int { return int(s.ref[i*s.T+t]) }

// PlacementValue returns the cached per-placement value of i in slot t.
func (s *Solution) PlacementValue(i, t int) float64 { return s.val[i*s.T+t] }

// Sessions of student i (both modes) and its minutes in mode m.
func (s *Solution) Contacts(i int) int { return s.n[i] }

// Minutes returns the minutes of student i placed in mode m.
func (s *Solution) Minutes(i int, m Mode) int { return s.minutes[i*NModes+int(m)] }

// TeacherSessions is the number of sessions teacher j leads.
func (s *Solution) TeacherSessions(j int) int { return s.teach[j] }

// Busy returns the session teacher j leads in slot t, or -1.
func (s *Solution) Busy(j, t int) int { return int(s.busy[j*s.T+t]) }

// RoomLoad is the number of students in room r in slot t.
func (s *Solution) RoomLoad(t, r int) int { return int(s.roomLoad[t*len(s.P.Rooms)+r]) }

// RoomSessions is the number of sessions in room r in slot t.
func (s *Solution) RoomSessions(t, r int) int { return int(s.roomSess[t*len(s.P.Rooms)+r]) }

// value is the per-placement value of i in slot t for a placement (m, ref).
func (s *Solution) value(i, t int, m Mode, ref int) float64 {
	p := s.P
	switch m {
	case None:
		if p.Students[i].Avail[t] {
			return -p.P.PUnplaced
		}
		return 0
	case Indep:
		return p.IndepValue(i, t, ref)
	default:
		ss := &s.Sessions[ref]
		return p.SessionValue(i, t, m, ss.Teacher, ss.Skill)
	}
}

// CrossDelta is the change of i's contact and IEP terms when one slot of
// `minutes` minutes moves from mode a to mode b.
func (s *Solution) CrossDelta(i int, a, b Mode, minutes int) float64 {
	return s.crossDelta(i, a, b, minutes)
}

// crossDelta is the change of i's contact and IEP terms when one slot of
// `minutes` minutes moves from mode a to mode b.
func (s *Solution) crossDelta(i int, a, b Mode, minutes int) float64 {
	if a == b {
		return 0
	}
	p := s.P
	d := 0.0
	n := s.n[i]
	n2 := n
	if a.IsSession() {
		n2--
	}
	if b.IsSession() {
		n2++
	}
	if n2 != n {
		d += p.Contact(i, n2) - p.Contact(i, n)
	}
	st := &p.Students[i]
	base := i * NModes
	if a != None && st.MinMinutes[a] > 0 {
		m := s.minutes[base+int(a)]
		d += p.P.PIEPMinute * float64(sat(m-minutes, st.MinMinutes[a])-sat(m, st.MinMinutes[a]))
	}
	if b != None && st.MinMinutes[b] > 0 {
		m := s.minutes[base+int(b)]
		d += p.P.PIEPMinute * float64(sat(m+minutes, st.MinMinutes[b])-sat(m, st.MinMinutes[b]))
	}
	return d
}

// sat is the met part of a requirement: min(m, req).
func sat(m, req int) int {
	if m < req {
		return m
	}
	return req
}

// DeltaMove is the objective change of moving student i in slot t to the
// placement (m, ref); it does not check feasibility.
func (s *Solution) DeltaMove(i, t int, m Mode, ref int) float64 {
	k := i*s.T + t
	old := s.mode[k]
	return s.value(i, t, m, ref) - s.val[k] + s.crossDelta(i, old, m, s.P.Slots[t].Minutes)
}

// Move places student i in slot t at (m, ref) and returns the objective
// change. It does not check feasibility; see CanJoin and CanIndep.
func (s *Solution) Move(i, t int, m Mode, ref int) float64 {
	k := i*s.T + t
	old, oldRef := s.mode[k], int(s.ref[k])
	if old == m && oldRef == ref {
		return 0
	}
	if s.journaling {
		s.journal = append(s.journal, journalEntry{kind: 0, i: i, t: t, mode: old, ref: int32(oldRef)})
	}
	R := len(s.P.Rooms)
	minutes := s.P.Slots[t].Minutes
	nv := s.value(i, t, m, ref)
	d := nv - s.val[k] + s.crossDelta(i, old, m, minutes)
	// leave
	switch {
	case old == Indep:
		s.roomLoad[t*R+oldRef]--
	case old.IsSession():
		ss := &s.Sessions[oldRef]
		s.roomLoad[t*R+ss.Room]--
		for x, v := range ss.Members {
			if v == i {
				ss.Members = append(ss.Members[:x], ss.Members[x+1:]...)
				break
			}
		}
		s.n[i]--
	}
	if old != None {
		s.minutes[i*NModes+int(old)] -= minutes
	}
	// join
	switch {
	case m == Indep:
		s.roomLoad[t*R+ref]++
	case m.IsSession():
		ss := &s.Sessions[ref]
		s.roomLoad[t*R+ss.Room]++
		ss.Members = append(ss.Members, i)
		s.n[i]++
	}
	if m != None {
		s.minutes[i*NModes+int(m)] += minutes
	}
	if s.refer != nil {
		s.churn += s.churnDelta(k, old, oldRef, m, ref)
	}
	s.mode[k], s.ref[k], s.val[k] = m, int32(ref), nv
	s.obj += d
	return d
}

// Open creates an empty session and returns its id.
func (s *Solution) Open(j, t int, m Mode, room, skill int) int {
	var id int
	if n := len(s.free); n > 0 {
		id = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		id = len(s.Sessions)
		s.Sessions = append(s.Sessions, Session{})
	}
	s.Sessions[id] = Session{Teacher: j, Slot: t, Room: room, Skill: skill, Mode: m, Alive: true,
		Members: s.Sessions[id].Members[:0]}
	s.busy[j*s.T+t] = int32(id)
	s.teach[j]++
	s.roomSess[t*len(s.P.Rooms)+room]++
	if s.journaling {
		s.journal = append(s.journal, journalEntry{kind: 1, sid: id})
	}
	return id
}

// Close removes an empty session.
func (s *Solution) Close(id int) {
	ss := &s.Sessions[id]
	if len(ss.Members) != 0 {
		panic(fmt.Sprintf("model: closing session %d with %d members", id, len(ss.Members)))
	}
	if s.journaling {
		s.journal = append(s.journal, journalEntry{kind: 2, sid: id, sess: Session{
			Teacher: ss.Teacher, Slot: ss.Slot, Room: ss.Room, Skill: ss.Skill, Mode: ss.Mode}})
	}
	ss.Alive = false
	s.busy[ss.Teacher*s.T+ss.Slot] = -1
	s.teach[ss.Teacher]--
	s.roomSess[ss.Slot*len(s.P.Rooms)+ss.Room]--
	s.free = append(s.free, id)
}

// reopen restores a closed session under its old id (undo of Close).
func (s *Solution) reopen(id int, e Session) {
	for x, v := range s.free {
		if v == id {
			s.free = append(s.free[:x], s.free[x+1:]...)
			break
		}
	}
	e.Alive = true
	e.Members = s.Sessions[id].Members[:0]
	s.Sessions[id] = e
	s.busy[e.Teacher*s.T+e.Slot] = int32(id)
	s.teach[e.Teacher]++
	s.roomSess[e.Slot*len(s.P.Rooms)+e.Room]++
}

// SetTeacher hands session id to teacher j, who must be free in its slot
// or be taking it from a session that is itself changing teacher (the
// teachers of one slot permuted one SetTeacher at a time). Members keep
// their places; only their continuity with the teacher changes. It returns
// the objective change. It does not check feasibility.
func (s *Solution) SetTeacher(id, j int) float64 {
	ss := &s.Sessions[id]
	old := ss.Teacher
	if old == j {
		return 0
	}
	if s.journaling {
		s.journal = append(s.journal, journalEntry{kind: 3, sid: id, i: old})
	}
	t := ss.Slot
	if s.refer != nil {
		for _, i := range ss.Members {
			if s.Matches(i, t) {
				s.churn++
			}
		}
	}
	if s.busy[old*s.T+t] == int32(id) {
		s.busy[old*s.T+t] = -1
	}
	s.busy[j*s.T+t] = int32(id)
	s.teach[old]--
	s.teach[j]++
	ss.Teacher = j
	d := 0.0
	for _, i := range ss.Members {
		k := i*s.T + t
		nv := s.P.SessionValue(i, t, ss.Mode, j, ss.Skill)
		d += nv - s.val[k]
		s.val[k] = nv
		if s.refer != nil && s.Matches(i, t) {
			s.churn--
		}
	}
	s.obj += d
	return d
}

// Begin starts recording changes so that Rollback can undo them.
func (s *Solution) Begin() { s.journaling = true; s.journal = s.journal[:0] }

// Commit keeps the changes since Begin.
func (s *Solution) Commit() { s.journaling = false; s.journal = s.journal[:0] }

// Rollback undoes every change since Begin.
func (s *Solution) Rollback() {
	s.journaling = false
	for x := len(s.journal) - 1; x >= 0; x-- {
		e := s.journal[x]
		switch e.kind {
		case 0:
			s.Move(e.i, e.t, e.mode, int(e.ref))
		case 1:
			s.Close(e.sid)
		case 2:
			s.reopen(e.sid, e.sess)
		case 3:
			s.SetTeacher(e.sid, e.i)
		}
	}
	s.journal = s.journal[:0]
}

// PinAllows reports whether a placement of i in slot t (mode m, teacher j,
// room r, skill k; -1 where not applicable) honours i's pin there (H8).
func (s *Solution) PinAllows(i, t int, m Mode, j, r, k int) bool {
	pn := s.P.Pin(i, t)
	if pn == nil {
		return true
	}
	if m == None {
		return false
	}
	if pn.Mode != None && pn.Mode != m {
		return false
	}
	if pn.Teacher >= 0 && pn.Teacher != j {
		return false
	}
	if pn.Room >= 0 && pn.Room != r {
		return false
	}
	if pn.Skill >= 0 && pn.Skill != k {
		return false
	}
	return true
}

// CanIndep reports whether i may move to independent work in room r in slot
// t: the room allows it, has a free place, and the pin agrees.
func (s *Solution) CanIndep(i, t, r int) bool {
	p := s.P
	if !p.IndepRoomOK(i, t, r) || !p.Students[i].Avail[t] {
		return false
	}
	cur := s.mode[i*s.T+t]
	load := s.RoomLoad(t, r)
	if !(cur == Indep && s.Ref(i, t) == r) && load >= p.Rooms[r].Capacity {
		return false
	}
	return s.PinAllows(i, t, Indep, -1, r, -1)
}

// CanJoin reports whether i may join session sid (from wherever it is in that
// slot): focus skill, level band, size limits, apart, room capacity and
// accessibility, and the pin. Leaving the current placement is not checked.
func (s *Solution) CanJoin(i, sid int) bool {
	p := s.P
	ss := &s.Sessions[sid]
	st := &p.Students[i]
	t := ss.Slot
	if !st.Avail[t] || (s.mode[i*s.T+t].IsSession() && s.Ref(i, t) == sid) {
		return false
	}
	f := st.FocusOn(ss.Skill)
	if f == nil {
		return false
	}
	room := &p.Rooms[ss.Room]
	if st.NeedsAccessible && !room.Accessible {
		return false
	}
	load := s.RoomLoad(t, ss.Room)
	if !(s.mode[i*s.T+t] == Indep && s.Ref(i, t) == ss.Room) && load >= room.Capacity {
		return false
	}
	size := len(ss.Members) + 1
	if ss.Mode == Tutor {
		if size > p.P.TutoringMax {
			return false
		}
	} else {
		if size > p.P.GroupMax || size > st.MaxGroup {
			return false
		}
	}
	for _, o := range ss.Members {
		os := &p.Students[o]
		if st.IsApart(o) {
			return false
		}
		if ss.Mode == Group {
			if size > os.MaxGroup || !p.InBand(f.Mastery, os.FocusOn(ss.Skill).Mastery) {
				return false
			}
		}
	}
	return s.PinAllows(i, t, ss.Mode, ss.Teacher, ss.Room, ss.Skill)
}

// MinSize is the smallest legal size of a session of mode m.
func (p *Problem) MinSize(m Mode) int {
	if m == Group {
		return p.P.GroupMin
	}
	return 1
}

// Evaluate recomputes the objective from scratch (for verification).
func (s *Solution) Evaluate() float64 {
	p := s.P
	total := 0.0
	for i := range p.Students {
		var mins [NModes]int
		n := 0
		for t := 0; t < s.T; t++ {
			m := s.mode[i*s.T+t]
			total += s.value(i, t, m, s.Ref(i, t))
			if m != None {
				mins[m] += p.Slots[t].Minutes
			}
			if m.IsSession() {
				n++
			}
		}
		total += p.Contact(i, n) + p.IEPPenalty(i, &mins)
	}
	return total
}

// Verify checks every hard constraint and the cached objective; it returns
// nil when the state is a valid schedule. It is the engine's own check; the
// independent oracle is solver.Check.
func (s *Solution) Verify() error {
	p := s.P
	R := len(p.Rooms)
	load := make([]int, s.T*R)
	sess := make([]int, s.T*R)
	teach := make([]int, len(p.Teachers))
	for i := range p.Students {
		for t := 0; t < s.T; t++ {
			m := s.mode[i*s.T+t]
			if m == None {
				if pn := p.Pin(i, t); pn != nil {
					return fmt.Errorf("student %d slot %d: pinned but unplaced", i, t)
				}
				continue
			}
			if !p.Students[i].Avail[t] {
				return fmt.Errorf("student %d placed in unavailable slot %d", i, t)
			}
			if m == Indep {
				r := s.Ref(i, t)
				if !p.IndepRoomOK(i, t, r) {
					return fmt.Errorf("student %d slot %d: room %d not usable for independent work", i, t, r)
				}
				if !s.PinAllows(i, t, Indep, -1, r, -1) {
					return fmt.Errorf("student %d slot %d: pin broken", i, t)
				}
				load[t*R+r]++
				continue
			}
			ss := &s.Sessions[s.Ref(i, t)]
			if !ss.Alive || ss.Slot != t || ss.Mode != m {
				return fmt.Errorf("student %d slot %d: dangling session", i, t)
			}
			found := false
			for _, v := range ss.Members {
				found = found || v == i
			}
			if !found {
				return fmt.Errorf("student %d slot %d: not in member list", i, t)
			}
		}
	}
	for id := range s.Sessions {
		ss := &s.Sessions[id]
		if !ss.Alive {
			continue
		}
		t := ss.Slot
		tc := &p.Teachers[ss.Teacher]
		if !tc.Avail[t] || !tc.Subjects[p.Skills[ss.Skill].Subject] {
			return fmt.Errorf("session %d: teacher %d cannot lead it", id, ss.Teacher)
		}
		if s.Busy(ss.Teacher, t) != id {
			return fmt.Errorf("session %d: teacher busy table", id)
		}
		teach[ss.Teacher]++
		rm := &p.Rooms[ss.Room]
		if !rm.Allows(ss.Mode) || !rm.Avail[t] {
			return fmt.Errorf("session %d: room %d", id, ss.Room)
		}
		sess[t*R+ss.Room]++
		n := len(ss.Members)
		if n < p.MinSize(ss.Mode) || (ss.Mode == Tutor && n > p.P.TutoringMax) || (ss.Mode == Group && n > p.P.GroupMax) {
			return fmt.Errorf("session %d: size %d", id, n)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, i := range ss.Members {
			st := &p.Students[i]
			f := st.FocusOn(ss.Skill)
			if f == nil {
				return fmt.Errorf("session %d: student %d lacks focus", id, i)
			}
			if ss.Mode == Group && n > st.MaxGroup {
				return fmt.Errorf("session %d: max group size of %d", id, i)
			}
			if st.NeedsAccessible && !rm.Accessible {
				return fmt.Errorf("session %d: accessibility of %d", id, i)
			}
			for _, o := range ss.Members {
				if st.IsApart(o) {
					return fmt.Errorf("session %d: apart %d %d", id, i, o)
				}
			}
			if !s.PinAllows(i, t, ss.Mode, ss.Teacher, ss.Room, ss.Skill) {
				return fmt.Errorf("session %d: pin of %d", id, i)
			}
			if s.Mode(i, t) != ss.Mode || s.Ref(i, t) != id {
				return fmt.Errorf("session %d: member %d placement", id, i)
			}
			lo, hi = math.Min(lo, f.Mastery), math.Max(hi, f.Mastery)
			load[t*R+ss.Room]++
		}
		if ss.Mode == Group && hi-lo > p.P.LevelBand+BandTol {
			return fmt.Errorf("session %d: band", id)
		}
	}
	for k := range load {
		t, r := k/R, k%R
		if load[k] > p.Rooms[r].Capacity || int(s.roomLoad[k]) != load[k] {
			return fmt.Errorf("room %d slot %d: load %d (cached %d) capacity %d", r, t, load[k], s.roomLoad[k], p.Rooms[r].Capacity)
		}
		if sess[k] > p.Rooms[r].Stations || int(s.roomSess[k]) != sess[k] {
			return fmt.Errorf("room %d slot %d: %d sessions, %d stations", r, t, sess[k], p.Rooms[r].Stations)
		}
	}
	for j := range teach {
		if teach[j] > p.Teachers[j].Limit || teach[j] != s.teach[j] {
			return fmt.Errorf("teacher %d: %d sessions, limit %d", j, teach[j], p.Teachers[j].Limit)
		}
	}
	if e := s.Evaluate(); math.Abs(e-s.obj) > 1e-6*math.Max(1, math.Abs(e)) {
		return fmt.Errorf("objective drift: cached %v, evaluated %v", s.obj, e)
	}
	return nil
}

// Clone returns a deep copy (journal excluded).
func (s *Solution) Clone() *Solution {
	c := *s
	c.mode = append([]Mode(nil), s.mode...)
	c.ref = append([]int32(nil), s.ref...)
	c.val = append([]float64(nil), s.val...)
	c.Sessions = make([]Session, len(s.Sessions))
	for k, ss := range s.Sessions {
		ss.Members = append([]int(nil), ss.Members...)
		c.Sessions[k] = ss
	}
	c.free = append([]int(nil), s.free...)
	c.roomLoad = append([]int32(nil), s.roomLoad...)
	c.roomSess = append([]int32(nil), s.roomSess...)
	c.busy = append([]int32(nil), s.busy...)
	c.teach = append([]int(nil), s.teach...)
	c.n = append([]int(nil), s.n...)
	c.minutes = append([]int(nil), s.minutes...)
	c.journaling, c.journal = false, nil
	return &c
}

// CopyFrom makes s an exact copy of o, a solution of the same problem,
// reusing s's buffers; s's journal is dropped.
func (s *Solution) CopyFrom(o *Solution) {
	s.mode = append(s.mode[:0], o.mode...)
	s.ref = append(s.ref[:0], o.ref...)
	s.val = append(s.val[:0], o.val...)
	for len(s.Sessions) < len(o.Sessions) {
		s.Sessions = append(s.Sessions, Session{})
	}
	s.Sessions = s.Sessions[:len(o.Sessions)]
	for k := range o.Sessions {
		members := append(s.Sessions[k].Members[:0], o.Sessions[k].Members...)
		s.Sessions[k] = o.Sessions[k]
		s.Sessions[k].Members = members
	}
	s.free = append(s.free[:0], o.free...)
	s.roomLoad = append(s.roomLoad[:0], o.roomLoad...)
	s.roomSess = append(s.roomSess[:0], o.roomSess...)
	s.busy = append(s.busy[:0], o.busy...)
	s.teach = append(s.teach[:0], o.teach...)
	s.n = append(s.n[:0], o.n...)
	s.minutes = append(s.minutes[:0], o.minutes...)
	s.obj = o.obj
	s.refer, s.churn = o.refer, o.churn
	s.journaling, s.journal = false, s.journal[:0]
}
