package roster

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/weekplan/weekplan/solver"
)

// CSVHeader is the header row of a teacher's CSV roster.
func CSVHeader() []string {
	return []string{
		"day", "slot", "start", "minutes", "room", "skill", "skill_name",
		"mode", "student_id", "student_name", "accommodations",
	}
}

// WriteTeacherCSV writes one teacher's roster as CSV (RFC 4180): the header
// of CSVHeader, then one row per student per session in time order; several
// accommodations are separated by "; ". A text cell that a spreadsheet would
// run as a formula (starting with =, +, -, @, tab or CR) is prefixed with an
// apostrophe.
func WriteTeacherCSV(w io.Writer, inst *solver.Instance, sched *solver.Schedule, teacherID string) error {
	b, err := newBook(inst, sched)
	if err != nil {
		return err
	}
	t, err := b.teacher(teacherID)
	if err != nil {
		return err
	}
	return b.writeCSV(w, t)
}

func (b *book) writeCSV(w io.Writer, t *teacherRoster) error {
	out := csv.NewWriter(w)
	if err := out.Write(CSVHeader()); err != nil {
		return fmt.Errorf("writing CSV roster: %w", err)
	}
	for _, d := range t.Days {
		for _, s := range d.Sessions {
			for _, st := range s.Students {
				row := []string{
					s.Slot.Day,
					text(s.Slot.ID),
					s.Slot.Start,
					strconv.Itoa(s.Slot.Minutes),
					text(s.Room.ID),
					text(s.Skill.ID),
					text(s.Skill.Name),
					string(s.Mode),
					text(st.ID),
					text(st.Name),
					text(strings.Join(st.Accommodations, "; ")),
				}
				if err := out.Write(row); err != nil {
					return fmt.Errorf("writing CSV roster: %w", err)
				}
			}
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("writing CSV roster: %w", err)
	}
	return nil
}

// text guards a free-text cell against formula injection in spreadsheets
// (OWASP "CSV injection").
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
