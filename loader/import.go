package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/weekplan/weekplan/solver"
)

// Import stores inst as the week inst.WeekStart of school inst.School.ID,
// replacing whatever that week held, in one transaction: on any error nothing
// is written and the week keeps its previous data.
//
// Import checks only what the schema enforces (ids unique and known, masteries
// and interests in [0,1], no negative counts, ...); the caller validates the
// instance with solver first. A row the schema refuses comes back as a
// *ConstraintError naming the table and the instance record.
func (d *DB) Import(ctx context.Context, inst *solver.Instance) error {
	if inst == nil {
		return errors.New("importing: no instance")
	}
	if err := d.importInstance(ctx, inst); err != nil {
		return fmt.Errorf("importing school %q week %s: %w", inst.School.ID, inst.WeekStart, err)
	}
	return nil
}

func (d *DB) importInstance(ctx context.Context, inst *solver.Instance) error {
	if err := checkWeekStart(inst.WeekStart); err != nil {
		return err
	}
	tables := instanceTables(inst)
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := lockKey(ctx, tx, "weekplan/week/"+inst.School.ID+"/"+inst.WeekStart); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schools (id, name, timezone) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, updated_at = now()`,
		inst.School.ID, inst.School.Name, inst.School.Timezone)
	if err != nil {
		return constraintError(err, "schools", "school")
	}
	var week int64
	err = tx.QueryRowContext(ctx, `INSERT INTO weeks (school_id, week_start, school_name, school_timezone, input_hash)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (school_id, week_start) DO UPDATE SET school_name = excluded.school_name,
			school_timezone = excluded.school_timezone, input_hash = excluded.input_hash, imported_at = now()
		RETURNING id`,
		inst.School.ID, inst.WeekStart, inst.School.Name, inst.School.Timezone, InputHash(inst)).Scan(&week)
	if err != nil {
		return constraintError(err, "weeks", "week_start")
	}
	// Children first, so that each parent delete finds nothing to cascade to.
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+pq.QuoteIdentifier(tables[i].name)+` WHERE week_id = $1`, week); err != nil {
			return fmt.Errorf("clearing %s: %w", tables[i].name, err)
		}
	}
	for _, t := range tables {
		if err := t.copy(ctx, tx, week); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// copyTable is the rows of one table to be written with COPY. records[i]
// names the instance record of rows[i] in error messages.
type copyTable struct {
	name    string
	columns []string // after week_id
	rows    [][]any
	records []string
}

func (t *copyTable) add(record string, values ...any) {
	t.rows = append(t.rows, values)
	t.records = append(t.records, record)
}

// copy writes the table's rows for the week with COPY. The week id, when not
// zero, is prepended to every row as the column week_id.
func (t *copyTable) copy(ctx context.Context, tx *sql.Tx, week int64) error {
	if len(t.rows) == 0 {
		return nil
	}
	cols := t.columns
	if week != 0 {
		cols = append([]string{"week_id"}, cols...)
	}
	stmt, err := tx.PrepareContext(ctx, copyStatement(t.name, cols))
	if err != nil {
		return fmt.Errorf("copying into %s: %w", t.name, err)
	}
	defer stmt.Close()
	buf := make([]any, len(cols))
	for _, row := range t.rows {
		args := row
		if week != 0 {
			buf[0] = week
			copy(buf[1:], row)
			args = buf
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return t.fail(err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return t.fail(err)
	}
	if err := stmt.Close(); err != nil {
		return t.fail(err)
	}
	return nil
}

// copyStatement is "COPY name (columns) FROM STDIN" with quoted identifiers.
func copyStatement(table string, columns []string) string {
	s := "COPY " + pq.QuoteIdentifier(table) + " ("
	for i, c := range columns {
		if i > 0 {
			s += ", "
		}
		s += pq.QuoteIdentifier(c)
	}
	return s + ") FROM STDIN"
}

// copyLine finds the line number in the context of a COPY error.
var copyLine = regexp.MustCompile(`COPY [^,]+, line ([0-9]+)`)

// fail turns a COPY error into a *ConstraintError naming the record of the
// row the server refused, when the server says which.
func (t *copyTable) fail(err error) error {
	record := t.name
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		if m := copyLine.FindStringSubmatch(pqErr.Where); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= len(t.records) {
				record = t.records[n-1]
			}
		}
	}
	ce := constraintError(err, t.name, record)
	if c, ok := ce.(*ConstraintError); ok && record == t.name && c.Key != "" {
		// A foreign key is checked at the end of the COPY, without a line
		// number: find the first row with the reported key.
		if i := t.rowWithKey(c.Key); i >= 0 {
			c.Record = t.records[i]
		}
	}
	return ce
}

// keyParts splits a reported key "(a, b)=(1, x)" into columns and values.
var keyParts = regexp.MustCompile(`^\((.*)\)=\((.*)\)$`)

// rowWithKey returns the index of the first row whose columns hold the key
// reported by the server, or -1. week_id is ignored: every row has the same.
func (t *copyTable) rowWithKey(key string) int {
	m := keyParts.FindStringSubmatch(key)
	if m == nil {
		return -1
	}
	cols, vals := strings.Split(m[1], ", "), strings.Split(m[2], ", ")
	if len(cols) != len(vals) {
		return -1
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		if c == "week_id" {
			continue
		}
		idx[i] = slices.Index(t.columns, c)
		if idx[i] < 0 {
			return -1
		}
	}
	for r, row := range t.rows {
		match := true
		for i, j := range idx {
			if j >= 0 && fmt.Sprint(row[j]) != vals[i] {
				match = false
				break
			}
		}
		if match {
			return r
		}
	}
	return -1
}

// ConstraintError is a row the schema refused: a duplicate or unknown id, a
// value out of range, a missing field. Its message names the table, the
// record and the constraint, never the row's values.
type ConstraintError struct {
	Table      string // the table, e.g. "student_progress"
	Record     string // the instance or schedule record, e.g. `students[s-0001].progress["math.1"]`
	Constraint string // the name of the violated constraint, if the server gave one
	Code       string // the SQLSTATE code, e.g. "23514" for a check violation
	Message    string // the server's message, without the row's values
	// Key is the key the server reported for a unique or foreign-key
	// violation (ids only), e.g. "(week_id, skill_id)=(3, math.9)".
	Key string
}

func (e *ConstraintError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Record, e.Message)
	if e.Key != "" {
		s += ": key " + e.Key
	}
	return s
}

// keyDetail extracts the key of a unique or foreign-key violation's detail,
// `Key (a, b)=(1, x) already exists.`, which holds ids only.
var keyDetail = regexp.MustCompile(`^Key (\(.*\)=\(.*\))`)

// constraintError returns a *ConstraintError for an integrity violation and
// err itself for any other error. The pq error is not wrapped: its detail may
// hold the values of the refused row.
func constraintError(err error, table, record string) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code.Class() != "23" {
		return fmt.Errorf("writing %s: %w", table, err)
	}
	ce := &ConstraintError{
		Table:      table,
		Record:     record,
		Constraint: pqErr.Constraint,
		Code:       string(pqErr.Code),
		Message:    pqErr.Message,
	}
	if pqErr.Table != "" {
		ce.Table = pqErr.Table
	}
	switch pqErr.Code {
	case pqerror.UniqueViolation, pqerror.ForeignKeyViolation:
		if m := keyDetail.FindStringSubmatch(pqErr.Detail); m != nil {
			ce.Key = m[1]
		}
	}
	return ce
}

// checkWeekStart checks that week is a date written 2006-01-02, the form the
// database gives back.
func checkWeekStart(week string) error {
	t, err := time.Parse(time.DateOnly, week)
	if err != nil || t.Format(time.DateOnly) != week {
		return fmt.Errorf("week_start %q: not a date of the form 2006-01-02", week)
	}
	return nil
}

// nullString maps "" to NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullMode maps the empty mode to NULL.
func nullMode(m solver.Mode) any { return nullString(string(m)) }

// instanceTables returns the rows of every input table for inst, parents
// before children.
func instanceTables(inst *solver.Instance) []*copyTable {
	policy := &copyTable{name: "week_policy", columns: []string{"key", "value"}}
	slots := &copyTable{name: "slots", columns: []string{"id", "pos", "day", "start", "minutes"}}
	skills := &copyTable{name: "skills", columns: []string{"id", "pos", "subject", "name", "seq"}}
	rooms := &copyTable{name: "rooms", columns: []string{"id", "pos", "name", "capacity", "stations", "accessible", "topic"}}
	roomModes := &copyTable{name: "room_modes", columns: []string{"room_id", "pos", "mode"}}
	roomUnavail := &copyTable{name: "room_unavailable", columns: []string{"room_id", "slot_id", "pos"}}
	teachers := &copyTable{name: "teachers", columns: []string{"id", "pos", "name", "max_sessions"}}
	teacherSubjects := &copyTable{name: "teacher_subjects", columns: []string{"teacher_id", "subject", "pos"}}
	teacherUnavail := &copyTable{name: "teacher_unavailable", columns: []string{"teacher_id", "slot_id", "pos"}}
	students := &copyTable{name: "students", columns: []string{"id", "pos", "name", "grade", "priority", "needs_accessible", "max_group_size"}}
	studentUnavail := &copyTable{name: "student_unavailable", columns: []string{"student_id", "slot_id", "pos"}}
	minMinutes := &copyTable{name: "student_min_minutes", columns: []string{"student_id", "mode", "minutes"}}
	apart := &copyTable{name: "student_apart", columns: []string{"student_id", "other_id", "pos"}}
	progress := &copyTable{name: "student_progress", columns: []string{"student_id", "skill_id", "mastery"}}
	interests := &copyTable{name: "student_interests", columns: []string{"student_id", "key", "weight"}}
	goals := &copyTable{name: "student_goals", columns: []string{"student_id", "skill_id", "pos"}}
	lastWeek := &copyTable{name: "last_week", columns: []string{"pos", "student_id", "slot_id", "mode", "teacher_id", "room_id", "skill_id"}}
	pins := &copyTable{name: "pins", columns: []string{"pos", "student_id", "slot_id", "mode", "teacher_id", "room_id", "skill_id"}}

	for _, k := range sortedKeys(inst.Policy) {
		policy.add(fmt.Sprintf("policy[%q]", k), k, inst.Policy[k])
	}
	for i, s := range inst.Slots {
		slots.add(fmt.Sprintf("slots[%s]", s.ID), s.ID, i, s.Day, s.Start, s.Minutes)
	}
	for i, k := range inst.Skills {
		skills.add(fmt.Sprintf("skills[%s]", k.ID), k.ID, i, k.Subject, k.Name, k.Seq)
	}
	for i := range inst.Rooms {
		r := &inst.Rooms[i]
		rec := fmt.Sprintf("rooms[%s]", r.ID)
		rooms.add(rec, r.ID, i, r.Name, r.Capacity, r.Stations, r.Accessible, r.Topic)
		for j, m := range r.Modes {
			roomModes.add(fmt.Sprintf("%s.modes[%d]", rec, j), r.ID, j, string(m))
		}
		for j, s := range r.Unavailable {
			roomUnavail.add(fmt.Sprintf("%s.unavailable[%d]", rec, j), r.ID, s, j)
		}
	}
	for i := range inst.Teachers {
		t := &inst.Teachers[i]
		rec := fmt.Sprintf("teachers[%s]", t.ID)
		teachers.add(rec, t.ID, i, t.Name, t.MaxSessions)
		for j, s := range t.Subjects {
			teacherSubjects.add(fmt.Sprintf("%s.subjects[%d]", rec, j), t.ID, s, j)
		}
		for j, s := range t.Unavailable {
			teacherUnavail.add(fmt.Sprintf("%s.unavailable[%d]", rec, j), t.ID, s, j)
		}
	}
	for i := range inst.Students {
		st := &inst.Students[i]
		rec := fmt.Sprintf("students[%s]", st.ID)
		students.add(rec, st.ID, i, st.Name, st.Grade, st.Priority, st.NeedsAccessible, st.MaxGroupSize)
		for j, s := range st.Unavailable {
			studentUnavail.add(fmt.Sprintf("%s.unavailable[%d]", rec, j), st.ID, s, j)
		}
		for _, m := range solver.AllModes() {
			if v, ok := st.MinMinutes[m]; ok {
				minMinutes.add(fmt.Sprintf("%s.min_minutes[%q]", rec, m), st.ID, string(m), v)
			}
		}
		for m, v := range st.MinMinutes {
			if !m.Valid() {
				minMinutes.add(fmt.Sprintf("%s.min_minutes[%q]", rec, m), st.ID, string(m), v)
			}
		}
		for j, o := range st.Apart {
			apart.add(fmt.Sprintf("%s.apart[%d]", rec, j), st.ID, o, j)
		}
		for _, k := range sortedKeys(st.Progress) {
			progress.add(fmt.Sprintf("%s.progress[%q]", rec, k), st.ID, k, st.Progress[k])
		}
		for _, k := range sortedKeys(st.Interests) {
			interests.add(fmt.Sprintf("%s.interests[%q]", rec, k), st.ID, k, st.Interests[k])
		}
		for j, g := range st.Goals {
			goals.add(fmt.Sprintf("%s.goals[%d]", rec, j), st.ID, g, j)
		}
	}
	for i, e := range inst.LastWeek {
		lastWeek.add(fmt.Sprintf("last_week[%d]", i), i, e.Student, e.Slot, string(e.Mode),
			nullString(e.Teacher), nullString(e.Room), nullString(e.Skill))
	}
	for i, p := range inst.Pins {
		pins.add(fmt.Sprintf("pins[%d]", i), i, p.Student, p.Slot, nullMode(p.Mode),
			nullString(p.Teacher), nullString(p.Room), nullString(p.Skill))
	}
	return []*copyTable{policy, slots, skills, rooms, roomModes, roomUnavail,
		teachers, teacherSubjects, teacherUnavail, students, studentUnavail, minMinutes,
		apart, progress, interests, goals, lastWeek, pins}
}
