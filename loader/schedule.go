package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"
	"github.com/weekplan/weekplan/solver"
)

// Version states.
const (
	StateDraft     = "draft"
	StatePublished = "published"
)

// RunMeta describes the run that produced a schedule.
type RunMeta struct {
	// InputHash is InputHash of the instance the schedule was computed from.
	InputHash string
	// Seed is the solver's seed.
	Seed int64
	// Force writes a new version even when the latest one has the same
	// InputHash and Seed.
	Force bool
}

// SaveResult says what SaveSchedule did.
type SaveResult struct {
	// Version is the version written, or, when Unchanged, the latest version.
	Version int
	// Unchanged is true when nothing was written because the latest version
	// was computed from the same input and seed.
	Unchanged bool
}

// VersionInfo describes one stored schedule version of a week.
type VersionInfo struct {
	Version          int
	CreatedAt        time.Time
	State            string // StateDraft or StatePublished
	Objective        float64
	Bound            *float64 // nil when no bound was proven
	InputHash        string
	UnplacedSlots    int
	ShortfallMinutes int
	Seed             int64
	// Shortfalls is the number of the version's shortfalls (one per student
	// and mode), Acknowledged how many of them an administrator has
	// acknowledged, and AcknowledgedBy who did, each name once, sorted.
	Shortfalls     int
	Acknowledged   int
	AcknowledgedBy []string
}

// ShortfallsAcknowledged reports whether every shortfall of the version is
// acknowledged (true when it has none): the version may then be published
// without acknowledging anything more.
func (v VersionInfo) ShortfallsAcknowledged() bool { return v.Acknowledged >= v.Shortfalls }

// scheduleLockKey names the advisory lock that serialises the writers of one
// week's versions.
func scheduleLockKey(school, week string) string {
	return "weekplan/schedule/" + school + "/" + week
}

// SaveSchedule stores sched as a new draft version of the week (numbered
// latest+1), with its sessions, placements, unplaced slots and shortfalls, in
// one transaction: a failure at any point leaves earlier versions as they
// were. Writers of one week are serialised by an advisory lock, so any number
// of concurrent callers with the same input produce one version: when the
// latest version has meta's InputHash and Seed and meta.Force is false,
// nothing is written and the result is Unchanged.
//
// The week must be stored (else the error wraps ErrNotFound). The schedule is
// stored in the form NormalizeSchedule gives; its School and WeekStart fields
// are ignored. A row the schema refuses (a student twice in a slot, a teacher
// in two sessions of a slot, ...) comes back as a *ConstraintError.
func (d *DB) SaveSchedule(ctx context.Context, school, week string, sched *solver.Schedule, meta RunMeta) (SaveResult, error) {
	res, err := d.saveSchedule(ctx, school, week, sched, meta)
	if err != nil {
		return SaveResult{}, fmt.Errorf("saving schedule of school %q week %s: %w", school, week, err)
	}
	return res, nil
}

func (d *DB) saveSchedule(ctx context.Context, school, week string, sched *solver.Schedule, meta RunMeta) (SaveResult, error) {
	if sched == nil {
		return SaveResult{}, errors.New("no schedule")
	}
	if err := checkWeekStart(week); err != nil {
		return SaveResult{}, err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return SaveResult{}, err
	}
	defer tx.Rollback()
	if err := lockKey(ctx, tx, scheduleLockKey(school, week)); err != nil {
		return SaveResult{}, err
	}
	weekID, err := weekID(ctx, tx, school, week)
	if err != nil {
		return SaveResult{}, err
	}
	var slotOrder []string
	err = tx.QueryRowContext(ctx, `SELECT coalesce(array_agg(id ORDER BY pos), '{}') FROM slots WHERE week_id = $1`,
		weekID).Scan(pq.Array(&slotOrder))
	if err != nil {
		return SaveResult{}, err
	}

	var latest int
	var latestHash string
	var latestSeed int64
	err = tx.QueryRowContext(ctx, `SELECT version, input_hash, seed FROM schedule_versions
		WHERE week_id = $1 ORDER BY version DESC LIMIT 1`, weekID).Scan(&latest, &latestHash, &latestSeed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SaveResult{}, err
	}
	if latest > 0 && latestHash == meta.InputHash && latestSeed == meta.Seed && !meta.Force {
		return SaveResult{Version: latest, Unchanged: true}, tx.Commit()
	}

	s := canonicalSchedule(sched, slotOrder)
	shortfall := 0
	for _, f := range s.Shortfalls {
		shortfall += f.Minutes
	}
	var bound any
	if s.Bound != nil {
		bound = *s.Bound
	}
	version := latest + 1
	var versionID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO schedule_versions
		(week_id, version, state, objective, bound, input_hash, seed, unplaced_slots, shortfall_minutes, slot_order)
		VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		weekID, version, s.Objective, bound, meta.InputHash, meta.Seed, len(s.Unplaced), shortfall,
		pq.Array(slotOrder)).Scan(&versionID)
	if err != nil {
		return SaveResult{}, constraintError(err, "schedule_versions", fmt.Sprintf("version %d", version))
	}
	for _, t := range scheduleTables(versionID, s) {
		if err := t.copy(ctx, tx, 0); err != nil {
			return SaveResult{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return SaveResult{}, err
	}
	return SaveResult{Version: version}, nil
}

// scheduleTables returns the rows of the schedule tables for the canonical
// schedule s stored as version row versionID.
func scheduleTables(versionID int64, s *solver.Schedule) []*copyTable {
	sessions := &copyTable{name: "schedule_sessions",
		columns: []string{"version_id", "session_no", "slot_id", "mode", "teacher_id", "room_id", "skill_id"}}
	placements := &copyTable{name: "placements",
		columns: []string{"version_id", "student_id", "slot_id", "mode", "room_id", "session_no", "teacher_id", "skill_id"}}
	unplaced := &copyTable{name: "unplaced", columns: []string{"version_id", "student_id", "slot_id", "reason"}}
	shortfalls := &copyTable{name: "shortfalls", columns: []string{"version_id", "student_id", "mode", "minutes", "reason"}}

	for i, se := range s.Sessions {
		no := i + 1
		rec := fmt.Sprintf("session %d (slot %q teacher %q)", no, se.Slot, se.Teacher)
		sessions.add(rec, versionID, no, se.Slot, string(se.Mode), se.Teacher, se.Room, se.Skill)
		for _, st := range se.Students {
			placements.add(fmt.Sprintf("%s student %q", rec, st),
				versionID, st, se.Slot, string(se.Mode), se.Room, no, se.Teacher, se.Skill)
		}
	}
	for _, w := range s.Independent {
		for _, st := range w.Students {
			placements.add(fmt.Sprintf("independent (slot %q room %q) student %q", w.Slot, w.Room, st),
				versionID, st, w.Slot, string(solver.Independent), w.Room, nil, nil, nil)
		}
	}
	for _, u := range s.Unplaced {
		unplaced.add(fmt.Sprintf("unplaced (student %q slot %q)", u.Student, u.Slot),
			versionID, u.Student, u.Slot, u.Reason)
	}
	for _, f := range s.Shortfalls {
		shortfalls.add(fmt.Sprintf("shortfall (student %q mode %q)", f.Student, f.Mode),
			versionID, f.Student, string(f.Mode), f.Minutes, f.Reason)
	}
	return []*copyTable{sessions, placements, unplaced, shortfalls}
}

// versionColumns are the columns of schedule_versions that VersionInfo holds.
const versionColumns = `v.id, v.version, v.created_at, v.state, v.objective, v.bound, v.input_hash,
	v.unplaced_slots, v.shortfall_minutes, v.seed,
	(SELECT count(*) FROM shortfalls f WHERE f.version_id = v.id),
	(SELECT count(*) FROM shortfall_acknowledgements a WHERE a.version_id = v.id),
	(SELECT coalesce(array_agg(DISTINCT a.acknowledged_by COLLATE "C" ORDER BY a.acknowledged_by COLLATE "C"), '{}')
		FROM shortfall_acknowledgements a WHERE a.version_id = v.id)`

func scanVersion(row interface{ Scan(...any) error }, id *int64, extra ...any) (VersionInfo, error) {
	var vi VersionInfo
	var bound sql.NullFloat64
	dest := append([]any{id, &vi.Version, &vi.CreatedAt, &vi.State, &vi.Objective, &bound, &vi.InputHash,
		&vi.UnplacedSlots, &vi.ShortfallMinutes, &vi.Seed,
		&vi.Shortfalls, &vi.Acknowledged, pq.Array(&vi.AcknowledgedBy)}, extra...)
	if err := row.Scan(dest...); err != nil {
		return VersionInfo{}, err
	}
	if bound.Valid {
		b := bound.Float64
		vi.Bound = &b
	}
	return vi, nil
}

// History returns every stored version of the week, oldest first. A week that
// is not stored gives an error wrapping ErrNotFound; a stored week with no
// version gives an empty list.
func (d *DB) History(ctx context.Context, school, week string) ([]VersionInfo, error) {
	out, err := d.history(ctx, school, week)
	if err != nil {
		return nil, fmt.Errorf("reading history of school %q week %s: %w", school, week, err)
	}
	return out, nil
}

func (d *DB) history(ctx context.Context, school, week string) ([]VersionInfo, error) {
	id, err := weekID(ctx, d.db, school, week)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM schedule_versions v
		WHERE v.week_id = $1 ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []VersionInfo{}
	for rows.Next() {
		var vid int64
		vi, err := scanVersion(rows, &vid)
		if err != nil {
			return nil, err
		}
		out = append(out, vi)
	}
	return out, rows.Err()
}

// Schedule reads a stored version of the week and rebuilds its SPEC §5
// schedule, in the form NormalizeSchedule gives (with the week's slot order at
// the time it was saved). Version 0 means the published version if there is
// one, else the latest. A week or version that is not stored gives an error
// wrapping ErrNotFound.
func (d *DB) Schedule(ctx context.Context, school, week string, version int) (*solver.Schedule, VersionInfo, error) {
	s, vi, err := d.schedule(ctx, school, week, version)
	if err != nil {
		if version == 0 {
			return nil, VersionInfo{}, fmt.Errorf("reading schedule of school %q week %s: %w", school, week, err)
		}
		return nil, VersionInfo{}, fmt.Errorf("reading schedule version %d of school %q week %s: %w", version, school, week, err)
	}
	return s, vi, nil
}

func (d *DB) schedule(ctx context.Context, school, week string, version int) (*solver.Schedule, VersionInfo, error) {
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, VersionInfo{}, err
	}
	defer tx.Rollback()
	weekID, err := weekID(ctx, tx, school, week)
	if err != nil {
		return nil, VersionInfo{}, err
	}
	query := `SELECT ` + versionColumns + `, v.slot_order FROM schedule_versions v WHERE v.week_id = $1 AND v.version = $2`
	args := []any{weekID, version}
	if version == 0 {
		query = `SELECT ` + versionColumns + `, v.slot_order FROM schedule_versions v WHERE v.week_id = $1
			ORDER BY v.state = 'published' DESC, v.version DESC LIMIT 1`
		args = args[:1]
	}
	var versionID int64
	var slotOrder []string
	vi, err := scanVersion(tx.QueryRowContext(ctx, query, args...), &versionID, pq.Array(&slotOrder))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, VersionInfo{}, fmt.Errorf("schedule version %w", ErrNotFound)
	}
	if err != nil {
		return nil, VersionInfo{}, err
	}
	s := &solver.Schedule{
		Format:      solver.ScheduleFormat,
		School:      school,
		WeekStart:   week,
		Sessions:    []solver.Session{},
		Independent: []solver.IndependentWork{},
		Unplaced:    []solver.Unplaced{},
		Shortfalls:  []solver.Shortfall{},
		Objective:   vi.Objective,
		Bound:       vi.Bound,
	}
	r := &weekReader{ctx: ctx, tx: tx, id: versionID}

	sessionIndex := map[int]int{}
	r.each(`SELECT session_no, slot_id, mode, teacher_id, room_id, skill_id FROM schedule_sessions
		WHERE version_id = $1 ORDER BY session_no`, func(rows *sql.Rows) error {
		var no int
		se := solver.Session{Students: []string{}}
		if err := rows.Scan(&no, &se.Slot, &se.Mode, &se.Teacher, &se.Room, &se.Skill); err != nil {
			return err
		}
		sessionIndex[no] = len(s.Sessions)
		s.Sessions = append(s.Sessions, se)
		return nil
	})
	r.each(`SELECT student_id, slot_id, room_id, session_no FROM placements WHERE version_id = $1`, func(rows *sql.Rows) error {
		var student, slot, room string
		var no sql.NullInt64
		if err := rows.Scan(&student, &slot, &room, &no); err != nil {
			return err
		}
		if no.Valid {
			i := sessionIndex[int(no.Int64)]
			s.Sessions[i].Students = append(s.Sessions[i].Students, student)
		} else {
			s.Independent = append(s.Independent, solver.IndependentWork{Slot: slot, Room: room, Students: []string{student}})
		}
		return nil
	})
	r.each(`SELECT student_id, slot_id, reason FROM unplaced WHERE version_id = $1`, func(rows *sql.Rows) error {
		var u solver.Unplaced
		err := rows.Scan(&u.Student, &u.Slot, &u.Reason)
		s.Unplaced = append(s.Unplaced, u)
		return err
	})
	r.each(`SELECT student_id, mode, minutes, reason FROM shortfalls WHERE version_id = $1`, func(rows *sql.Rows) error {
		var f solver.Shortfall
		err := rows.Scan(&f.Student, &f.Mode, &f.Minutes, &f.Reason)
		s.Shortfalls = append(s.Shortfalls, f)
		return err
	})
	if r.err != nil {
		return nil, VersionInfo{}, r.err
	}
	for i := range s.Sessions {
		sort.Strings(s.Sessions[i].Students)
	}
	return canonicalSchedule(s, slotOrder), vi, tx.Commit()
}

// Publish makes the version the week's published one, and the previously
// published version, if any, a draft again, in one transaction. A week or
// version that is not stored gives an error wrapping ErrNotFound. Checks that
// the version is fit to publish are the caller's, including that its
// shortfalls are acknowledged (Acknowledgements, or PublishAcknowledged).
func (d *DB) Publish(ctx context.Context, school, week string, version int) error {
	if _, err := d.publish(ctx, school, week, version, nil); err != nil {
		return fmt.Errorf("publishing version %d of school %q week %s: %w", version, school, week, err)
	}
	return nil
}

// PublishAcknowledged acknowledges every shortfall of the version that is not
// acknowledged yet, as Acknowledge does, and publishes the version, as Publish
// does, in one transaction: either both happen or neither. An invalid ack
// gives an error wrapping ErrInvalidAcknowledgement and changes nothing.
func (d *DB) PublishAcknowledged(ctx context.Context, school, week string, version int, ack Acknowledgement) (AckResult, error) {
	res, err := d.publish(ctx, school, week, version, &ack)
	if err != nil {
		return AckResult{}, fmt.Errorf("publishing version %d of school %q week %s: %w", version, school, week, err)
	}
	return res, nil
}

// publish publishes the version, first acknowledging its shortfalls when ack
// is not nil.
func (d *DB) publish(ctx context.Context, school, week string, version int, ack *Acknowledgement) (AckResult, error) {
	if ack != nil {
		a, err := ack.normalized()
		if err != nil {
			return AckResult{}, err
		}
		ack = &a
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return AckResult{}, err
	}
	defer tx.Rollback()
	if err := lockKey(ctx, tx, scheduleLockKey(school, week)); err != nil {
		return AckResult{}, err
	}
	weekID, versionID, err := lookupVersion(ctx, tx, school, week, version)
	if err != nil {
		return AckResult{}, err
	}
	var res AckResult
	if ack != nil {
		if res, err = acknowledge(ctx, tx, versionID, *ack); err != nil {
			return AckResult{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schedule_versions SET state = 'draft'
		WHERE week_id = $1 AND state = 'published' AND version <> $2`, weekID, version); err != nil {
		return AckResult{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schedule_versions SET state = 'published'
		WHERE week_id = $1 AND version = $2`, weekID, version); err != nil {
		return AckResult{}, err
	}
	return res, tx.Commit()
}

// lookupVersion returns the ids of the stored week and of its version, or an
// error wrapping ErrNotFound.
func lookupVersion(ctx context.Context, q queryer, school, week string, version int) (int64, int64, error) {
	wid, err := weekID(ctx, q, school, week)
	if err != nil {
		return 0, 0, err
	}
	var vid int64
	err = q.QueryRowContext(ctx, `SELECT id FROM schedule_versions WHERE week_id = $1 AND version = $2`,
		wid, version).Scan(&vid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("schedule version %w", ErrNotFound)
	}
	return wid, vid, err
}
