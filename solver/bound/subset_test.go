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

// TestOwnOrderMatchesSort: a teacher's own small group takes its candidates'
// order from the shared group's (filtered, with the bonus students merged in)
// instead of sorting them; the order must be the one sorting gives, on
// random lists with tied and negative weights, students not allowed, bonus
// students, and scratch reused across calls (stale positions). It would fail
// if the shared order's cut were not widened by w_stable, if a bonus
// student were merged at the wrong place, or if a stale position were read.
func TestOwnOrderMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var sc subsetScratch
	checked := 0
	for trial := range 2000 {
		gmin := 1 + rng.IntN(3)
		n := 1 + rng.IntN(40)
		p := &model.Problem{
			P:       model.Params{GroupMin: gmin, GroupMax: gmin + 3, WStable: 0.25 * float64(1+rng.IntN(4))},
			Skills:  []model.Skill{{}},
			BySkill: [][]int{rng.Perm(n)},
		}
		w := make([]float64, n) // by position
		allowed := make([]bool, n)
		for pos := range w {
			w[pos] = math.Round((rng.Float64()*3-1.2)*4) / 4
			allowed[pos] = rng.IntN(5) > 0
		}
		// The shared group: every allowed position.
		var shared []cand
		var at []int32
		for pos, i := range p.BySkill[0] {
			if allowed[pos] {
				shared = append(shared, cand{i: i, w: w[pos]})
				at = append(at, int32(pos))
			}
		}
		r := &relax{p: p, sharedOrder: [][]int32{nil}}
		r.sharedGroupOrder(0, 0, shared, at, &sc)
		// The own group: a range of positions, some with the bonus.
		from := rng.IntN(n)
		to := from + rng.IntN(n-from)
		bufAt := grow(&sc.bufAt, n)
		sc.bonus = sc.bonus[:0]
		var buf []cand
		for pos := from; pos <= to; pos++ {
			if !allowed[pos] {
				continue
			}
			c := cand{i: p.BySkill[0][pos], w: w[pos]}
			bufAt[pos] = int32(len(buf))
			if rng.IntN(4) == 0 {
				c.w += p.P.WStable
				sc.bonus = append(sc.bonus, len(buf))
			}
			buf = append(buf, c)
		}
		got := slices.Clone(r.ownOrder(0, 0, buf, &sc))
		want := byWeight(p, model.Group, buf, 0, &subsetScratch{}, nil, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: own order %v, sorting gives %v (weights %v)", trial, got, want, buf)
		}
		if len(want) > 1 {
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d trials with two or more ordered candidates", checked)
	}
}

// TestOrdersMatchSort checks the two shortcuts to the candidates' order by
// weight against a plain sort, on random lists with many ties: byWeight
// started from a previous order (the last evaluation's, here a random one:
// a few swaps away, reversed, or holding positions that are no candidates)
// gives the sorted order, both when the insertion sort finishes and when
// it gives up; and heaviest gives its first h entries of positive weight
// (the tutoring session's candidates). Either would fail on a tie broken
// the other way, or on a candidate left out.
func TestOrdersMatchSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	p := &model.Problem{P: model.Params{GroupMin: 2, GroupMax: 5}}
	sc := &subsetScratch{} // shared by the trials, as by a slot's skills
	for trial := range 2000 {
		n := rng.IntN(40)
		buf := make([]cand, n)
		at := make([]int32, n)
		pos := int32(0)
		for x := range buf {
			buf[x].w = float64(rng.IntN(9)-3) / 2
			pos += 1 + int32(rng.IntN(2)) // positions increase, with gaps
			at[x] = pos
		}
		want := slices.Clone(byWeight(p, model.Group, buf, 0, &subsetScratch{}, nil, nil))
		hint := make([]int32, 0, n+3)
		for _, x := range want {
			hint = append(hint, at[x])
		}
		switch trial % 3 {
		case 0:
			for range 1 + rng.IntN(4) {
				if len(hint) > 1 {
					a, b := rng.IntN(len(hint)), rng.IntN(len(hint))
					hint[a], hint[b] = hint[b], hint[a]
				}
			}
		case 1:
			slices.Reverse(hint)
		case 2:
			rng.Shuffle(len(hint), func(a, b int) { hint[a], hint[b] = hint[b], hint[a] })
			hint = append(hint, pos+1, 0) // a position past the list, and one never used
			for gap := int32(1); gap < pos; gap++ {
				if !slices.Contains(at, gap) {
					hint = append(hint, gap) // positions between the candidates
				}
			}
			if len(hint) > 3 {
				hint = hint[2:] // two candidates missing from the hint
			}
		}
		for range 2 { // the scratch is reused: its position map must be left clean
			if got := byWeight(p, model.Group, buf, 0, sc, hint, at); !slices.Equal(got, want) {
				t.Fatalf("trial %d: with hint %v the order is %v, sorting gives %v (weights %v)", trial, hint, got, want, buf)
			}
		}
		for h := 0; h <= 4; h++ {
			var top []int
			for _, x := range byWeight(p, model.Tutor, buf, 0, &subsetScratch{}, nil, nil) {
				if len(top) < h && buf[x].w > 0 {
					top = append(top, x)
				}
			}
			if got := heaviest(buf, h, &subsetScratch{}); !slices.Equal(got, top) && !(len(got) == 0 && len(top) == 0) {
				t.Fatalf("trial %d: heaviest %d is %v, sorting gives %v (weights %v)", trial, h, got, top, buf)
			}
		}
	}
}
