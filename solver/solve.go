package solver

// Options configure Solve. The zero value is a sensible default.
type Options struct {
	// Seed drives every random choice; the same instance, Seed and Effort give
	// byte-identical schedules.
	Seed int64
	// Effort is the deterministic work limit (improvement iterations, in units
	// documented in docs/model.md). Zero means DefaultEffort.
	Effort int
	// Workers is the number of goroutines the improvement search may use. Zero
	// means 2. The result does not depend on it.
	Workers int
	// Progress, when set, is called from the solving goroutine after each unit
	// of work with the current incumbent and bound. The caller rate-limits it.
	Progress func(Progress)
}

// DefaultEffort is the work limit used when Options.Effort is zero.
const DefaultEffort = 100

// Progress is a snapshot of a running solve.
type Progress struct {
	Iteration int
	Objective float64
	Bound     float64
	HasBound  bool
}

// Result is what Solve returns: the schedule and its statistics.
type Result struct {
	Schedule *Schedule
	// Score is the §4 objective of Schedule, term by term, as the checker scores it.
	Score Score
	// Bound is a proven upper bound on the best objective; valid only if HasBound.
	Bound    float64
	HasBound bool
	// Optimal is true when the bound meets the objective (within 1e-6).
	Optimal bool
	// Iterations is the number of improvement iterations done.
	Iterations int
	// Stopped says why the search stopped: "effort", "optimal" or "cancelled"
	// (the context's deadline or cancellation cut the work short).
	Stopped string
}
