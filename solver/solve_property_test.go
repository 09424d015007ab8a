package solver_test

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

// knownOptimum is the proven optimum of tiny-30-seed101 (bench/README.md).
const knownOptimum = -499.466

func solveOK(t *testing.T, inst *solver.Instance, opt solver.Options) *solver.Result {
	t.Helper()
	res, err := solver.Solve(context.Background(), inst, opt)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	rep := solver.Check(inst, res.Schedule)
	if !rep.Valid() {
		t.Fatalf("Check rejects the schedule: %v", rep.Violations)
	}
	if d := math.Abs(rep.Score.Total - res.Schedule.Objective); d > solver.ObjectiveTolerance(rep.Score.Total) {
		t.Fatalf("objective: got %v, checker scores %v", res.Schedule.Objective, rep.Score.Total)
	}
	if res.Score.Total != res.Schedule.Objective {
		t.Fatalf("Result.Score.Total %v != Schedule.Objective %v", res.Score.Total, res.Schedule.Objective)
	}
	if res.HasBound {
		if res.Schedule.Bound == nil || *res.Schedule.Bound != res.Bound {
			t.Fatalf("bound not written consistently")
		}
		if res.Bound < res.Score.Total-solver.ObjectiveTolerance(res.Score.Total) {
			t.Fatalf("bound %v below objective %v", res.Bound, res.Score.Total)
		}
	} else if res.Schedule.Bound != nil {
		t.Fatalf("unproven bound written")
	}
	return res
}

func TestSolveBenchInstancesAreValid(t *testing.T) {
	for _, name := range []string{"tiny-30-seed101", "small-60-seed101", "small-120-tight-seed101"} {
		t.Run(name, func(t *testing.T) {
			inst := benchInstance(t, name)
			res := solveOK(t, inst, solver.Options{Effort: 10})
			if len(res.Schedule.Unplaced) != res.Score.UnplacedSlots {
				t.Errorf("unplaced: got %d listed, want %d", len(res.Schedule.Unplaced), res.Score.UnplacedSlots)
			}
			if name == "tiny-30-seed101" {
				if !res.HasBound {
					t.Fatalf("no bound on %s", name)
				}
				if res.Bound < knownOptimum-1e-6*math.Abs(knownOptimum) {
					t.Errorf("bound %v below the known optimum %v", res.Bound, knownOptimum)
				}
				if res.Score.Total > knownOptimum+1e-6*math.Abs(knownOptimum) {
					t.Errorf("objective %v above the known optimum %v: checker or reference wrong", res.Score.Total, knownOptimum)
				}
			}
		})
	}
}

func TestSolveHonoursPins(t *testing.T) {
	inst := benchInstance(t, "medium-300-seed101")
	res := solveOK(t, inst, solver.Options{Effort: 2})
	type key struct{ student, slot string }
	where := map[key][]string{} // mode, teacher, room, skill
	for _, s := range res.Schedule.Sessions {
		for _, st := range s.Students {
			where[key{st, s.Slot}] = []string{string(s.Mode), s.Teacher, s.Room, s.Skill}
		}
	}
	for _, w := range res.Schedule.Independent {
		for _, st := range w.Students {
			where[key{st, w.Slot}] = []string{string(solver.Independent), "", w.Room, ""}
		}
	}
	for _, pn := range inst.Pins {
		got, ok := where[key{pn.Student, pn.Slot}]
		if !ok {
			t.Fatalf("pin %+v: student not placed", pn)
		}
		want := []string{string(pn.Mode), pn.Teacher, pn.Room, pn.Skill}
		for x := range want {
			if want[x] != "" && want[x] != got[x] {
				t.Errorf("pin %+v: got placement %v", pn, got)
			}
		}
	}
}

func TestSolveIsDeterministic(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	a := solveOK(t, inst, solver.Options{Seed: 3, Effort: 8, Workers: 1})
	b := solveOK(t, benchInstance(t, "small-60-seed101"), solver.Options{Seed: 3, Effort: 8, Workers: 2})
	c := solveOK(t, benchInstance(t, "small-60-seed101"), solver.Options{Seed: 3, Effort: 8, Workers: 4})
	ja, jb, jc := mustJSON(t, a.Schedule), mustJSON(t, b.Schedule), mustJSON(t, c.Schedule)
	if !bytes.Equal(ja, jb) || !bytes.Equal(ja, jc) {
		t.Fatalf("schedules differ between Workers=1, 2 and 4")
	}
}

func TestMoreEffortIsNeverWorse(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	prev := math.Inf(-1)
	for _, effort := range []int{1, 3, 10, 30} {
		res := solveOK(t, inst, solver.Options{Seed: 1, Effort: effort})
		if res.Score.Total < prev-1e-9 {
			t.Errorf("effort %d: objective %v, worse than %v with less effort", effort, res.Score.Total, prev)
		}
		prev = res.Score.Total
	}
}

func TestSolveCancelledStillValid(t *testing.T) {
	inst := benchInstance(t, "small-120-seed101")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := solver.Solve(ctx, inst, solver.Options{})
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if rep := solver.Check(inst, res.Schedule); !rep.Valid() {
		t.Fatalf("cancelled solve returned an invalid schedule: %v", rep.Violations)
	}
	if res.Stopped != "cancelled" {
		t.Errorf("Stopped: got %q, want %q", res.Stopped, "cancelled")
	}
	// The construction honours the context too: with it already done, only
	// the sessions the pins force are opened.
	pinned := map[[2]string]bool{}
	for _, p := range inst.Pins {
		if p.Teacher != "" || p.Mode == solver.SmallGroup || p.Mode == solver.Tutoring {
			pinned[[2]string{p.Slot, p.Student}] = true
		}
	}
	if n := len(res.Schedule.Sessions); n > len(pinned) {
		t.Errorf("a cancelled solve opened %d sessions; the pins force at most %d", n, len(pinned))
	}
}

func TestSolveRejectsInvalidInstance(t *testing.T) {
	inst := benchInstance(t, "tiny-30-seed101")
	inst.Students[0].Apart = []string{inst.Students[0].ID}
	if _, err := solver.Solve(context.Background(), inst, solver.Options{}); err == nil {
		t.Fatal("Solve accepted an instance whose student is apart from itself")
	}
}

func BenchmarkSolve(b *testing.B) {
	for _, name := range []string{"tiny-30-seed101", "small-120-seed101", "medium-300-seed101", "large-1000-seed101"} {
		inst := benchInstance(b, name)
		b.Run("students="+itoa(len(inst.Students)), func(b *testing.B) {
			var res *solver.Result
			for b.Loop() {
				var err error
				if res, err = solver.Solve(context.Background(), inst, solver.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(res.Score.Total, "objective")
			if res.HasBound {
				b.ReportMetric(res.Bound-res.Score.Total, "gap")
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// TestBoundsNeverBelowKnownSchedules checks each proven bound on its own
// against the public benchmark's reference (fixtures/bench/reference.json):
// never below the objective of the reference's validated schedule (a
// feasible objective is a lower bound on the optimum), and so never below a
// proven optimum.
func TestBoundsNeverBelowKnownSchedules(t *testing.T) {
	refs, err := fixtures.References()
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatal("no benchmark references embedded")
	}
	for name, ref := range refs {
		t.Run(name, func(t *testing.T) {
			inst := benchInstance(t, name)
			b, err := solver.Bounds(inst, 100, ref.Objective)
			if err != nil {
				t.Fatal(err)
			}
			checkEachBound(t, b, ref.Objective, "the reference objective ("+ref.Status+")")
		})
	}
}

// checkEachBound fails t for every bound in b below the value known to be
// achievable (an optimum or a validated schedule's objective).
func checkEachBound(t *testing.T, b solver.EachBound, known float64, what string) {
	t.Helper()
	tol := 1e-6 * math.Max(1, math.Abs(known))
	for _, x := range []struct {
		name  string
		value float64
	}{{"capacity", b.Capacity}, {"Lagrangian from seat prices", b.SeatPrice}, {"Lagrangian from IEP shares", b.IEPShare}} {
		if x.value < known-tol {
			t.Errorf("%s bound %v below %s %v", x.name, x.value, what, known)
		}
	}
}

// TestSeatPriceStartTighterThanCapacity checks the seat-price start of the
// Lagrangian (docs/model.md §5.1): its line search alone — 20 evaluations,
// no subgradient step — already gives a bound below the capacity bound on
// the public schools where teacher time is the scarce resource (on the
// 1,000-student school the capacity bound's gap is about 30 %, the start's
// about 5 %), and stays a valid bound.
func TestSeatPriceStartTighterThanCapacity(t *testing.T) {
	refs, err := fixtures.References()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"medium-300-seed101", "large-1000-seed101"} {
		t.Run(name, func(t *testing.T) {
			inst := benchInstance(t, name)
			ref, hasRef := refs[name]
			b, err := solver.Bounds(inst, 20, ref.Objective)
			if err != nil {
				t.Fatal(err)
			}
			if b.SeatPrice >= b.Capacity {
				t.Errorf("seat-price start %v not below the capacity bound %v", b.SeatPrice, b.Capacity)
			}
			if hasRef && b.SeatPrice < ref.Objective {
				t.Errorf("seat-price start %v below the reference objective %v", b.SeatPrice, ref.Objective)
			}
		})
	}
}

// TestCombinedLagrangianIsTheSmallerRun checks how Solve combines the
// Lagrangian's starts (docs/model.md §5.1): without unmet IEP minutes only
// the seat-price run counts; with them both runs share the iteration budget
// and the smaller bound is reported — the same with one worker or two.
func TestCombinedLagrangianIsTheSmallerRun(t *testing.T) {
	inst := benchInstance(t, "tiny-30-seed101")
	const iterations, incumbent = 400, -510.0
	half, err := solver.Bounds(inst, iterations/2, incumbent)
	if err != nil {
		t.Fatal(err)
	}
	full, err := solver.Bounds(inst, iterations, incumbent)
	if err != nil {
		t.Fatal(err)
	}
	seatOnly, _, err := solver.CombinedLagrangian(inst, iterations, incumbent, false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if seatOnly != full.SeatPrice {
		t.Errorf("without unmet IEP minutes: bound %v, want the seat-price run's %v", seatOnly, full.SeatPrice)
	}
	want := math.Min(half.SeatPrice, half.IEPShare)
	for _, workers := range []int{1, 2} {
		got, its, err := solver.CombinedLagrangian(inst, iterations, incumbent, true, workers)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%d worker(s): bound %v, want the smaller of the two half-budget runs (seat prices %v, IEP shares %v)", workers, got, half.SeatPrice, half.IEPShare)
		}
		if its > iterations {
			t.Errorf("%d worker(s): %d iterations for a budget of %d", workers, its, iterations)
		}
	}
}

// TestMeetSharesTheBestChain checks the end of a leg of the search
// (docs/model.md §4.2): every chain goes on from the best schedule of all —
// a copy placement for placement — and a tie goes to the first chain with
// the best objective.
func TestMeetSharesTheBestChain(t *testing.T) {
	inst := benchInstance(t, "small-60-seed101")
	// Chains 1 and 2 run the same search, so they tie above chain 0 (the
	// construction) and chain 3 (a shorter search).
	before, after, win, same, err := solver.MeetChains(inst, []int{0, 6, 6, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !(before[1] == before[2] && before[1] > before[0] && before[1] > before[3]) {
		t.Fatalf("set-up: objectives %v, want chains 1 and 2 tied above the others", before)
	}
	if win != 1 {
		t.Errorf("winner %d, want 1 (the first of the tied best chains; objectives %v)", win, before)
	}
	for c, obj := range after {
		if obj != before[1] {
			t.Errorf("chain %d goes on from objective %v, want the best %v", c, obj, before[1])
		}
	}
	if !same {
		t.Error("after the meeting the chains' schedules differ from the winner's")
	}
}

// TestBundleGoesOnWhereTheSubgradientStalls checks the bound's last phase
// (docs/model.md §5.5) on a generated 400-student school, where the
// subgradient steps after the seat-price start never improve on it: without
// the bundle method the run stops at the stall, well inside its budget; with
// it the run uses the rest of the budget and ends lower — lower again with
// the room prices among its variables — and all stay above a schedule Solve
// found.
func TestBundleGoesOnWhereTheSubgradientStalls(t *testing.T) {
	inst := fixtures.Generate(fixtures.GenOptions{Students: 400, Seed: 1})
	res, err := solver.Solve(context.Background(), inst, solver.Options{Seed: 1, Effort: 5})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 160
	known := res.Score.Total
	bound := func(bundle, rooms bool) (float64, int) {
		t.Helper()
		v, it, err := solver.SeatPriceBound(inst, budget, res.ConstructionObjective, bundle, rooms)
		if err != nil {
			t.Fatal(err)
		}
		if v < known {
			t.Errorf("bound %v (bundle %v, room prices %v) below the objective %v of a schedule", v, bundle, rooms, known)
		}
		return v, it
	}
	without, itWithout := bound(false, false)
	lambdaOnly, itLambda := bound(true, false)
	with, itWith := bound(true, true)
	// The line search's 10 evaluations (one floor, on a budget this small),
	// then at most a twelfth of the budget without a better bound
	// (docs/model.md §5.1), and the room prices' one.
	if itWithout > 10+budget/12+1 {
		t.Errorf("without the bundle the run took %d of %d evaluations: the subgradient did not stall here, or stalled too long", itWithout, budget)
	}
	if itLambda != budget || itWith != budget {
		t.Errorf("with the bundle the runs took %d and %d evaluations, want the whole budget %d", itLambda, itWith, budget)
	}
	// Measured: 5,323.1 → 5,189.9 (2.5 %) → 5,160.4 (0.6 %).
	if lambdaOnly > without*(1-0.01) {
		t.Errorf("bound with the bundle %v, without %v: want at least 1 %% lower", lambdaOnly, without)
	}
	if with > lambdaOnly*(1-0.003) {
		t.Errorf("bound with the room prices in the bundle %v, without %v: want at least 0.3 %% lower", with, lambdaOnly)
	}
}
