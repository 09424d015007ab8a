package solver

// Score is the §4 objective of a schedule, term by term (docs/model.md §2).
type Score struct {
	GroupNeed   float64 `json:"group_need"`  // Σ w_group·need·priority over small-group members
	TutorNeed   float64 `json:"tutor_need"`  // Σ w_tutor·need·priority over tutored students
	Interest    float64 `json:"interest"`    // Σ w_interest·interest over every placement
	Independent float64 `json:"independent"` // Σ w_indep over independent placements
	Stable      float64 `json:"stable"`      // Σ w_stable over continuity matches
	Contact     float64 `json:"contact"`     // Σ w_contact·priority·min(n, contact_target)
	Unplaced    float64 `json:"unplaced"`    // −p_unplaced per unplaced available student-slot
	IEP         float64 `json:"iep"`         // −p_iep_minute per unmet minimum minute
	Total       float64 `json:"total"`       // the objective: the sum of the terms above

	UnplacedSlots    int `json:"unplaced_slots"`
	ShortfallMinutes int `json:"shortfall_minutes"`
}
