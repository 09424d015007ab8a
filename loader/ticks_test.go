package loader_test

import (
	"context"
	"testing"
	"time"

	"github.com/weekplan/weekplan/loader/loadertest"
)

func TestTicksMoveForwardOnly(t *testing.T) {
	t.Parallel()
	db, _ := loadertest.NewDB(t)
	ctx := context.Background()
	const zone, spec = "America/New_York", "0 18 * * FRI"
	if _, ok, err := db.LastTick(ctx, zone, spec); err != nil || ok {
		t.Fatalf("fresh database: ok %v, err %v; want no tick", ok, err)
	}
	fri := time.Date(2026, 11, 20, 23, 0, 0, 0, time.UTC)
	steps := []struct {
		name   string
		record time.Time
		want   time.Time
	}{
		{"first", fri, fri},
		{"later", fri.AddDate(0, 0, 7), fri.AddDate(0, 0, 7)},
		{"earlier is ignored", fri, fri.AddDate(0, 0, 7)},
	}
	for _, s := range steps {
		if err := db.RecordTick(ctx, zone, spec, s.record); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got, ok, err := db.LastTick(ctx, zone, spec)
		if err != nil || !ok || !got.Equal(s.want) {
			t.Errorf("%s: got %v (ok %v, err %v), want %v", s.name, got, ok, err, s.want)
		}
	}
	// Another spec or zone is another row.
	if _, ok, _ := db.LastTick(ctx, zone, "@daily"); ok {
		t.Error("a tick of another spec was found")
	}
	if _, ok, _ := db.LastTick(ctx, "UTC", spec); ok {
		t.Error("a tick of another zone was found")
	}
}
