package heuristic

import (
	"context"
	"errors"
	"fmt"

	"github.com/weekplan/weekplan/solver/model"
)

// WarmStart builds the starting schedule of a stable re-solve
// (docs/model.md §7.2) in place of Construct: it rebuilds the reference
// schedule ref under the new problem p, keeping every placement that is
// still feasible, and places what the new problem forces to change.
//
//  1. Kept sessions: each reference session (teacher, slot, mode, room,
//     skill) is opened again if its teacher and room may still hold it, with
//     every member who may still join it (focus skill, level band, sizes,
//     apart, capacity, accessibility, pins); sessions with a pinned member
//     first. Then every reference independent placement that still fits.
//  2. Pins: if a pin is not honoured by a kept placement, the whole start is
//     redone with the pins placed first, as Construct places them, and the
//     reference kept around them.
//  3. Small groups that fell below group_min are completed with compatible
//     students, those already moved first, when that moves no more
//     student-slots than dissolving the group would; else they are dissolved.
//  4. Displaced students — student-slots whose kept placement was dropped,
//     and new ones (a new student, a newly available slot) — are placed as
//     Construct places everyone, among themselves: sessions of free teachers
//     opened greedily by marginal gain, then each one left in its best
//     independent room or open session.
//  5. Shortfalls the reference did not have (a student's tutoring teacher is
//     out; a requirement raised) are repaired for the students concerned,
//     one slot at a time, by joining a session of the mode (in place of one
//     member if it is full), opening a session (a small group with the
//     fewest partners group_min asks for) with a free teacher or in place of
//     one of the teacher's sessions, or moving to independent work, while the
//     objective improves, the best repair of all students first.
//
// The result depends only on p and ref. When ctx is done, step 4 stops
// opening sessions and step 5 is skipped (cut reports it); the schedule is
// still valid. It fails only if a pin cannot be honoured, as Construct does.
func WarmStart(ctx context.Context, p *model.Problem, ref *model.Reference) (sol *model.Solution, cut bool, err error) {
	sol, cut, err = warmStart(ctx, p, ref, false)
	if errors.Is(err, errPinNotKept) {
		sol, cut, err = warmStart(ctx, p, ref, true)
	}
	return sol, cut, err
}

// errPinNotKept says that the kept placements do not honour every pin, so the
// pins must be placed first.
var errPinNotKept = errors.New("a pin is not honoured by the kept placements")

func warmStart(ctx context.Context, p *model.Problem, ref *model.Reference, pinsFirst bool) (*model.Solution, bool, error) {
	sol := model.NewSolution(p)
	sol.SetReference(ref)
	e := newEngine(p, sol)
	if pinsFirst {
		if err := e.placePins(); err != nil {
			return nil, false, err
		}
	}
	e.keepSessions(ref)
	e.keepIndependent(ref)
	if !pinsFirst {
		for _, pn := range p.Pins {
			if sol.Mode(pn.Student, pn.Slot) == model.None && pinWantsMore(&pn) {
				return nil, false, errPinNotKept
			}
		}
	}
	if err := e.completeGroups(); err != nil {
		if pinsFirst {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("%w: %v", errPinNotKept, err)
	}
	if !e.placeDisplaced(ctx, ref) {
		return sol, true, nil
	}
	if ctx.Err() != nil {
		return sol, true, nil
	}
	e.repairShortfalls(ref)
	return sol, false, nil
}

// pinWantsMore reports whether a pin asks for more than "placed somewhere"
// (a mode, teacher, room or skill), which only the pin placement can honour;
// a bare pin is honoured by placing the student anywhere (step 4).
func pinWantsMore(pn *model.Pin) bool {
	return pn.Mode != model.None || pn.Teacher >= 0 || pn.Room >= 0 || pn.Skill >= 0
}

// refSession is one session of the reference: its placement and members.
type refSession struct {
	t       int
	at      model.Placement
	members []int
	pinned  bool
}

// referenceSessions groups the reference's session placements into sessions,
// in slot then first-member order, those with a pinned member first.
func referenceSessions(p *model.Problem, ref *model.Reference) []refSession {
	T := p.T()
	type key struct {
		t  int
		at model.Placement
	}
	index := map[key]int{}
	var out []refSession
	for t := 0; t < T; t++ {
		for i := range p.Students {
			at := ref.At[i*T+t]
			if !at.Mode.IsSession() {
				continue
			}
			k := key{t, at}
			x, ok := index[k]
			if !ok {
				x = len(out)
				index[k] = x
				out = append(out, refSession{t: t, at: at})
			}
			out[x].members = append(out[x].members, i)
			out[x].pinned = out[x].pinned || p.Pin(i, t) != nil
		}
	}
	pinned := make([]refSession, 0, len(out))
	var rest []refSession
	for _, rs := range out {
		if rs.pinned {
			pinned = append(pinned, rs)
		} else {
			rest = append(rest, rs)
		}
	}
	return append(pinned, rest...)
}

// keepSessions opens every reference session its teacher and room may still
// hold and moves in every member who may still join it (step 1). A session
// of the same teacher, slot, mode, room and skill already open (a pinned one)
// takes the members in; one left empty is closed.
func (e *engine) keepSessions(ref *model.Reference) {
	p, sol := e.p, e.sol
	for _, rs := range referenceSessions(p, ref) {
		t, at := rs.t, rs.at
		if at.Teacher < 0 || at.Room < 0 || at.Skill < 0 {
			continue // names a teacher, room or skill the problem does not know
		}
		j, room, k := int(at.Teacher), int(at.Room), int(at.Skill)
		id := sol.Busy(j, t)
		if id >= 0 {
			ss := &sol.Sessions[id]
			if ss.Mode != at.Mode || ss.Room != room || ss.Skill != k {
				continue
			}
		} else {
			tc, rm := &p.Teachers[j], &p.Rooms[room]
			if !tc.Avail[t] || !tc.Subjects[p.Skills[k].Subject] || sol.TeacherSessions(j) >= tc.Limit ||
				!rm.Allows(at.Mode) || !rm.Avail[t] || sol.RoomSessions(t, room) >= rm.Stations {
				continue
			}
			id = sol.Open(j, t, at.Mode, room, k)
		}
		for _, i := range rs.members {
			if sol.Mode(i, t) == model.None && sol.CanJoin(i, id) {
				sol.Move(i, t, at.Mode, id)
			}
		}
		if len(sol.Sessions[id].Members) == 0 {
			sol.Close(id)
		}
	}
}

// keepIndependent puts every student whose reference placement is
// independent work back in its room if the room may still hold it (step 1),
// pinned students first.
func (e *engine) keepIndependent(ref *model.Reference) {
	p, sol := e.p, e.sol
	T := p.T()
	for pass := 0; pass < 2; pass++ {
		for i := range p.Students {
			for t := 0; t < T; t++ {
				at := ref.At[i*T+t]
				if at.Mode != model.Indep || at.Room < 0 || (p.Pin(i, t) != nil) != (pass == 0) {
					continue
				}
				if sol.Mode(i, t) == model.None && sol.CanIndep(i, t, int(at.Room)) {
					sol.Move(i, t, model.Indep, int(at.Room))
				}
			}
		}
	}
}

// completeGroups completes every small group below group_min (step 3): it
// adds compatible students one at a time, the fewest new moves first, then
// the best objective, and keeps the completion if it moves no more
// student-slots than dissolving the group would; else it dissolves the group
// (its members become displaced). A group with a pinned member cannot be
// dissolved: if it cannot be completed, the pins cannot be honoured around
// the kept placements.
func (e *engine) completeGroups() error {
	p, sol := e.p, e.sol
	for id := range sol.Sessions {
		ss := &sol.Sessions[id]
		if !ss.Alive || len(ss.Members) >= p.MinSize(ss.Mode) {
			continue
		}
		t, size := ss.Slot, len(ss.Members)
		pinned := false
		for _, i := range ss.Members {
			pinned = pinned || p.Pin(i, t) != nil
		}
		churn0 := sol.Churn()
		sol.Begin()
		for len(ss.Members) < p.MinSize(ss.Mode) {
			best, bestCost, bestD := -1, 0, 0.0
			for _, i := range p.BySkill[ss.Skill] {
				if !e.free(i, t) || !sol.CanJoin(i, id) {
					continue
				}
				cost, d := sol.ChurnDelta(i, t, ss.Mode, id), sol.DeltaMove(i, t, ss.Mode, id)
				if best < 0 || cost < bestCost || cost == bestCost && d > bestD {
					best, bestCost, bestD = i, cost, d
				}
			}
			if best < 0 {
				break
			}
			sol.Move(best, t, ss.Mode, id)
		}
		complete := len(ss.Members) >= p.MinSize(ss.Mode)
		if complete && (pinned || sol.Churn()-churn0 <= size) {
			sol.Commit()
			continue
		}
		sol.Rollback()
		if pinned {
			return &PinError{Kind: PinGroupShort, Student: -1, Teacher: ss.Teacher, Room: -1, Slot: t}
		}
		for _, i := range append([]int(nil), ss.Members...) {
			sol.Move(i, t, model.None, -1)
		}
		sol.Close(id)
	}
	return nil
}

// displaced reports whether student-slot (i, t) is to be placed by step 4:
// available, unplaced, and either pinned, or placed in the reference, or not
// listed there as unplaced (a new student or a newly available slot).
// Student-slots the reference left unplaced stay so: placing them is an
// improvement like any other, for the search under the churn limit.
func (e *engine) displaced(ref *model.Reference, i, t int) bool {
	k := i*e.p.T() + t
	if !e.p.Students[i].Avail[t] || e.sol.Mode(i, t) != model.None {
		return false
	}
	return e.p.Pin(i, t) != nil || ref.At[k].Mode != model.None || !ref.Unplaced[k]
}

// placeDisplaced places the displaced students (step 4) as Construct places
// everyone, restricted to them: the greedy opens sessions among them, then
// each still unplaced goes to its best independent room or open session —
// pinned students first, then those needing an accessible room, then by
// fewest usable rooms. It returns false if ctx cut the greedy short (every
// displaced student is still placed where there is room).
func (e *engine) placeDisplaced(ctx context.Context, ref *model.Reference) (finished bool) {
	p := e.p
	T := p.T()
	e.only = make([]bool, len(p.Students)*T)
	some := false
	for i := range p.Students {
		for t := 0; t < T; t++ {
			if e.displaced(ref, i, t) {
				e.only[i*T+t], some = true, true
			}
		}
	}
	finished = true
	if some {
		e.est = estimates(p)
		finished = e.greedySessions(ctx)
		e.est = nil
	}
	for t := 0; t < T; t++ {
		for _, i := range e.unplacedOrder(t, func(i int) bool { return e.only[i*T+t] }) {
			e.placeBestExisting(i, t)
		}
	}
	e.only = nil
	return finished
}

// placeBestExisting moves i in slot t to its best placement among the
// independent rooms with a free place and the open sessions it may join, if
// there is one.
func (e *engine) placeBestExisting(i, t int) {
	p, sol := e.p, e.sol
	bestM, bestRef, bestD := model.None, -1, 0.0
	for r := range p.Rooms {
		if sol.CanIndep(i, t, r) {
			if d := sol.DeltaMove(i, t, model.Indep, r); bestM == model.None || d > bestD {
				bestM, bestRef, bestD = model.Indep, r, d
			}
		}
	}
	for j := range p.Teachers {
		id := sol.Busy(j, t)
		if id < 0 || !sol.CanJoin(i, id) {
			continue
		}
		m := sol.Sessions[id].Mode
		if d := sol.DeltaMove(i, t, m, id); bestM == model.None || d > bestD {
			bestM, bestRef, bestD = m, id, d
		}
	}
	if bestM != model.None {
		sol.Move(i, t, bestM, bestRef)
	}
}
