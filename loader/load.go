package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/weekplan/weekplan/solver"
)

// LoadInstance reads the stored week of the school. The instance is the one
// imported, in the form Normalize gives. A (school, week) that is not stored
// gives an error wrapping ErrNotFound.
func (d *DB) LoadInstance(ctx context.Context, school, week string) (*solver.Instance, error) {
	inst, err := d.loadInstance(ctx, school, week)
	if err != nil {
		return nil, fmt.Errorf("loading school %q week %s: %w", school, week, err)
	}
	return inst, nil
}

func (d *DB) loadInstance(ctx context.Context, school, week string) (*solver.Instance, error) {
	// One read-only repeatable-read transaction: the week reads as one
	// snapshot even while it is being imported again.
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := checkWeekStart(week); err != nil {
		return nil, err
	}
	inst := &solver.Instance{
		Format:    solver.InstanceFormat,
		WeekStart: week,
		Slots:     []solver.Slot{},
		Skills:    []solver.Skill{},
		Rooms:     []solver.Room{},
		Teachers:  []solver.Teacher{},
		Students:  []solver.Student{},
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id, school_id, school_name, school_timezone FROM weeks
		WHERE school_id = $1 AND week_start = $2`, school, week).
		Scan(&id, &inst.School.ID, &inst.School.Name, &inst.School.Timezone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("week %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	l := &weekReader{ctx: ctx, tx: tx, id: id}

	l.each(`SELECT key, value FROM week_policy WHERE week_id = $1`, func(r *sql.Rows) error {
		var k string
		var v float64
		if err := r.Scan(&k, &v); err != nil {
			return err
		}
		if inst.Policy == nil {
			inst.Policy = map[string]float64{}
		}
		inst.Policy[k] = v
		return nil
	})
	l.each(`SELECT id, day, start, minutes FROM slots WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var s solver.Slot
		err := r.Scan(&s.ID, &s.Day, &s.Start, &s.Minutes)
		inst.Slots = append(inst.Slots, s)
		return err
	})
	l.each(`SELECT id, subject, name, seq FROM skills WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var k solver.Skill
		err := r.Scan(&k.ID, &k.Subject, &k.Name, &k.Seq)
		inst.Skills = append(inst.Skills, k)
		return err
	})

	rooms := map[string]*solver.Room{}
	l.each(`SELECT id, name, capacity, stations, accessible, topic FROM rooms WHERE week_id = $1 ORDER BY pos`,
		func(r *sql.Rows) error {
			var x solver.Room
			var stations sql.NullInt64
			err := r.Scan(&x.ID, &x.Name, &x.Capacity, &stations, &x.Accessible, &x.Topic)
			x.Stations = intPtr(stations)
			x.Modes = []solver.Mode{}
			inst.Rooms = append(inst.Rooms, x)
			return err
		})
	for i := range inst.Rooms {
		rooms[inst.Rooms[i].ID] = &inst.Rooms[i]
	}
	l.pairs(`SELECT room_id, mode FROM room_modes WHERE week_id = $1 ORDER BY room_id, pos`, func(owner, v string) {
		if r := rooms[owner]; r != nil {
			r.Modes = append(r.Modes, solver.Mode(v))
		}
	})
	l.pairs(`SELECT room_id, slot_id FROM room_unavailable WHERE week_id = $1 ORDER BY room_id, pos`, func(owner, v string) {
		if r := rooms[owner]; r != nil {
			r.Unavailable = append(r.Unavailable, v)
		}
	})

	teachers := map[string]*solver.Teacher{}
	l.each(`SELECT id, name, max_sessions FROM teachers WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var t solver.Teacher
		var max sql.NullInt64
		err := r.Scan(&t.ID, &t.Name, &max)
		t.MaxSessions = intPtr(max)
		t.Subjects = []string{}
		inst.Teachers = append(inst.Teachers, t)
		return err
	})
	for i := range inst.Teachers {
		teachers[inst.Teachers[i].ID] = &inst.Teachers[i]
	}
	l.pairs(`SELECT teacher_id, subject FROM teacher_subjects WHERE week_id = $1 ORDER BY teacher_id, pos`, func(owner, v string) {
		if t := teachers[owner]; t != nil {
			t.Subjects = append(t.Subjects, v)
		}
	})
	l.pairs(`SELECT teacher_id, slot_id FROM teacher_unavailable WHERE week_id = $1 ORDER BY teacher_id, pos`, func(owner, v string) {
		if t := teachers[owner]; t != nil {
			t.Unavailable = append(t.Unavailable, v)
		}
	})

	students := map[string]*solver.Student{}
	l.each(`SELECT id, name, grade, priority, needs_accessible, max_group_size FROM students
		WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var st solver.Student
		var priority sql.NullFloat64
		var maxGroup sql.NullInt64
		err := r.Scan(&st.ID, &st.Name, &st.Grade, &priority, &st.NeedsAccessible, &maxGroup)
		if priority.Valid {
			p := priority.Float64
			st.Priority = &p
		}
		st.MaxGroupSize = intPtr(maxGroup)
		inst.Students = append(inst.Students, st)
		return err
	})
	for i := range inst.Students {
		students[inst.Students[i].ID] = &inst.Students[i]
	}
	l.pairs(`SELECT student_id, slot_id FROM student_unavailable WHERE week_id = $1 ORDER BY student_id, pos`, func(owner, v string) {
		if st := students[owner]; st != nil {
			st.Unavailable = append(st.Unavailable, v)
		}
	})
	l.pairs(`SELECT student_id, other_id FROM student_apart WHERE week_id = $1 ORDER BY student_id, pos`, func(owner, v string) {
		if st := students[owner]; st != nil {
			st.Apart = append(st.Apart, v)
		}
	})
	l.pairs(`SELECT student_id, skill_id FROM student_goals WHERE week_id = $1 ORDER BY student_id, pos`, func(owner, v string) {
		if st := students[owner]; st != nil {
			st.Goals = append(st.Goals, v)
		}
	})
	l.each(`SELECT student_id, mode, minutes FROM student_min_minutes WHERE week_id = $1`, func(r *sql.Rows) error {
		var owner, mode string
		var v int
		if err := r.Scan(&owner, &mode, &v); err != nil {
			return err
		}
		if st := students[owner]; st != nil {
			if st.MinMinutes == nil {
				st.MinMinutes = map[solver.Mode]int{}
			}
			st.MinMinutes[solver.Mode(mode)] = v
		}
		return nil
	})
	l.weights(`SELECT student_id, skill_id, mastery FROM student_progress WHERE week_id = $1`, func(st *solver.Student) map[string]float64 {
		if st.Progress == nil {
			st.Progress = map[string]float64{}
		}
		return st.Progress
	}, students)
	l.weights(`SELECT student_id, key, weight FROM student_interests WHERE week_id = $1`, func(st *solver.Student) map[string]float64 {
		if st.Interests == nil {
			st.Interests = map[string]float64{}
		}
		return st.Interests
	}, students)

	l.each(`SELECT student_id, slot_id, mode, coalesce(teacher_id, ''), coalesce(room_id, ''), coalesce(skill_id, '')
		FROM last_week WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var e solver.LastWeekEntry
		err := r.Scan(&e.Student, &e.Slot, &e.Mode, &e.Teacher, &e.Room, &e.Skill)
		inst.LastWeek = append(inst.LastWeek, e)
		return err
	})
	l.each(`SELECT student_id, slot_id, coalesce(mode, ''), coalesce(teacher_id, ''), coalesce(room_id, ''), coalesce(skill_id, '')
		FROM pins WHERE week_id = $1 ORDER BY pos`, func(r *sql.Rows) error {
		var p solver.Pin
		err := r.Scan(&p.Student, &p.Slot, &p.Mode, &p.Teacher, &p.Room, &p.Skill)
		inst.Pins = append(inst.Pins, p)
		return err
	})
	if l.err != nil {
		return nil, l.err
	}
	return inst, tx.Commit()
}

// weekReader runs queries that all take one id (of a week or a version) as
// $1, keeping the first error.
type weekReader struct {
	ctx context.Context
	tx  *sql.Tx
	id  int64 // the $1 of every query
	err error
}

// each runs query with the id and calls row for every row, until the
// first error.
func (l *weekReader) each(query string, row func(*sql.Rows) error) {
	if l.err != nil {
		return
	}
	rows, err := l.tx.QueryContext(l.ctx, query, l.id)
	if err != nil {
		l.err = err
		return
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			l.err = err
			return
		}
	}
	l.err = rows.Err()
}

// pairs runs a query of (owner id, value) rows.
func (l *weekReader) pairs(query string, add func(owner, v string)) {
	l.each(query, func(r *sql.Rows) error {
		var owner, v string
		if err := r.Scan(&owner, &v); err != nil {
			return err
		}
		add(owner, v)
		return nil
	})
}

// weights runs a query of (student id, key, weight) rows into the map of the
// student that m returns.
func (l *weekReader) weights(query string, m func(*solver.Student) map[string]float64, students map[string]*solver.Student) {
	l.each(query, func(r *sql.Rows) error {
		var owner, k string
		var v float64
		if err := r.Scan(&owner, &k, &v); err != nil {
			return err
		}
		if st := students[owner]; st != nil {
			m(st)[k] = v
		}
		return nil
	})
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
