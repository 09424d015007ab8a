// Package solver holds weekplan's domain: the instance and schedule formats of
// SPEC §2 and §5, their validation, the checker and scorer of §3–§4, and Solve.
//
// The package is pure: it does no I/O, reads no clock and holds no global state.
// Time limits and cancellation arrive through a context.Context, randomness through
// a seed. The mathematics lives in docs/model.md; comments point to its sections.
package solver

// InstanceFormat and ScheduleFormat are the format tags of SPEC §2 and §5.
const (
	InstanceFormat = "weekplan.instance/v1"
	ScheduleFormat = "weekplan.schedule/v1"
)

// Mode is a modality of a placement.
type Mode string

// The three modalities of SPEC §1.
const (
	SmallGroup  Mode = "small_group"
	Tutoring    Mode = "tutoring"
	Independent Mode = "independent"
)

// AllModes lists every mode in a fixed order, for deterministic iteration.
func AllModes() [3]Mode { return [3]Mode{SmallGroup, Tutoring, Independent} }

// Valid reports whether m is one of the three modes.
func (m Mode) Valid() bool {
	return m == SmallGroup || m == Tutoring || m == Independent
}

// IsSession reports whether m is a teacher-led mode.
func (m Mode) IsSession() bool { return m == SmallGroup || m == Tutoring }

// Instance is one school and one week (SPEC §2). Optional fields that have a
// default other than the zero value are pointers, so that an instance read back
// from the database is exactly the one imported; use the accessor methods (for
// example Room.StationCount) to read them with their defaults applied.
type Instance struct {
	Format    string             `json:"format"`
	School    School             `json:"school"`
	WeekStart string             `json:"week_start"`
	Policy    map[string]float64 `json:"policy,omitempty"`
	Slots     []Slot             `json:"slots"`
	Skills    []Skill            `json:"skills"`
	Rooms     []Room             `json:"rooms"`
	Teachers  []Teacher          `json:"teachers"`
	Students  []Student          `json:"students"`
	LastWeek  []LastWeekEntry    `json:"last_week,omitempty"`
	Pins      []Pin              `json:"pins,omitempty"`
}

// School names the school an instance belongs to.
type School struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

// Slot is one learning block of the week.
type Slot struct {
	ID      string `json:"id"`
	Day     string `json:"day"`
	Start   string `json:"start"`
	Minutes int    `json:"minutes"`
}

// Skill is one competency in a subject's sequence.
type Skill struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Name    string `json:"name,omitempty"`
	Seq     int    `json:"seq"`
}

// Room is a space that hosts sessions and independent work.
type Room struct {
	ID          string   `json:"id"`
	Name        string   `json:"name,omitempty"`
	Capacity    int      `json:"capacity"`
	Stations    *int     `json:"stations,omitempty"`
	Modes       []Mode   `json:"modes"`
	Accessible  bool     `json:"accessible,omitempty"`
	Topic       string   `json:"topic,omitempty"`
	Unavailable []string `json:"unavailable,omitempty"`
}

// StationCount is the number of sessions the room can host per slot (default 1).
func (r *Room) StationCount() int {
	if r.Stations == nil {
		return 1
	}
	return *r.Stations
}

// Allows reports whether the room may be used in mode m.
func (r *Room) Allows(m Mode) bool {
	for _, x := range r.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// Teacher leads sessions on skills of its subjects.
type Teacher struct {
	ID          string   `json:"id"`
	Name        string   `json:"name,omitempty"`
	Subjects    []string `json:"subjects"`
	MaxSessions *int     `json:"max_sessions,omitempty"`
	Unavailable []string `json:"unavailable,omitempty"`
}

// SessionLimit is the teacher's weekly session limit; the default is the number
// of slots of the week.
func (t *Teacher) SessionLimit(slots int) int {
	if t.MaxSessions == nil {
		return slots
	}
	return *t.MaxSessions
}

// Teaches reports whether subject is one of the teacher's subjects.
func (t *Teacher) Teaches(subject string) bool {
	for _, s := range t.Subjects {
		if s == subject {
			return true
		}
	}
	return false
}

// Student is one learner with its progress, interests and accommodations.
type Student struct {
	ID              string             `json:"id"`
	Name            string             `json:"name,omitempty"`
	Grade           int                `json:"grade,omitempty"`
	Priority        *float64           `json:"priority,omitempty"`
	Unavailable     []string           `json:"unavailable,omitempty"`
	NeedsAccessible bool               `json:"needs_accessible,omitempty"`
	MaxGroupSize    *int               `json:"max_group_size,omitempty"`
	MinMinutes      map[Mode]int       `json:"min_minutes,omitempty"`
	Apart           []string           `json:"apart,omitempty"`
	Progress        map[string]float64 `json:"progress,omitempty"`
	Interests       map[string]float64 `json:"interests,omitempty"`
	Goals           []string           `json:"goals,omitempty"`
}

// PriorityWeight is the student's priority (default 1.0).
func (s *Student) PriorityWeight() float64 {
	if s.Priority == nil {
		return 1
	}
	return *s.Priority
}

// LastWeekEntry is one placement of the previous week, used by the continuity
// term of SPEC §4. Teacher is empty when the row names no teacher.
type LastWeekEntry struct {
	Student string `json:"student"`
	Slot    string `json:"slot"`
	Mode    Mode   `json:"mode"`
	Teacher string `json:"teacher,omitempty"`
	Room    string `json:"room,omitempty"`
	Skill   string `json:"skill,omitempty"`
}

// Pin is an administrator's fixed placement. Every field but Student and Slot
// may be empty, and then is free (SPEC §3.1).
type Pin struct {
	Student string `json:"student"`
	Slot    string `json:"slot"`
	Mode    Mode   `json:"mode,omitempty"`
	Teacher string `json:"teacher,omitempty"`
	Room    string `json:"room,omitempty"`
	Skill   string `json:"skill,omitempty"`
}
