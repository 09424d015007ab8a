package model

// Placement is one student-slot's placement in index form, as churn compares
// placements (docs/model.md §7.1): the mode, the room, and for a session its
// teacher and skill. Mode None is no placement. Fields that do not apply are
// -1; UnknownID marks an id the problem does not know (a removed room,
// teacher or skill), which no placement of the problem can equal.
type Placement struct {
	Mode    Mode
	Teacher int32
	Room    int32
	Skill   int32
}

// UnknownID is the index of an id a reference names but the problem does
// not know.
const UnknownID = -2

// NoPlacement is the Placement of an unplaced student-slot.
var NoPlacement = Placement{Mode: None, Teacher: -1, Room: -1, Skill: -1}

// Reference is the schedule a stable re-solve stays close to (the version
// being adjusted), in index form: per student-slot its placement, whether the
// schedule listed it as unplaced, and per student and mode the minutes it
// listed as short. Students and slots the schedule names but the problem does
// not know are left out.
type Reference struct {
	// At is the placement of student i in slot t at i*T+t.
	At []Placement
	// Unplaced[i*T+t] is true when the schedule listed (i, t) as unplaced.
	Unplaced []bool
	// Short[i*NModes+m] is the shortfall the schedule listed for student i
	// in mode m, in minutes.
	Short []int
}

// NewReference returns the empty reference of p: nobody placed, nothing
// listed.
func NewReference(p *Problem) *Reference {
	n := len(p.Students) * len(p.Slots)
	r := &Reference{At: make([]Placement, n), Unplaced: make([]bool, n), Short: make([]int, len(p.Students)*NModes)}
	for k := range r.At {
		r.At[k] = NoPlacement
	}
	return r
}

// placement returns, in index form, the placement (m, ref) of slot t: ref is
// the room (Indep) or the session id (Group, Tutor).
func (s *Solution) placement(m Mode, ref int) Placement {
	switch {
	case m == Indep:
		return Placement{Mode: Indep, Teacher: -1, Room: int32(ref), Skill: -1}
	case m.IsSession():
		ss := &s.Sessions[ref]
		return Placement{Mode: m, Teacher: int32(ss.Teacher), Room: int32(ss.Room), Skill: int32(ss.Skill)}
	}
	return NoPlacement
}

// Placement returns the current placement of student i in slot t.
func (s *Solution) Placement(i, t int) Placement {
	k := i*s.T + t
	return s.placement(s.mode[k], int(s.ref[k]))
}

// SetReference makes ref the reference the solution's churn is counted
// against and counts it (O(students × slots)); nil removes it. Every Move
// then keeps the count in O(1), and Rollback restores it, as it replays
// moves.
func (s *Solution) SetReference(ref *Reference) {
	s.refer, s.churn = ref, 0
	if ref == nil {
		return
	}
	for k := range s.mode {
		if s.placement(s.mode[k], int(s.ref[k])) != ref.At[k] {
			s.churn++
		}
	}
}

// Reference returns the solution's reference, or nil.
func (s *Solution) Reference() *Reference { return s.refer }

// Churn is the number of student-slots whose placement differs from the
// reference's (docs/model.md §7.1); 0 without a reference.
func (s *Solution) Churn() int { return s.churn }

// Matches reports whether student i's placement in slot t is its reference
// placement (always true without a reference).
func (s *Solution) Matches(i, t int) bool {
	if s.refer == nil {
		return true
	}
	k := i*s.T + t
	return s.placement(s.mode[k], int(s.ref[k])) == s.refer.At[k]
}

// ChurnDelta is the change of Churn if student i moved to (m, ref) in slot t.
func (s *Solution) ChurnDelta(i, t int, m Mode, ref int) int {
	k := i*s.T + t
	return s.churnDelta(k, s.mode[k], int(s.ref[k]), m, ref)
}

// churnDelta is the change of churn when student-slot k moves from (old,
// oldRef) to (m, ref).
func (s *Solution) churnDelta(k int, old Mode, oldRef int, m Mode, ref int) int {
	if s.refer == nil {
		return 0
	}
	want := s.refer.At[k]
	d := 0
	if s.placement(old, oldRef) != want {
		d--
	}
	if s.placement(m, ref) != want {
		d++
	}
	return d
}
