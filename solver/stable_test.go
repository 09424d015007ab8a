package solver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

// stableEffort is the effort of the solves in these tests: enough to move
// many placements in a fresh solve, small enough for the race detector.
const stableEffort = 6

// previousOf solves inst from scratch: the version a stable re-solve adjusts.
func previousOf(t *testing.T, inst *solver.Instance) *solver.Schedule {
	t.Helper()
	return solveOK(t, inst, solver.Options{Seed: 1, Effort: stableEffort}).Schedule
}

// stableSolve solves inst against prev and checks what every stable solve
// must give: a valid schedule (solveOK), a churn equal to the schedules'
// own difference, within the limit.
func stableSolve(t *testing.T, inst *solver.Instance, prev *solver.Schedule, maxChurn int) *solver.Result {
	t.Helper()
	res := solveOK(t, inst, solver.Options{Seed: 1, Effort: stableEffort, Previous: prev, MaxChurn: maxChurn})
	if got := solver.Churn(inst, prev, res.Schedule); res.Churn != got {
		t.Fatalf("Result.Churn %d, but the schedules differ in %d student-slots", res.Churn, got)
	}
	if maxChurn >= 0 && res.Churn > max(maxChurn, res.ForcedChurn) {
		t.Fatalf("MaxChurn %d: churn %d above max(limit, forced %d)", maxChurn, res.Churn, res.ForcedChurn)
	}
	return res
}

// copyInstance returns a deep copy of inst.
func copyInstance(t *testing.T, inst *solver.Instance) *solver.Instance {
	t.Helper()
	out, err := solver.ParseInstance(mustJSON(t, inst))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// spots maps (student, slot) to a placement's description, as churn compares
// placements.
func spots(s *solver.Schedule) map[[2]string]string {
	out := map[[2]string]string{}
	for _, se := range s.Sessions {
		for _, st := range se.Students {
			out[[2]string{st, se.Slot}] = string(se.Mode) + " " + se.Teacher + " " + se.Room + " " + se.Skill
		}
	}
	for _, w := range s.Independent {
		for _, st := range w.Students {
			out[[2]string{st, w.Slot}] = "independent " + w.Room
		}
	}
	return out
}

// changed lists the (student, slot) pairs of inst placed differently in a
// and b.
func changed(inst *solver.Instance, a, b *solver.Schedule) [][2]string {
	sa, sb := spots(a), spots(b)
	var out [][2]string
	for _, st := range inst.Students {
		for _, sl := range inst.Slots {
			k := [2]string{st.ID, sl.ID}
			if sa[k] != sb[k] {
				out = append(out, k)
			}
		}
	}
	return out
}

// teacherOut makes, in a copy of inst, the teacher who holds the most
// student-slots in prev on one day unavailable all that day. It returns the
// copy, the day, and per student the slots it held with that teacher.
func teacherOut(t *testing.T, inst *solver.Instance, prev *solver.Schedule) (*solver.Instance, string, map[string][]string) {
	t.Helper()
	day := map[string]string{}
	for _, sl := range inst.Slots {
		day[sl.ID] = sl.Day
	}
	held := map[[2]string]int{}
	for _, se := range prev.Sessions {
		held[[2]string{se.Teacher, day[se.Slot]}] += len(se.Students)
	}
	var best [2]string
	for k, n := range held {
		if n > held[best] || n == held[best] && (k[0] < best[0] || k[0] == best[0] && k[1] < best[1]) {
			best = k
		}
	}
	if held[best] == 0 {
		t.Fatal("the previous schedule has no session")
	}
	out := copyInstance(t, inst)
	for i := range out.Teachers {
		if out.Teachers[i].ID != best[0] {
			continue
		}
		for _, sl := range out.Slots {
			if sl.Day == best[1] && !slices.Contains(out.Teachers[i].Unavailable, sl.ID) {
				out.Teachers[i].Unavailable = append(out.Teachers[i].Unavailable, sl.ID)
			}
		}
	}
	// Pins on the teacher's sessions that day would contradict the absence.
	pins := out.Pins[:0]
	for _, pn := range out.Pins {
		if pn.Teacher != best[0] || day[pn.Slot] != best[1] {
			pins = append(pins, pn)
		}
	}
	out.Pins = pins
	displaced := map[string][]string{}
	for _, se := range prev.Sessions {
		if se.Teacher == best[0] && day[se.Slot] == best[1] {
			for _, st := range se.Students {
				displaced[st] = append(displaced[st], se.Slot)
			}
		}
	}
	return out, best[1], displaced
}

// TestStableAfterTeacherAbsence is the administrator's case: a teacher is
// out one day; the stable re-solve moves only the students of that teacher's
// sessions that day (and, to give back IEP minutes, their other slots),
// far fewer than a fresh solve.
func TestStableAfterTeacherAbsence(t *testing.T) {
	for _, name := range []string{"small-60-seed101", "small-120-tight-seed101"} {
		t.Run(name, func(t *testing.T) {
			inst := benchInstance(t, name)
			prev := previousOf(t, inst)
			absent, day, displaced := teacherOut(t, inst, prev)
			held := 0
			for _, slots := range displaced {
				held += len(slots)
			}
			res := stableSolve(t, absent, prev, 0)
			fresh := solveOK(t, absent, solver.Options{Seed: 1, Effort: stableEffort})
			freshChurn := solver.Churn(absent, prev, fresh.Schedule)
			t.Logf("held %d, stable churn %d (forced %d), fresh churn %d; objective stable %.3f fresh %.3f",
				held, res.Churn, res.ForcedChurn, freshChurn, res.Score.Total, fresh.Score.Total)
			if res.Schedule.Bound == nil || fresh.Schedule.Bound == nil || *res.Schedule.Bound != *fresh.Schedule.Bound {
				t.Errorf("the stable and the fresh solve of one instance report different bounds (%v, %v)", res.Schedule.Bound, fresh.Schedule.Bound)
			}
			if res.Churn >= freshChurn {
				t.Errorf("stable churn %d, not below the fresh solve's %d", res.Churn, freshChurn)
			}
			reqs := map[string]bool{}
			for _, st := range absent.Students {
				for _, v := range st.MinMinutes {
					reqs[st.ID] = reqs[st.ID] || v > 0
				}
			}
			// Allowed: the displaced student-slots; other slots of displaced
			// students with minimum minutes (minutes given back); and, to
			// make room for a displaced student with minimum minutes, the
			// members of one session per such student-slot in that slot (the
			// repair may take a teacher-slot for it: at most group_max
			// students each).
			gmax := 6
			if v, ok := absent.Policy["group_max"]; ok {
				gmax = int(v)
			}
			inSession := map[[2]string]bool{} // (student, slot) in a session now
			for _, se := range res.Schedule.Sessions {
				for _, st := range se.Students {
					inSession[[2]string{st, se.Slot}] = true
				}
			}
			moves := changed(absent, prev, res.Schedule)
			repairSlots := map[string]int{}
			onDay, repaired := 0, 0
			for _, k := range moves {
				st, sl := k[0], k[1]
				if slices.Contains(displaced[st], sl) {
					onDay++
				}
				if reqs[st] && displaced[st] != nil && inSession[[2]string{st, sl}] {
					repairSlots[sl] += gmax
					repaired++
				}
			}
			if res.Churn > held+repaired*(1+gmax) {
				t.Errorf("stable churn %d, above the %d student-slots the absent teacher held + room made for %d repaired IEP student-slots", res.Churn, held, repaired)
			}
			for _, k := range moves {
				st, sl := k[0], k[1]
				if slices.Contains(displaced[st], sl) || displaced[st] != nil && reqs[st] {
					continue
				}
				if repairSlots[sl] == 0 {
					t.Errorf("MaxChurn 0 moved %s in %s, which the absence on %s did not affect", st, sl, day)
				}
				repairSlots[sl]--
			}
			if onDay == 0 || onDay > held {
				t.Errorf("%d displaced student-slots changed, want 1 to %d", onDay, held)
			}
		})
	}
}

// TestStableUnchangedInstanceKeepsPrevious: with nothing changed and
// MaxChurn 0, the re-solve is the previous schedule.
func TestStableUnchangedInstanceKeepsPrevious(t *testing.T) {
	inst := benchInstance(t, "small-120-tight-seed101")
	prev := previousOf(t, inst)
	res := stableSolve(t, inst, prev, 0)
	if res.Churn != 0 || res.ForcedChurn != 0 {
		t.Errorf("churn %d (forced %d), want 0", res.Churn, res.ForcedChurn)
	}
	if d := solver.Diff(inst, prev, res.Schedule); !d.Empty() {
		t.Errorf("the schedule differs from the previous one: %+v", d.Counts)
	}
	if !bytes.Equal(mustJSON(t, res.Schedule), mustJSON(t, prev)) {
		t.Errorf("the schedule is not byte-identical to the previous one (bound %v, previous %v)", res.Schedule.Bound, prev.Bound)
	}
	if math.Abs(res.Score.Total-prev.Objective) > solver.ObjectiveTolerance(prev.Objective) {
		t.Errorf("objective %v, want the previous %v", res.Score.Total, prev.Objective)
	}
	if !bytes.Equal(mustJSON(t, res.Schedule.Unplaced), mustJSON(t, prev.Unplaced)) ||
		!bytes.Equal(mustJSON(t, res.Schedule.Shortfalls), mustJSON(t, prev.Shortfalls)) {
		t.Errorf("unplaced or shortfalls differ from the previous schedule's")
	}
}

// TestStableIsDeterministic: the same instance, previous schedule and seed
// give byte-identical schedules, whatever the number of workers.
func TestStableIsDeterministic(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	absent, _, _ := teacherOut(t, inst, prev)
	for _, maxChurn := range []int{0, 10, -1} {
		a := solveOK(t, absent, solver.Options{Seed: 4, Effort: stableEffort, Workers: 1, Previous: prev, MaxChurn: maxChurn})
		b := solveOK(t, copyInstance(t, absent), solver.Options{Seed: 4, Effort: stableEffort, Workers: 3, Previous: prev, MaxChurn: maxChurn})
		if !bytes.Equal(mustJSON(t, a.Schedule), mustJSON(t, b.Schedule)) || a.Churn != b.Churn {
			t.Errorf("MaxChurn %d: two runs with seed 4 differ (churn %d and %d)", maxChurn, a.Churn, b.Churn)
		}
	}
}

// TestStableHonoursMaxChurn: the churn stays within max(MaxChurn, forced);
// a larger limit lets the search improve more; no limit lets it move more
// than MaxChurn 0 does.
func TestStableHonoursMaxChurn(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	absent, _, _ := teacherOut(t, inst, prev)
	strict := stableSolve(t, absent, prev, 0)
	for _, limit := range []int{1, strict.ForcedChurn + 3, strict.ForcedChurn + 40} {
		res := stableSolve(t, absent, prev, limit)
		if res.ForcedChurn != strict.ForcedChurn {
			t.Errorf("MaxChurn %d: forced churn %d, want %d as with MaxChurn 0", limit, res.ForcedChurn, strict.ForcedChurn)
		}
	}
	free := stableSolve(t, absent, prev, -1)
	if free.Churn <= strict.Churn {
		t.Errorf("no limit: churn %d, want more than MaxChurn 0's %d (the limit does not bind)", free.Churn, strict.Churn)
	}
	if free.Score.Total < strict.Score.Total-solver.ObjectiveTolerance(strict.Score.Total) {
		t.Errorf("no limit: objective %v below MaxChurn 0's %v", free.Score.Total, strict.Score.Total)
	}
}

// TestStableMoreEffortIsNeverWorse keeps the search's guarantee under a
// churn limit.
func TestStableMoreEffortIsNeverWorse(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	absent, _, _ := teacherOut(t, inst, prev)
	for _, maxChurn := range []int{0, 30, -1} {
		last := math.Inf(-1)
		for _, effort := range []int{1, 5} {
			res := solveOK(t, absent, solver.Options{Seed: 1, Effort: effort, Previous: prev, MaxChurn: maxChurn})
			if res.Score.Total < last-1e-9 {
				t.Errorf("MaxChurn %d effort %d: objective %v, worse than %v with less effort", maxChurn, effort, res.Score.Total, last)
			}
			last = res.Score.Total
		}
	}
}

// TestStablePreviousWithUnknownIDs: a previous schedule that names a student,
// teacher and room the instance no longer has, a slot it never had and a
// mode that does not exist is read, not rejected: the removed student does
// not count, the other placements it cannot keep do.
func TestStablePreviousWithUnknownIDs(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	gone := copyInstance(t, inst)
	student, teacher, room := removeSome(t, gone, prev)
	// A placement in a mode that does not exist, in a slot the student is
	// not available in: it counts, as no placement can equal it.
	var odd solver.Student
	for _, st := range gone.Students {
		if len(st.Unavailable) > 0 {
			odd = st
			break
		}
	}
	if odd.ID == "" {
		t.Fatal("no student with an unavailable slot")
	}
	bogus := *prev
	bogus.Sessions = append(slices.Clone(prev.Sessions),
		solver.Session{Slot: "sun-9", Mode: solver.Tutoring, Teacher: teacher, Room: room, Skill: "x", Students: []string{gone.Students[0].ID}},
		solver.Session{Slot: odd.Unavailable[0], Mode: "lecture", Teacher: "t-nobody", Room: "r-nowhere", Skill: "x", Students: []string{odd.ID, "s-nobody"}})
	res := stableSolve(t, gone, &bogus, 0)
	lost := 1 // the lecture; and student-slots whose previous placement named the removed teacher or room:
	for _, se := range prev.Sessions {
		for _, st := range se.Students {
			if st != student && (se.Teacher == teacher || se.Room == room) {
				lost++
			}
		}
	}
	for _, w := range prev.Independent {
		for _, st := range w.Students {
			if st != student && w.Room == room {
				lost++
			}
		}
	}
	if lost == 1 {
		t.Fatal("nothing of the previous schedule named the removed teacher or room")
	}
	if res.Churn < lost {
		t.Errorf("churn %d, below the %d student-slots whose teacher or room was removed", res.Churn, lost)
	}
	fresh := solveOK(t, gone, solver.Options{Seed: 1, Effort: stableEffort})
	if fc := solver.Churn(gone, &bogus, fresh.Schedule); res.Churn >= fc {
		t.Errorf("churn %d, not below a fresh solve's %d", res.Churn, fc)
	}

	other := *prev
	other.WeekStart = "1999-01-04"
	_, err := solver.Solve(context.Background(), gone, solver.Options{Previous: &other})
	if !errors.Is(err, solver.ErrInvalidPrevious) {
		t.Errorf("a previous schedule of another week: got %v, want ErrInvalidPrevious", err)
	}
}

// removeSome removes from inst (in place) one student, one teacher and one
// room that prev uses, with every record that names them, and returns their
// ids.
func removeSome(t *testing.T, inst *solver.Instance, prev *solver.Schedule) (student, teacher, room string) {
	t.Helper()
	se := prev.Sessions[len(prev.Sessions)/2]
	student, teacher = se.Students[0], se.Teacher
	for _, w := range prev.Independent {
		if w.Room != se.Room {
			room = w.Room
			break
		}
	}
	inst.Students = slices.DeleteFunc(inst.Students, func(s solver.Student) bool { return s.ID == student })
	for i := range inst.Students {
		inst.Students[i].Apart = slices.DeleteFunc(inst.Students[i].Apart, func(a string) bool { return a == student })
	}
	inst.Teachers = slices.DeleteFunc(inst.Teachers, func(x solver.Teacher) bool { return x.ID == teacher })
	inst.Rooms = slices.DeleteFunc(inst.Rooms, func(x solver.Room) bool { return x.ID == room })
	inst.Pins = slices.DeleteFunc(inst.Pins, func(p solver.Pin) bool {
		return p.Student == student || p.Teacher == teacher || p.Room == room
	})
	inst.LastWeek = slices.DeleteFunc(inst.LastWeek, func(l solver.LastWeekEntry) bool {
		return l.Student == student || l.Teacher == teacher || l.Room == room
	})
	if err := inst.Validate(); err != nil {
		t.Fatalf("the instance without %s, %s and %s: %v", student, teacher, room, err)
	}
	return student, teacher, room
}

// TestStableNewStudent: a student added to the week is placed in every slot
// it is available in, and nobody else moves.
func TestStableNewStudent(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	more := copyInstance(t, inst)
	var st solver.Student
	for _, s := range more.Students {
		if len(s.MinMinutes) == 0 && len(s.Apart) == 0 {
			st = s
			break
		}
	}
	if st.ID == "" {
		t.Fatal("no student without minimum minutes and apart pairs to copy")
	}
	st.ID, st.Name = "s-new", ""
	more.Students = append(more.Students, st)
	avail := len(more.Slots) - len(st.Unavailable)
	res := stableSolve(t, more, prev, 0)
	if res.Churn != avail {
		t.Errorf("churn %d, want the new student's %d available slots", res.Churn, avail)
	}
	for _, k := range changed(more, prev, res.Schedule) {
		if k[0] != st.ID {
			t.Errorf("%s moved in %s; only the new student should", k[0], k[1])
		}
	}
}

// TestStableGivesBackIEPMinutes: a student's tutoring requirement raised, the
// stable re-solve tutors the student, moving at most the members of the
// session whose teacher-slot it takes.
func TestStableGivesBackIEPMinutes(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	tutored := map[string]bool{}
	for _, se := range prev.Sessions {
		if se.Mode == solver.Tutoring {
			for _, st := range se.Students {
				tutored[st] = true
			}
		}
	}
	raised := copyInstance(t, inst)
	var who string
	for i := range raised.Students {
		st := &raised.Students[i]
		if !tutored[st.ID] && st.MinMinutes[solver.Tutoring] == 0 && len(st.Unavailable) == 0 {
			if st.MinMinutes == nil {
				st.MinMinutes = map[solver.Mode]int{}
			}
			st.MinMinutes[solver.Tutoring] = raised.Slots[0].Minutes
			who = st.ID
			break
		}
	}
	if who == "" {
		t.Fatal("no untutored student to raise")
	}
	res := stableSolve(t, raised, prev, 0)
	for _, sf := range res.Schedule.Shortfalls {
		if sf.Student == who {
			t.Errorf("%s still short of %d %s minutes: %s", who, sf.Minutes, sf.Mode, sf.Reason)
		}
	}
	// The student moves into tutoring in one slot; making room may move the
	// members of the session its teacher led there (at most group_max), and
	// nobody in any other slot.
	tutoredIn := ""
	for _, se := range res.Schedule.Sessions {
		if se.Mode == solver.Tutoring && slices.Contains(se.Students, who) {
			tutoredIn = se.Slot
		}
	}
	gmax := 6
	if v, ok := raised.Policy["group_max"]; ok {
		gmax = int(v)
	}
	others := map[string]bool{}
	for _, k := range changed(raised, prev, res.Schedule) {
		if k[0] == who {
			continue
		}
		others[k[0]] = true
		if k[1] != tutoredIn {
			t.Errorf("%s moved in %s, not in %s where %s is now tutored", k[0], k[1], tutoredIn, who)
		}
	}
	if len(others) > gmax || res.Churn > 1+gmax {
		t.Errorf("churn %d, other students moved %v; want the student's slot and at most the %d members of one session", res.Churn, others, gmax)
	}
}

// TestStableHonoursNewPins: pins added after the previous version are
// honoured — one that the kept placements honour costs nothing, one that
// takes a teacher away from a kept session displaces that session only.
func TestStableHonoursNewPins(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	// A pin on a placement the previous schedule has: nothing changes.
	var group solver.Session
	for _, se := range prev.Sessions {
		if se.Mode == solver.SmallGroup && len(se.Students) > 2 && !pinnedIn(inst, se.Slot, se.Students) && !anyRequirement(inst, se.Students) {
			group = se
			break
		}
	}
	if group.Teacher == "" {
		t.Fatal("no unpinned small group of more than 2 without minimum minutes in the previous schedule")
	}
	kept := copyInstance(t, inst)
	kept.Pins = append(kept.Pins, solver.Pin{Student: group.Students[0], Slot: group.Slot, Mode: group.Mode, Teacher: group.Teacher, Room: group.Room, Skill: group.Skill})
	if res := stableSolve(t, kept, prev, 0); res.Churn != 0 {
		t.Errorf("a pin on a kept placement: churn %d, want 0", res.Churn)
	}
	// A pin making the group's teacher tutor one of its members alone.
	tutor := copyInstance(t, inst)
	tutor.Pins = append(tutor.Pins, solver.Pin{Student: group.Students[0], Slot: group.Slot, Mode: solver.Tutoring, Teacher: group.Teacher})
	res := stableSolve(t, tutor, prev, 0)
	fresh := solveOK(t, tutor, solver.Options{Seed: 1, Effort: stableEffort})
	if fc := solver.Churn(tutor, prev, fresh.Schedule); res.Churn >= fc {
		t.Errorf("churn %d, not below a fresh solve's %d", res.Churn, fc)
	}
	for _, k := range changed(tutor, prev, res.Schedule) {
		if k[1] != group.Slot || !slices.Contains(group.Students, k[0]) {
			t.Errorf("%s moved in %s; only the members of the group of %s in %s should", k[0], k[1], group.Teacher, group.Slot)
		}
	}
}

// anyRequirement reports whether one of students has minimum minutes.
func anyRequirement(inst *solver.Instance, students []string) bool {
	for _, st := range inst.Students {
		if slices.Contains(students, st.ID) {
			for _, v := range st.MinMinutes {
				if v > 0 {
					return true
				}
			}
		}
	}
	return false
}

func pinnedIn(inst *solver.Instance, slot string, students []string) bool {
	for _, pn := range inst.Pins {
		if pn.Slot == slot && slices.Contains(students, pn.Student) {
			return true
		}
	}
	return false
}

// TestStableCancelledStillValid: a stable solve cut short at once still
// returns a valid schedule.
func TestStableCancelledStillValid(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := previousOf(t, inst)
	absent, _, _ := teacherOut(t, inst, prev)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := solver.Solve(ctx, absent, solver.Options{Previous: prev})
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if rep := solver.Check(absent, res.Schedule); !rep.Valid() {
		t.Fatalf("invalid schedule: %v", rep.Violations)
	}
	if res.Stopped != "cancelled" {
		t.Errorf("Stopped %q, want cancelled", res.Stopped)
	}
}

// TestStableProperty perturbs generated schools in the ways administrators
// adjust a week — a teacher out one day, a room made smaller, a teacher's
// weekly limit cut, masteries updated, a student removed, minimum minutes
// raised — and checks every stable re-solve (stableSolve: valid, churn exact
// and within the limit) at several limits.
func TestStableProperty(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		inst := fixtures.Generate(fixtures.GenOptions{Students: 40, Seed: seed})
		prev := solveOK(t, inst, solver.Options{Seed: seed, Effort: 3}).Schedule
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		next := copyInstance(t, inst)
		perturb(next, rng)
		dropBadPins(t, next)
		if _, err := solver.Solve(context.Background(), next, solver.Options{Effort: 1}); err != nil {
			// A random pin that even a fresh solve cannot honour (the
			// construction's limit, not stability's): keep the school's own.
			next.Pins = slices.DeleteFunc(slices.Clone(inst.Pins), func(pn solver.Pin) bool {
				return !slices.ContainsFunc(next.Students, func(s solver.Student) bool { return s.ID == pn.Student })
			})
			dropBadPins(t, next)
		}
		for _, maxChurn := range []int{0, 7, -1} {
			res := solveOK(t, next, solver.Options{Seed: seed, Effort: 3, Previous: prev, MaxChurn: maxChurn})
			if got := solver.Churn(next, prev, res.Schedule); got != res.Churn {
				t.Errorf("seed %d MaxChurn %d: Result.Churn %d, schedules differ in %d", seed, maxChurn, res.Churn, got)
			}
			if maxChurn >= 0 && res.Churn > max(maxChurn, res.ForcedChurn) {
				t.Errorf("seed %d MaxChurn %d: churn %d above max(limit, forced %d)", seed, maxChurn, res.Churn, res.ForcedChurn)
			}
		}
	}
}

// perturb makes random administrator's adjustments to inst.
func perturb(inst *solver.Instance, rng *rand.Rand) {
	day := inst.Slots[rng.IntN(len(inst.Slots))].Day
	tc := &inst.Teachers[rng.IntN(len(inst.Teachers))]
	for _, sl := range inst.Slots {
		if sl.Day == day {
			tc.Unavailable = append(tc.Unavailable, sl.ID)
		}
	}
	room := &inst.Rooms[rng.IntN(len(inst.Rooms))]
	room.Capacity /= 2

	for x := 0; x < 10; x++ {
		st := &inst.Students[rng.IntN(len(inst.Students))]
		if skills := slices.Sorted(maps.Keys(st.Progress)); len(skills) > 0 {
			st.Progress[skills[rng.IntN(len(skills))]] = math.Round(rng.Float64()*100) / 100
		}
	}
	st := &inst.Students[rng.IntN(len(inst.Students))]
	st.MinMinutes = map[solver.Mode]int{solver.Tutoring: 90, solver.SmallGroup: 45}
	for range 3 { // new pins: tutoring, a room, a teacher
		who, slot := inst.Students[rng.IntN(len(inst.Students))].ID, inst.Slots[rng.IntN(len(inst.Slots))].ID
		switch rng.IntN(3) {
		case 0:
			inst.Pins = append(inst.Pins, solver.Pin{Student: who, Slot: slot, Mode: solver.Tutoring})
		case 1:
			inst.Pins = append(inst.Pins, solver.Pin{Student: who, Slot: slot, Room: inst.Rooms[rng.IntN(len(inst.Rooms))].ID})
		default:
			inst.Pins = append(inst.Pins, solver.Pin{Student: who, Slot: slot, Teacher: inst.Teachers[rng.IntN(len(inst.Teachers))].ID})
		}
	}
	cut := &inst.Teachers[rng.IntN(len(inst.Teachers))]
	pinned := map[string]bool{}
	for _, pn := range inst.Pins {
		if pn.Teacher == cut.ID {
			pinned[pn.Slot] = true
		}
	}
	limit := max(2, len(pinned))
	cut.MaxSessions = &limit
	gone := inst.Students[rng.IntN(len(inst.Students))].ID
	inst.Students = slices.DeleteFunc(inst.Students, func(s solver.Student) bool { return s.ID == gone })
	for i := range inst.Students {
		inst.Students[i].Apart = slices.DeleteFunc(inst.Students[i].Apart, func(a string) bool { return a == gone })
	}
	inst.Pins = slices.DeleteFunc(inst.Pins, func(p solver.Pin) bool { return p.Student == gone })
	inst.LastWeek = slices.DeleteFunc(inst.LastWeek, func(l solver.LastWeekEntry) bool { return l.Student == gone })
}

// dropBadPins removes the pins the perturbed instance rejects, until it
// validates.
func dropBadPins(t *testing.T, inst *solver.Instance) {
	t.Helper()
	for range 50 {
		err := inst.Validate()
		if err == nil {
			return
		}
		var ve *solver.ValidationError
		if !errors.As(err, &ve) {
			t.Fatal(err)
		}
		bad := map[int]bool{}
		for _, pr := range ve.Problems {
			var x int
			if _, e := fmt.Sscanf(pr.Path, "pins[%d]", &x); e != nil {
				t.Fatalf("the perturbed instance is invalid beyond its pins: %v", err)
			}
			bad[x] = true
		}
		var keep []solver.Pin
		for x, pn := range inst.Pins {
			if !bad[x] {
				keep = append(keep, pn)
			}
		}
		inst.Pins = keep
	}
	t.Fatal("the perturbed instance does not validate")
}
