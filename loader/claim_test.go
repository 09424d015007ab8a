package loader_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/weekplan/weekplan/loader"
	"github.com/weekplan/weekplan/loader/loadertest"
)

func TestClaim(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	other, err := loader.Open(ctx, url) // a second process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	release, ok, err := db.Claim(ctx, "lincoln-ms", "2026-11-30")
	if err != nil || !ok {
		t.Fatalf("first claim: ok %v, err %v; want ok", ok, err)
	}
	if _, ok, err := other.Claim(ctx, "lincoln-ms", "2026-11-30"); err != nil || ok {
		t.Fatalf("second claim of a held week: ok %v, err %v; want not ok", ok, err)
	}
	// Other weeks and schools are free.
	for _, sw := range [][2]string{{"lincoln-ms", "2026-12-07"}, {"other-ms", "2026-11-30"}} {
		r, ok, err := other.Claim(ctx, sw[0], sw[1])
		if err != nil || !ok {
			t.Fatalf("claim of %v: ok %v, err %v; want ok", sw, ok, err)
		}
		r()
	}
	release()
	release() // a second call does nothing
	r, ok, err := other.Claim(ctx, "lincoln-ms", "2026-11-30")
	if err != nil || !ok {
		t.Fatalf("claim after release: ok %v, err %v; want ok", ok, err)
	}
	r()
	if _, _, err := db.Claim(ctx, "lincoln-ms", "30/11/2026"); err == nil {
		t.Error("a claim of a malformed week succeeded")
	}
}

// TestClaimDiesWithConnection: a claim whose session ends (a crashed
// process, a terminated backend) frees the week.
func TestClaimDiesWithConnection(t *testing.T) {
	t.Parallel()
	db, url := loadertest.NewDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	crashed, err := loader.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	release, ok, err := crashed.Claim(ctx, "lincoln-ms", "2026-11-30")
	if err != nil || !ok {
		t.Fatalf("claim: ok %v, err %v", ok, err)
	}
	_, err = db.SQL().ExecContext(ctx, `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := db.Claim(ctx, "lincoln-ms", "2026-11-30")
	if err != nil || !ok {
		t.Fatalf("claim after the holder's backend ended: ok %v, err %v; want ok", ok, err)
	}
	r()
	release() // unlocking on the dead connection fails quietly
	crashed.Close()
}

func TestLatestVersion(t *testing.T) {
	t.Parallel()
	db, inst := importBench(t, "tiny-30-seed101.json")
	ctx := context.Background()
	school, week := inst.School.ID, inst.WeekStart
	if _, err := db.LatestVersion(ctx, school, "2031-01-06"); !errors.Is(err, loader.ErrNotFound) {
		t.Errorf("unknown week: err %v, want ErrNotFound", err)
	}
	v, err := db.LatestVersion(ctx, school, week)
	if err != nil || v != nil {
		t.Fatalf("week without versions: %+v, %v; want nil, nil", v, err)
	}
	sched := independentSchedule(inst)
	for i, meta := range []loader.RunMeta{{InputHash: "h1", Seed: 1}, {InputHash: "h2", Seed: 7}} {
		if _, err := db.SaveSchedule(ctx, school, week, sched, meta); err != nil {
			t.Fatal(err)
		}
		v, err := db.LatestVersion(ctx, school, week)
		if err != nil {
			t.Fatal(err)
		}
		if v == nil || v.Version != i+1 || v.InputHash != meta.InputHash || v.Seed != meta.Seed || v.State != loader.StateDraft {
			t.Errorf("after save %d: got %+v, want version %d hash %s seed %d draft", i+1, v, i+1, meta.InputHash, meta.Seed)
		}
		if v != nil && (v.UnplacedSlots != 1 || v.ShortfallMinutes != 55 || v.Objective != 1234.5678) {
			t.Errorf("after save %d: counts %d/%d objective %v, want 1/55 and 1234.5678", i+1, v.UnplacedSlots, v.ShortfallMinutes, v.Objective)
		}
	}
}
