package heuristic

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// roomsProblem is one slot of independent work only: n students, rooms of
// the given capacities, each room with its own topic (or, when shared, one
// of fewer topics or none, so that rooms share their values), every other
// room accessible, random interests, and (when acc) some students who need
// one of the accessible rooms.
func roomsProblem(rng *rand.Rand, n int, caps []int, acc, shared bool) *model.Problem {
	p := &model.Problem{
		P: model.Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 6, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:   []model.Slot{{Minutes: 45}},
		NumKeys: len(caps),
	}
	for r, c := range caps {
		key := r
		if shared {
			key = rng.IntN(len(caps)) - 1 // -1: no topic
		}
		p.Rooms = append(p.Rooms, model.Room{Capacity: c, Modes: model.Indep.Bit(), Key: key, Avail: []bool{true}, Accessible: r%2 == 0})
	}
	for i := 0; i < n; i++ {
		st := model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone, Interest: make([]float64, len(caps))}
		for k := range st.Interest {
			st.Interest[k] = math.Round(rng.Float64()*10) / 10
		}
		st.NeedsAccessible = acc && i%4 == 0
		p.Students = append(p.Students, st)
	}
	p.Finish()
	return p
}

// roomCaps draws the capacities of rooms rooms, each 1 to most, the first
// raised so that together they seat n students.
func roomCaps(rng *rand.Rand, rooms, most, n int) []int {
	caps := make([]int, rooms)
	total := 0
	for r := range caps {
		caps[r] = 1 + rng.IntN(most)
		total += caps[r]
	}
	if total < n {
		caps[0] += n - total
	}
	return caps
}

// bestRooms is the optimum of the one-slot room assignment by exhaustive
// search over every student's room.
func bestRooms(p *model.Problem) float64 {
	load := make([]int, len(p.Rooms))
	best := math.Inf(-1)
	var rec func(i int, v float64)
	rec = func(i int, v float64) {
		if i == len(p.Students) {
			best = math.Max(best, v)
			return
		}
		for r := range p.Rooms {
			if load[r] < p.Rooms[r].Capacity && p.IndepRoomOK(i, 0, r) {
				load[r]++
				rec(i+1, v+p.IndepValue(i, 0, r))
				load[r]--
			}
		}
	}
	rec(0, 0)
	return best
}

// TestOptimizeRoomsIsExact places students in rooms in index order (a poor
// assignment), runs optimizeRooms, and compares with the exhaustive optimum.
// In half the trials rooms share topics (optimizeRooms computes a student's
// arcs once per topic and accessibility).
func TestOptimizeRoomsIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 120; trial++ {
		n := 3 + rng.IntN(5)
		caps := roomCaps(rng, 2+rng.IntN(4), 3, n)
		p := roomsProblem(rng, n, caps, trial%2 == 1, trial%4 >= 2)
		sol := model.NewSolution(p)
		e := newEngine(p, sol)
		e.placeIndependent(0) // first fitting room of best value, in order
		for i := range p.Students {
			if sol.Mode(i, 0) == model.None {
				t.Fatalf("trial %d: student %d unplaced before the reassignment", trial, i)
			}
		}
		d := e.optimizeRooms(0)
		if d < -1e-9 {
			t.Fatalf("trial %d: optimizeRooms lost %v", trial, -d)
		}
		if err := sol.Verify(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		want := bestRooms(p)
		if got := sol.Objective(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("trial %d (%d students, capacities %v): objective %v after optimizeRooms, optimum %v", trial, n, caps, got, want)
		}
	}
}

// TestOptimizeRoomsLeavesNothingToImprove runs optimizeRooms on slots too
// large for exhaustive search (up to 60 students, 12 rooms sharing topics,
// many cycles per call) and then again on a fresh engine, whose arcs are all
// computed anew: the second call must find nothing, or the first one's
// arcs, kept up to date move by move, went stale.
func TestOptimizeRoomsLeavesNothingToImprove(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for trial := 0; trial < 40; trial++ {
		n := 20 + rng.IntN(41)
		caps := roomCaps(rng, 4+rng.IntN(9), 8, n)
		p := roomsProblem(rng, n, caps, true, true)
		sol := model.NewSolution(p)
		e := newEngine(p, sol)
		e.placeIndependent(0)
		if d := e.optimizeRooms(0); d < -1e-9 {
			t.Fatalf("trial %d: optimizeRooms lost %v", trial, -d)
		}
		if err := sol.Verify(); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if d := newEngine(p, sol).optimizeRooms(0); d > 1e-9 {
			t.Fatalf("trial %d (%d students, capacities %v): a second call still gained %v", trial, n, caps, d)
		}
	}
}

// TestOptimizeRoomsKeepsRoomPins checks that a student pinned to a room stays.
func TestOptimizeRoomsKeepsRoomPins(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	p := roomsProblem(rng, 4, []int{2, 2, 2}, false, false)
	// Student 0 loves room 1 but is pinned to room 0.
	p.Students[0].Interest = []float64{0, 1, 0}
	p.Pins = []model.Pin{{Student: 0, Slot: 0, Mode: model.Indep, Teacher: -1, Room: 0, Skill: -1}}
	p.Finish()
	sol := model.NewSolution(p)
	e := newEngine(p, sol)
	sol.Move(0, 0, model.Indep, 0)
	e.placeIndependent(0)
	e.optimizeRooms(0)
	if got := sol.Ref(0, 0); sol.Mode(0, 0) != model.Indep || got != 0 {
		t.Fatalf("pinned student moved to room %d", got)
	}
	if err := sol.Verify(); err != nil {
		t.Fatal(err)
	}
}
