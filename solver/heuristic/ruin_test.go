package heuristic

import (
	"math/rand/v2"
	"testing"
)

// TestOperatorWeightsFollowScores feeds one operator only new-best scores
// and the others only rejections: after a few segments the rewarded one is
// drawn most, the others keep at least their floor, and the draw is
// reproducible for a seed.
func TestOperatorWeightsFollowScores(t *testing.T) {
	w := newOperatorWeights()
	for x := 0; x < 10*segmentLength; x++ {
		op := destroyOp(x % int(numDestroyOps))
		score := 0.0
		if op == destroySkill {
			score = scoreBest
		}
		w.record(op, score)
	}
	for op, x := range w.weight {
		if destroyOp(op) != destroySkill && (x > w.weight[destroySkill] || x < minWeight) {
			t.Errorf("operator %d weight %v; rewarded operator %v, floor %v", op, x, w.weight[destroySkill], minWeight)
		}
	}
	count := func(seed uint64) [numDestroyOps]int {
		rng := rand.New(rand.NewPCG(seed, 1))
		var n [numDestroyOps]int
		for x := 0; x < 2000; x++ {
			n[w.pick(rng)]++
		}
		return n
	}
	n := count(3)
	for op, c := range n {
		if destroyOp(op) != destroySkill && c >= n[destroySkill] {
			t.Errorf("operator %d drawn %d times, the rewarded one %d", op, c, n[destroySkill])
		}
		if c == 0 {
			t.Errorf("operator %d never drawn: the floor weight should keep it alive", op)
		}
	}
	if count(3) != n {
		t.Error("the same seed drew differently")
	}
}
