// Package model is the compiled, index-based form of a weekplan instance
// (docs/model.md §1) and the incremental solution state the search engines
// work on. It imports nothing of package solver, so that the algorithm
// packages (heuristic, bound) can depend on it without an import cycle.
//
// Every entity is an index: slots 0..T-1, skills, rooms, teachers, students,
// interest keys (a subject and a room topic of the same name share one key,
// SPEC §3.1). Per-slot facts are dense slices indexed by slot.
package model

import "math"

// Mode is a modality of a placement. Its values index per-mode arrays.
type Mode int8

// The three modes, and None for "no placement".
const (
	Group  Mode = 0
	Tutor  Mode = 1
	Indep  Mode = 2
	None   Mode = -1
	NModes      = 3
)

// Bit is the mode's bit in a Room's Modes mask.
func (m Mode) Bit() uint8 { return 1 << uint(m) }

// IsSession reports whether m is a teacher-led mode.
func (m Mode) IsSession() bool { return m == Group || m == Tutor }

// Params are the policy values of SPEC §4.
type Params struct {
	MasteryThreshold float64
	LevelBand        float64
	GroupMin         int
	GroupMax         int
	TutoringMax      int
	WGroup           float64
	WTutor           float64
	WIndep           float64
	WInterest        float64
	WStable          float64
	WContact         float64
	ContactTarget    int
	PUnplaced        float64
	PIEPMinute       float64
}

// BandTol is the tolerance of the level-band comparison (SPEC §3.1).
const BandTol = 1e-9

// Slot is one learning block.
type Slot struct{ Minutes int }

// Skill is one competency; Key is the interest key of its subject.
type Skill struct {
	Subject int
	Key     int
}

// Room is a space. Modes is a bitmask of Mode.Bit; Key is the interest key of
// its topic, or -1.
type Room struct {
	Capacity   int
	Stations   int
	Modes      uint8
	Accessible bool
	Key        int
	Avail      []bool
}

// Allows reports whether the room may be used in mode m.
func (r *Room) Allows(m Mode) bool { return r.Modes&m.Bit() != 0 }

// Teacher leads sessions on skills of its subjects.
type Teacher struct {
	Subjects []bool // by subject index
	Limit    int
	Avail    []bool
}

// Focus is one focus skill of a student with its need and mastery.
type Focus struct {
	Skill   int
	Need    float64
	Mastery float64
}

// Student is one learner.
type Student struct {
	Priority        float64
	Avail           []bool
	NeedsAccessible bool
	MaxGroup        int // max_group_size; math.MaxInt32 when none
	MinMinutes      [NModes]int
	Apart           []int // sorted
	Focus           []Focus
	Interest        []float64 // by interest key
	// Last holds the last_week rows grouped by slot: the rows of slot t are
	// Last[LastAt[t]:LastAt[t+1]]. Both are nil when the student has none.
	Last   []LastRow
	LastAt []int32
}

// LastRow is one last_week row: its mode and teacher (-1 when the row names
// none; -2 when it names a teacher unknown to the instance).
type LastRow struct {
	Mode    Mode
	Teacher int
}

// FocusOn returns the student's focus entry for skill k, or nil.
func (s *Student) FocusOn(k int) *Focus {
	for i := range s.Focus {
		if s.Focus[i].Skill == k {
			return &s.Focus[i]
		}
	}
	return nil
}

// IsApart reports whether j is on i's apart list (the list is symmetrised by
// the compiler).
func (s *Student) IsApart(j int) bool {
	for _, a := range s.Apart {
		if a == j {
			return true
		}
	}
	return false
}

// Pin is the conjunction of every pin of one student-slot; -1 / None fields
// are free (SPEC §3.1).
type Pin struct {
	Student, Slot int
	Mode          Mode
	Teacher       int
	Room          int
	Skill         int
}

// Problem is a compiled instance.
type Problem struct {
	P           Params
	Slots       []Slot
	Skills      []Skill
	NumSubjects int
	NumKeys     int
	Rooms       []Room
	Teachers    []Teacher
	Students    []Student
	Pins        []Pin
	// PinAt maps student*T+slot to an index into Pins, or -1.
	PinAt []int32
	// lastModes[i*T+t] has bit m.Bit() set when a last_week row of student i
	// in slot t has mode m (a quick reject for Stable).
	lastModes []uint8
	// BySkill lists, per skill, the students having it as a focus skill,
	// sorted by mastery then index.
	BySkill [][]int
}

// T is the number of slots.
func (p *Problem) T() int { return len(p.Slots) }

// Pin returns the pin of student i in slot t, or nil.
func (p *Problem) Pin(i, t int) *Pin {
	k := p.PinAt[i*len(p.Slots)+t]
	if k < 0 {
		return nil
	}
	return &p.Pins[k]
}

// Finish computes the derived tables (PinAt, BySkill). The compiler calls it
// once after filling the problem.
func (p *Problem) Finish() {
	T := len(p.Slots)
	p.PinAt = make([]int32, len(p.Students)*T)
	for i := range p.PinAt {
		p.PinAt[i] = -1
	}
	for k, pn := range p.Pins {
		p.PinAt[pn.Student*T+pn.Slot] = int32(k)
	}
	p.lastModes = make([]uint8, len(p.Students)*T)
	for i := range p.Students {
		st := &p.Students[i]
		if st.LastAt == nil {
			continue
		}
		for t := 0; t < T; t++ {
			for _, r := range st.Last[st.LastAt[t]:st.LastAt[t+1]] {
				p.lastModes[i*T+t] |= r.Mode.Bit()
			}
		}
	}
	p.BySkill = make([][]int, len(p.Skills))
	for i := range p.Students {
		for _, f := range p.Students[i].Focus {
			p.BySkill[f.Skill] = append(p.BySkill[f.Skill], i)
		}
	}
	for k, list := range p.BySkill {
		sortByMastery(p, k, list)
	}
}

func sortByMastery(p *Problem, k int, list []int) {
	// insertion sort is fine for the sizes at hand? use a simple merge via sort.Slice
	m := func(i int) float64 { return p.Students[i].FocusOn(k).Mastery }
	sortInts(list, func(a, b int) bool {
		ma, mb := m(a), m(b)
		if ma != mb {
			return ma < mb
		}
		return a < b
	})
}

// MaxGroupNone is the MaxGroup of a student with no max_group_size.
const MaxGroupNone = math.MaxInt32

// Contact is the contact term of a student with n sessions (SPEC §4).
func (p *Problem) Contact(i, n int) float64 {
	if n > p.P.ContactTarget {
		n = p.P.ContactTarget
	}
	if n < 0 {
		n = 0
	}
	return p.P.WContact * p.Students[i].Priority * float64(n)
}

// IEPPenalty is the (negative) IEP term of student i whose placed minutes per
// mode are min.
func (p *Problem) IEPPenalty(i int, min *[NModes]int) float64 {
	s := &p.Students[i]
	short := 0
	for m := 0; m < NModes; m++ {
		if d := s.MinMinutes[m] - min[m]; d > 0 {
			short += d
		}
	}
	return -p.P.PIEPMinute * float64(short)
}

// Stable reports whether a placement of i in slot t in mode m with teacher j
// (-1 for independent work) matches last week (SPEC §4 continuity).
func (p *Problem) Stable(i, t int, m Mode, j int) bool {
	if p.lastModes[i*len(p.Slots)+t]&m.Bit() == 0 {
		return false
	}
	s := &p.Students[i]
	for _, r := range s.Last[s.LastAt[t]:s.LastAt[t+1]] {
		if r.Mode == m && (m == Indep || r.Teacher == -1 || r.Teacher == j) {
			return true
		}
	}
	return false
}

// SessionValue is the per-placement value of i in a session of mode m on
// skill k led by teacher j in slot t, continuity included.
func (p *Problem) SessionValue(i, t int, m Mode, j, k int) float64 {
	s := &p.Students[i]
	f := s.FocusOn(k)
	need := 0.0
	if f != nil {
		need = f.Need
	}
	w := p.P.WGroup
	if m == Tutor {
		w = p.P.WTutor
	}
	v := w*need*s.Priority + p.P.WInterest*s.Interest[p.Skills[k].Key]
	if p.Stable(i, t, m, j) {
		v += p.P.WStable
	}
	return v
}

// IndepValue is the per-placement value of i working independently in room r
// in slot t, continuity included.
func (p *Problem) IndepValue(i, t, r int) float64 {
	return p.indepValue(i, r, p.Stable(i, t, Indep, -1))
}

// IndepValues sets out[x] to IndepValue(i, t, rooms[x]) for every x.
func (p *Problem) IndepValues(i, t int, rooms []int, out []float64) {
	stable := p.Stable(i, t, Indep, -1)
	for x, r := range rooms {
		out[x] = p.indepValue(i, r, stable)
	}
}

// indepValue is IndepValue with the continuity of (i, t) given.
func (p *Problem) indepValue(i, r int, stable bool) float64 {
	v := p.P.WIndep
	if key := p.Rooms[r].Key; key >= 0 {
		v += p.P.WInterest * p.Students[i].Interest[key]
	}
	if stable {
		v += p.P.WStable
	}
	return v
}

// IndepRoomOK reports whether i may work independently in room r in slot t,
// capacity aside.
func (p *Problem) IndepRoomOK(i, t, r int) bool {
	rm := &p.Rooms[r]
	return rm.Allows(Indep) && rm.Avail[t] && rm.Capacity > 0 &&
		(!p.Students[i].NeedsAccessible || rm.Accessible)
}

// InBand reports whether two masteries are within the level band.
func (p *Problem) InBand(a, b float64) bool {
	return math.Abs(a-b) <= p.P.LevelBand+BandTol
}
