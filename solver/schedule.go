package solver

// Schedule is one week's schedule of one school (SPEC §5).
type Schedule struct {
	Format      string            `json:"format"`
	School      string            `json:"school"`
	WeekStart   string            `json:"week_start"`
	Sessions    []Session         `json:"sessions"`
	Independent []IndependentWork `json:"independent"`
	Unplaced    []Unplaced        `json:"unplaced"`
	Shortfalls  []Shortfall       `json:"shortfalls"`
	Objective   float64           `json:"objective"`
	// Bound is a proven upper bound on the instance's best objective; nil when
	// no bound is proven (SPEC §5: an unproven bound is never written).
	Bound *float64 `json:"bound,omitempty"`
}

// Session is a teacher-led meeting in one slot and room on one skill.
type Session struct {
	Slot     string   `json:"slot"`
	Mode     Mode     `json:"mode"`
	Teacher  string   `json:"teacher"`
	Room     string   `json:"room"`
	Skill    string   `json:"skill"`
	Students []string `json:"students"`
}

// IndependentWork places students to work independently in a room in a slot.
type IndependentWork struct {
	Slot     string   `json:"slot"`
	Room     string   `json:"room"`
	Students []string `json:"students"`
}

// Unplaced is an available student-slot with no placement, with the reason.
type Unplaced struct {
	Student string `json:"student"`
	Slot    string `json:"slot"`
	Reason  string `json:"reason"`
}

// Shortfall is an unmet part of a student's minimum minutes in one mode.
type Shortfall struct {
	Student string `json:"student"`
	Mode    Mode   `json:"mode"`
	Minutes int    `json:"minutes"`
	Reason  string `json:"reason"`
}
