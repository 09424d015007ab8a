package solver_test

import (
	"encoding/json"
	"testing"

	"github.com/weekplan/weekplan/fixtures"
	"github.com/weekplan/weekplan/solver"
)

func benchInstance(t testing.TB, name string) *solver.Instance {
	t.Helper()
	inst, err := fixtures.Bench(name)
	if err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	return inst
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
