package heuristic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// crowdedSlot is one slot with rooms that share topics and accessibility
// (so several rooms are alike to a student), small capacities (so rooms
// fill and free up as students move), three teachers of one subject with
// three skills, and students with random masteries, interests and needs.
func crowdedSlot(rng *rand.Rand) *model.Problem {
	p := &model.Problem{
		P: model.Params{MasteryThreshold: 0.8, LevelBand: 0.25, GroupMin: 2, GroupMax: 4, TutoringMax: 1,
			WGroup: 1, WTutor: 2, WIndep: 0.2, WInterest: 0.3, WStable: 0.1, WContact: 1, ContactTarget: 2,
			PUnplaced: 1000, PIEPMinute: 10},
		Slots:       []model.Slot{{Minutes: 45}},
		Skills:      []model.Skill{{Subject: 0, Key: 0}, {Subject: 0, Key: 0}, {Subject: 0, Key: 0}},
		NumSubjects: 1, NumKeys: 3,
	}
	session := model.Group.Bit() | model.Tutor.Bit()
	for r, key := range []int{0, 0, 1, 1, 2, -1, -1, 1} {
		rm := model.Room{Capacity: 1 + rng.IntN(3), Modes: model.Indep.Bit(), Key: key, Avail: []bool{true}, Accessible: r%3 == 0}
		if r >= 5 {
			rm.Modes, rm.Stations, rm.Capacity = session|model.Indep.Bit(), 1, 4+rng.IntN(3)
		}
		p.Rooms = append(p.Rooms, rm)
	}
	for range 3 {
		p.Teachers = append(p.Teachers, model.Teacher{Subjects: []bool{true}, Limit: 1, Avail: []bool{true}})
	}
	for i := range 24 {
		st := model.Student{Priority: 1, Avail: []bool{true}, MaxGroup: model.MaxGroupNone, Interest: make([]float64, 3),
			NeedsAccessible: i%7 == 0}
		for k := range st.Interest {
			st.Interest[k] = math.Round(rng.Float64()*10) / 10
		}
		for k := range p.Skills {
			if rng.IntN(3) > 0 {
				m := math.Round(rng.Float64()*70) / 100
				st.Focus = append(st.Focus, model.Focus{Skill: k, Mastery: m, Need: 1 - m})
			}
		}
		p.Students = append(p.Students, st)
	}
	p.Finish()
	return p
}

// bestMoveByScan is the best objective change of moving i in slot t by the
// scan of every room and teacher that the index replaces (0 if none gains).
func bestMoveByScan(sol *model.Solution, i, t int) float64 {
	p := sol.P
	cur, ref := sol.Mode(i, t), sol.Ref(i, t)
	if cur.IsSession() && sol.Sessions[ref].Mode == model.Group && len(sol.Sessions[ref].Members) <= p.P.GroupMin {
		return 0
	}
	best := 0.0
	for r := range p.Rooms {
		if !(cur == model.Indep && r == ref) && sol.CanIndep(i, t, r) {
			best = math.Max(best, sol.DeltaMove(i, t, model.Indep, r))
		}
	}
	for j := range p.Teachers {
		if id := sol.Busy(j, t); id >= 0 && !(cur.IsSession() && id == ref) && sol.CanJoin(i, id) {
			best = math.Max(best, sol.DeltaMove(i, t, sol.Sessions[id].Mode, id))
		}
	}
	if best <= eps {
		return 0
	}
	return best
}

// TestRelocateFindsTheBestMove: relocation by the slot index (sessions by
// skill, one free room per topic and accessibility) makes, student after
// student, the move a scan of every room and teacher finds best — also
// after rooms filled and freed by earlier moves, which the index's cursors
// must follow. Starting points: the construction's schedule with students
// scattered to random rooms and some left unplaced.
func TestRelocateFindsTheBestMove(t *testing.T) {
	moved := 0
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 7))
		p := crowdedSlot(rng)
		sol, _, err := Construct(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Students {
			if sol.Mode(i, 0) != model.Indep {
				continue
			}
			switch rng.IntN(3) {
			case 0:
				sol.Move(i, 0, model.None, -1)
			case 1:
				if r := rng.IntN(len(p.Rooms)); sol.CanIndep(i, 0, r) {
					sol.Move(i, 0, model.Indep, r)
				}
			}
		}
		e := newEngine(p, sol)
		e.places.index(p, sol, 0)
		for i := range p.Students {
			want := bestMoveByScan(sol, i, 0)
			before := sol.Objective()
			e.relocate(i, 0)
			if got := sol.Objective() - before; math.Abs(got-want) > 1e-9 {
				t.Fatalf("seed %d, student %d: relocation gained %v, the best move gains %v", seed, i, got, want)
			}
			if want > 0 {
				moved++
			}
		}
		if err := sol.Verify(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if moved < 30 {
		t.Fatalf("only %d improving relocations over 30 cases; the cases no longer exercise the index", moved)
	}
}
