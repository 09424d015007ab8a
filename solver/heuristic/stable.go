package heuristic

import "github.com/weekplan/weekplan/solver/model"

// ChurnLimit restricts the improvement search of a stable re-solve to
// schedules close to the solution's reference (docs/model.md §7.3).
type ChurnLimit struct {
	// Max is the largest churn (model.Solution.Churn) an accepted move may
	// leave.
	Max int
	// Freeze keeps every placement that equals its reference: the search
	// moves only student-slots that already differ from it. A swap that
	// moves one student back and another away keeps the churn but not the
	// placements; Freeze forbids it.
	Freeze bool
}

// stability is the engine's state of a stable re-solve: the churn limit of
// the search (nil: none) and, during the warm start, the student-slots that
// may be drawn into new sessions (nil: all).
type stability struct {
	limit *ChurnLimit
	only  []bool // student*T+slot
}

// movable reports whether student-slot (i, t) may be drawn into a new
// session: it is among only, if set, and not frozen.
func (e *engine) movable(i, t int) bool {
	if e.only != nil && !e.only[i*e.sol.T+t] {
		return false
	}
	return !e.frozen(i, t)
}

// frozen reports whether the search must leave (i, t) where it is: the
// limit freezes placements and (i, t) is at its reference placement.
func (e *engine) frozen(i, t int) bool {
	return e.limit != nil && e.limit.Freeze && e.sol.Matches(i, t)
}

// frozenSession reports whether session id has a frozen member (then it
// may not be dissolved).
func (e *engine) frozenSession(id int) bool {
	if e.limit == nil || !e.limit.Freeze {
		return false
	}
	ss := &e.sol.Sessions[id]
	for _, i := range ss.Members {
		if e.sol.Matches(i, ss.Slot) {
			return true
		}
	}
	return false
}

// accepts reports whether a move that changed the objective by d and the
// churn from churn0 to the current churn is kept (docs/model.md §7.3): it
// improves the objective and leaves the churn within the limit, or it lowers
// the churn and leaves the objective as it was. Without a limit: whether it
// improves the objective.
func (e *engine) accepts(d float64, churn0 int) bool {
	if e.limit == nil {
		return d > eps
	}
	c := e.sol.Churn()
	return d > eps && c <= e.limit.Max || d >= 0 && c < churn0
}

// admitsMove reports whether moving i in slot t to (m, ref) keeps the churn
// within the limit.
func (e *engine) admitsMove(i, t int, m model.Mode, ref int) bool {
	return e.limit == nil || e.sol.Churn()+e.sol.ChurnDelta(i, t, m, ref) <= e.limit.Max
}

// applyAdmitted opens candidate c and moves its members in if the limit
// accepts it; else it leaves the solution as it was.
func (e *engine) applyAdmitted(c *candidate) {
	if e.limit == nil {
		e.apply(c)
		return
	}
	churn0 := e.sol.Churn()
	e.sol.Begin()
	if e.accepts(e.apply(c), churn0) {
		e.sol.Commit()
	} else {
		e.sol.Rollback()
	}
}

// withinLimit reports whether the current churn is within the limit.
func (e *engine) withinLimit() bool {
	return e.limit == nil || e.sol.Churn() <= e.limit.Max
}
