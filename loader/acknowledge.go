package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/weekplan/weekplan/solver"
)

// Limits of an Acknowledgement, also enforced by the schema.
const (
	MaxAckByLen   = 100  // characters of Acknowledgement.By
	MaxAckNoteLen = 1000 // characters of Acknowledgement.Note
)

// ErrInvalidAcknowledgement is wrapped by the errors of an Acknowledgement
// that Validate refuses.
var ErrInvalidAcknowledgement = errors.New("invalid acknowledgement")

// Acknowledgement is an administrator's acceptance of a version's IEP
// shortfalls: who accepts them and why. It is stored once per shortfall, with
// the time of the transaction that stores it (migration 0003).
type Acknowledgement struct {
	// By names the person who accepts the shortfalls: required, at most
	// MaxAckByLen characters, no control characters.
	By string
	// Note says why: optional, at most MaxAckNoteLen characters, no control
	// characters but newlines and tabs.
	Note string
}

// Validate reports what is wrong with a, if anything, as an error wrapping
// ErrInvalidAcknowledgement. Leading and trailing white space of By and Note
// is not counted: it is trimmed before storing.
func (a Acknowledgement) Validate() error {
	_, err := a.normalized()
	return err
}

// normalized returns a with By and Note trimmed, or the error of Validate.
func (a Acknowledgement) normalized() (Acknowledgement, error) {
	a.By, a.Note = strings.TrimSpace(a.By), strings.TrimSpace(a.Note)
	var problems []string
	switch {
	case a.By == "":
		problems = append(problems, "who acknowledges (by) is required")
	case !utf8.ValidString(a.By) || strings.ContainsFunc(a.By, unicode.IsControl):
		problems = append(problems, "by holds invalid UTF-8 or a control character")
	case utf8.RuneCountInString(a.By) > MaxAckByLen:
		problems = append(problems, fmt.Sprintf("by is longer than %d characters", MaxAckByLen))
	}
	noteControl := func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }
	switch {
	case !utf8.ValidString(a.Note) || strings.ContainsFunc(a.Note, noteControl):
		problems = append(problems, "note holds invalid UTF-8 or a control character other than newline and tab")
	case utf8.RuneCountInString(a.Note) > MaxAckNoteLen:
		problems = append(problems, fmt.Sprintf("note is longer than %d characters", MaxAckNoteLen))
	}
	if len(problems) > 0 {
		return a, fmt.Errorf("%w: %s", ErrInvalidAcknowledgement, strings.Join(problems, "; "))
	}
	return a, nil
}

// AckResult says what acknowledging a version's shortfalls did.
type AckResult struct {
	// Shortfalls is the number of the version's shortfalls.
	Shortfalls int
	// Written is the number acknowledged now; the other Shortfalls − Written
	// were acknowledged before, and their acknowledgements are kept as they
	// were.
	Written int
}

// ShortfallAcknowledgement is one stored acknowledgement of one shortfall
// (a student's unmet minutes in one mode) of a version.
type ShortfallAcknowledgement struct {
	Student string
	Mode    solver.Mode
	Minutes int
	By      string
	At      time.Time
	Note    string
}

// Acknowledge records that ack.By accepts every shortfall of the version that
// is not acknowledged yet, in one transaction; a shortfall acknowledged
// before keeps its acknowledgement. A version with no shortfall gives an
// AckResult of zeros. A week or version that is not stored gives an error
// wrapping ErrNotFound, an invalid ack one wrapping ErrInvalidAcknowledgement;
// either way nothing is written.
func (d *DB) Acknowledge(ctx context.Context, school, week string, version int, ack Acknowledgement) (AckResult, error) {
	res, err := d.acknowledgeVersion(ctx, school, week, version, ack)
	if err != nil {
		return AckResult{}, fmt.Errorf("acknowledging shortfalls of version %d of school %q week %s: %w", version, school, week, err)
	}
	return res, nil
}

func (d *DB) acknowledgeVersion(ctx context.Context, school, week string, version int, ack Acknowledgement) (AckResult, error) {
	ack, err := ack.normalized()
	if err != nil {
		return AckResult{}, err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return AckResult{}, err
	}
	defer tx.Rollback()
	// The publishers' lock: an acknowledgement and a publish of one week
	// never interleave.
	if err := lockKey(ctx, tx, scheduleLockKey(school, week)); err != nil {
		return AckResult{}, err
	}
	_, versionID, err := lookupVersion(ctx, tx, school, week, version)
	if err != nil {
		return AckResult{}, err
	}
	res, err := acknowledge(ctx, tx, versionID, ack)
	if err != nil {
		return AckResult{}, err
	}
	return res, tx.Commit()
}

// acknowledge writes ack for every shortfall of the version row versionID
// that has no acknowledgement; ack is normalized.
func acknowledge(ctx context.Context, tx *sql.Tx, versionID int64, ack Acknowledgement) (AckResult, error) {
	var res AckResult
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shortfalls WHERE version_id = $1`,
		versionID).Scan(&res.Shortfalls); err != nil {
		return AckResult{}, err
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO shortfall_acknowledgements
		(version_id, student_id, mode, minutes, acknowledged_by, note)
		SELECT version_id, student_id, mode, minutes, $2, $3 FROM shortfalls WHERE version_id = $1
		ON CONFLICT (version_id, student_id, mode) DO NOTHING`, versionID, ack.By, ack.Note)
	if err != nil {
		return AckResult{}, constraintError(err, "shortfall_acknowledgements", "acknowledgement")
	}
	n, err := r.RowsAffected()
	if err != nil {
		return AckResult{}, err
	}
	res.Written = int(n)
	return res, nil
}

// Acknowledgements returns the stored acknowledgements of the version's
// shortfalls, ordered by student id and mode; none when nothing is
// acknowledged. A week or version that is not stored gives an error wrapping
// ErrNotFound.
func (d *DB) Acknowledgements(ctx context.Context, school, week string, version int) ([]ShortfallAcknowledgement, error) {
	out, err := d.acknowledgements(ctx, school, week, version)
	if err != nil {
		return nil, fmt.Errorf("reading acknowledgements of version %d of school %q week %s: %w", version, school, week, err)
	}
	return out, nil
}

func (d *DB) acknowledgements(ctx context.Context, school, week string, version int) ([]ShortfallAcknowledgement, error) {
	_, versionID, err := lookupVersion(ctx, d.db, school, week, version)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT student_id, mode, minutes, acknowledged_by, acknowledged_at, note
		FROM shortfall_acknowledgements WHERE version_id = $1
		ORDER BY student_id COLLATE "C", mode COLLATE "C"`, versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ShortfallAcknowledgement{}
	for rows.Next() {
		var a ShortfallAcknowledgement
		if err := rows.Scan(&a.Student, &a.Mode, &a.Minutes, &a.By, &a.At, &a.Note); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
