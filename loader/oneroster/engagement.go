package oneroster

import (
	"math"
	"sort"
)

// Engagement is one student's engagement signals over the last reporting
// period, from engagement.csv. A signal the file leaves empty is unknown and
// counts as no risk.
type Engagement struct {
	// AttendanceRate is the share of school days attended, in [0,1].
	AttendanceRate *float64
	// MissedAssignments is the number of assignments missing or late.
	MissedAssignments *int
	// ProgressVelocity is the student's rate of progress (for example mastery
	// gained per week); only its comparison with the school's median matters,
	// so any unit works as long as the whole file uses one.
	ProgressVelocity *float64
}

// The at-risk rule of docs/oneroster.md ("At-risk priority").
const (
	// AttendanceThreshold: attending less than 90% of days is chronic
	// absenteeism (missing 10% or more), the common US definition.
	AttendanceThreshold = 0.90
	// MissedThreshold: this many missing or late assignments is a signal.
	MissedThreshold = 3
	// VelocityFraction: progressing at less than half the school's median
	// velocity is a signal.
	VelocityFraction = 0.5
	// PriorityStep is added to the base priority 1.0 per signal.
	PriorityStep = 0.25
)

// Signal names, as DerivePriority returns them.
const (
	SignalAttendance = "attendance below 90%"
	SignalMissedWork = "3 or more missed assignments"
	SignalVelocity   = "progress below half the school's median velocity"
)

// DerivePriority is the documented at-risk rule: priority = 1.0 + 0.25 per
// signal (attendance below 90%; 3 or more missed assignments; progress
// velocity below half the school's median velocity, when that median is
// positive), so 1.0, 1.25, 1.5 or 1.75. It returns the signals found.
func DerivePriority(e Engagement, medianVelocity float64) (float64, []string) {
	var signals []string
	if e.AttendanceRate != nil && *e.AttendanceRate < AttendanceThreshold {
		signals = append(signals, SignalAttendance)
	}
	if e.MissedAssignments != nil && *e.MissedAssignments >= MissedThreshold {
		signals = append(signals, SignalMissedWork)
	}
	if e.ProgressVelocity != nil && medianVelocity > 0 && *e.ProgressVelocity < VelocityFraction*medianVelocity {
		signals = append(signals, SignalVelocity)
	}
	return 1 + PriorityStep*float64(len(signals)), signals
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// readEngagement reads engagement.csv and derives each listed student's
// priority. Students it does not list keep the default priority 1.0.
func (r *reader) readEngagement() {
	t := readTable(r.fsys, EngagementFile, false,
		[]string{"user_sourced_id", "attendance_rate", "missed_assignments", "progress_velocity"}, &r.ps)
	if t == nil {
		return
	}
	signals := map[string]Engagement{}
	var velocities []float64
	for _, row := range t.rows {
		st := r.student(row, "user_sourced_id")
		var e Engagement
		ok := true
		if row.get("attendance_rate") != "" {
			x, good := row.unit(&r.ps, "attendance_rate")
			e.AttendanceRate, ok = &x, ok && good
		}
		if row.get("missed_assignments") != "" {
			n, good := row.count(&r.ps, "missed_assignments", true)
			e.MissedAssignments, ok = &n, ok && good
		}
		if row.get("progress_velocity") != "" {
			x, good := row.number(&r.ps, "progress_velocity")
			e.ProgressVelocity, ok = &x, ok && good && !math.IsNaN(x)
		}
		if st == nil || !ok {
			continue
		}
		if _, dup := signals[st.ID]; dup {
			row.fail(&r.ps, "user_sourced_id", "second engagement row of this student")
			continue
		}
		signals[st.ID] = e
		if e.ProgressVelocity != nil {
			velocities = append(velocities, *e.ProgressVelocity)
		}
	}
	med := median(velocities)
	for id, e := range signals {
		p, _ := DerivePriority(e, med)
		r.priority[id] = p
		if p > 1 {
			r.atRisk++
		}
	}
}
