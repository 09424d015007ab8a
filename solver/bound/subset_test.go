package bound

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weekplan/weekplan/solver/model"
)

// TestBestSubsetIsExact compares bestSubset, the teacher subproblem's session
// choice, with every subset of small random candidate lists: its value must
// be the best legal set's (size within the mode's limits, masteries within the
// level band) when that is positive, and nothing otherwise; its members must
// be such a set. It would fail if the window scan missed a window, or if the
// pruning of candidates before the sort dropped one a best set needs.
func TestBestSubsetIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 3000 {
		gmin := 1 + rng.IntN(3)
		p := &model.Problem{P: model.Params{
			GroupMin: gmin, GroupMax: gmin + rng.IntN(4), TutoringMax: 1 + rng.IntN(2),
			LevelBand: 0.05 + 0.4*rng.Float64(),
		}}
		n := rng.IntN(10)
		buf := make([]cand, n)
		for x := range buf {
			// A third of the weights negative, some exactly at the pruning
			// threshold's neighbourhood, masteries on a coarse grid so that
			// band edges and ties occur.
			buf[x] = cand{w: math.Round((rng.Float64()*4-1.3)*4) / 4, mastery: float64(rng.IntN(21)) / 20}
		}
		slices.SortStableFunc(buf, func(a, b cand) int {
			switch {
			case a.mastery < b.mastery:
				return -1
			case a.mastery > b.mastery:
				return 1
			}
			return 0
		})
		for x := range buf {
			buf[x].i = x
		}
		for _, m := range []model.Mode{model.Group, model.Tutor} {
			lo, hi := max(1, p.P.GroupMin), p.P.GroupMax
			if m == model.Tutor {
				lo, hi = 1, p.P.TutoringMax
			}
			want := math.Inf(-1)
			for set := 1; set < 1<<n; set++ {
				size, sum := 0, 0.0
				mlo, mhi := math.Inf(1), math.Inf(-1)
				for x := range n {
					if set&(1<<x) != 0 {
						size++
						sum += buf[x].w
						mlo, mhi = math.Min(mlo, buf[x].mastery), math.Max(mhi, buf[x].mastery)
					}
				}
				if size < lo || size > hi || m == model.Group && mhi-mlo > p.P.LevelBand+model.BandTol {
					continue
				}
				want = math.Max(want, sum)
			}
			b := &sessionBest{value: math.Inf(-1)}
			bestSubset(p, m, buf, &subsetScratch{}, b)
			if want <= 0 {
				if !math.IsInf(b.value, -1) || len(b.members) > 0 {
					t.Fatalf("trial %d mode %v: no positive set exists, got value %v members %v", trial, m, b.value, b.members)
				}
				continue
			}
			if math.Abs(b.value-want) > 1e-9 {
				t.Fatalf("trial %d mode %v: value %v, best legal set %v (buf %+v, params %+v)", trial, m, b.value, want, buf, p.P)
			}
			sum := 0.0
			mlo, mhi := math.Inf(1), math.Inf(-1)
			for _, i := range b.members {
				sum += buf[i].w
				mlo, mhi = math.Min(mlo, buf[i].mastery), math.Max(mhi, buf[i].mastery)
			}
			if len(b.members) < lo || len(b.members) > hi || m == model.Group && mhi-mlo > p.P.LevelBand+model.BandTol || math.Abs(sum-want) > 1e-9 {
				t.Fatalf("trial %d mode %v: members %v are not a best legal set (sum %v, want %v)", trial, m, b.members, sum, want)
			}
		}
	}
}

// TestBestWindowMatchesNaive checks the window search of bestSubset on
// lists too long to enumerate (20 to 300 candidates, where its Fenwick trees
// span many levels): for every window of one level band it must find the
// value of the window's lo largest weights plus its further positive ones
// up to hi, computed here by sorting each window on its own.
func TestBestWindowMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var sc subsetScratch
	for trial := range 500 {
		n := 20 + rng.IntN(281)
		buf := make([]cand, n)
		for x := range buf {
			buf[x] = cand{i: x, w: math.Round((rng.Float64()*3-1)*100) / 100, mastery: float64(rng.IntN(101)) / 100}
		}
		slices.SortStableFunc(buf, func(a, b cand) int { return cmpDesc(b.mastery, a.mastery) })
		lo := 1 + rng.IntN(3)
		hi := lo + rng.IntN(5)
		band := 0.05 + 0.3*rng.Float64()
		order := make([]int, n)
		for x := range order {
			order[x] = x
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmpDesc(buf[a].w, buf[b].w) })
		want := math.Inf(-1)
		for a := range buf {
			var ws []float64
			for y := a; y < n && buf[y].mastery-buf[a].mastery <= band; y++ {
				ws = append(ws, buf[y].w)
			}
			if len(ws) < lo {
				continue
			}
			slices.SortFunc(ws, cmpDesc)
			sum := 0.0
			for s, w := range ws {
				if s >= hi || (s >= lo && w <= 0) {
					break
				}
				sum += w
			}
			want = math.Max(want, sum)
		}
		_, _, got := bestWindow(buf, order, lo, hi, band, &sc)
		if math.Abs(got-want) > 1e-9 && !(math.IsInf(got, -1) && math.IsInf(want, -1)) {
			t.Fatalf("trial %d (n %d, lo %d, hi %d, band %.3f): best window %v, want %v", trial, n, lo, hi, band, got, want)
		}
	}
}
