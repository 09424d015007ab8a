package bound

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// TestStudentScratchOutlivesItsStamps checks the student subproblem's
// dynamic programme with scratch that lives across evaluations (as it does
// since it is kept in relax): reused scratch, and scratch whose stamp
// counter wraps around (its stamps holding small counts from long ago), give
// the values a fresh scratch gives. Without the reset at the wrap, stale
// stamps read as this slot's and the programme merges states it must keep
// apart.
func TestStudentScratchOutlivesItsStamps(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 8))
	const T, S = 12, 30
	p := &model.Problem{P: model.Params{ContactTarget: 3, PUnplaced: 5, PIEPMinute: 0.2, WContact: 0.4}}
	for range T {
		p.Slots = append(p.Slots, model.Slot{Minutes: 45})
	}
	r := &relax{p: p, T: T, S: S, workers: 1,
		lambda: make([]float64, S*T*2), grad: make([]float64, S*T*2),
		indep: make([]float64, S*T), allowed: make([]uint8, S*T)}
	r.rooms.chose = make([]bool, S*T)
	for i := range S {
		st := model.Student{Priority: 1 + rng.Float64(), Avail: make([]bool, T)}
		for m := range st.MinMinutes {
			st.MinMinutes[m] = 45 * rng.IntN(4)
		}
		for s := range T {
			st.Avail[s] = rng.IntN(6) > 0
			r.allowed[i*T+s] = uint8(1 + rng.IntN(15))
			r.indep[i*T+s] = rng.Float64()
			r.lambda[(i*T+s)*2] = 2*rng.Float64() - 1
			r.lambda[(i*T+s)*2+1] = 2*rng.Float64() - 1
		}
		p.Students = append(p.Students, st)
	}
	reused := &dpScratch{}
	for i := range S {
		want := r.student(i, &dpScratch{})
		if got := r.student(i, reused); got != want {
			t.Fatalf("student %d: reused scratch gives %v, fresh %v", i, got, want)
		}
		// Scratch used long ago: its stamps hold small counts, its
		// positions anything; the counter wraps within this student's slots.
		wrapping := &dpScratch{}
		r.student(i, wrapping)
		for d := range wrapping.stamps {
			wrapping.stamps[d] = uint32(1 + rng.IntN(T))
			wrapping.pos[d] = int32(rng.IntN(2))
		}
		wrapping.stamp = math.MaxUint32 - 3
		if got := r.student(i, wrapping); got != want {
			t.Fatalf("student %d: scratch whose stamp wraps gives %v, fresh %v", i, got, want)
		}
	}
}
