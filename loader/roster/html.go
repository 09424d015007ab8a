package roster

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/weekplan/weekplan/solver"
)

//go:embed templates
var templateFS embed.FS

// WriteTeacherHTML writes the printable roster page of one teacher: one table
// per day with each session's block, room, skill, mode and students, with the
// accommodations the teacher needs to know. Everything is escaped by
// html/template.
func WriteTeacherHTML(w io.Writer, inst *solver.Instance, sched *solver.Schedule, teacherID string) error {
	b, err := newBook(inst, sched)
	if err != nil {
		return err
	}
	t, err := b.teacher(teacherID)
	if err != nil {
		return err
	}
	return b.writeHTML(w, t)
}

// WriteIndex writes the index page: the school, the week, and every teacher
// with links to its HTML, CSV and iCalendar rosters.
func WriteIndex(w io.Writer, inst *solver.Instance, sched *solver.Schedule) error {
	b, err := newBook(inst, sched)
	if err != nil {
		return err
	}
	return b.writeIndex(w)
}

func (b *book) writeHTML(w io.Writer, t *teacherRoster) error {
	page, style, err := parsePage("templates/teacher.html")
	if err != nil {
		return err
	}
	return execute(page, w, map[string]any{
		"School": b.schoolName(),
		"Week":   b.week,
		"Style":  style,
		"Index":  IndexFile,
		"Roster": t,
		// Teacher is the roster's teacher, for brevity in the template.
		"Teacher": t.Teacher,
	})
}

func (b *book) writeIndex(w io.Writer) error {
	page, style, err := parsePage("templates/index.html")
	if err != nil {
		return err
	}
	return execute(page, w, map[string]any{
		"School":   b.schoolName(),
		"Week":     b.week,
		"Style":    style,
		"Teachers": b.teachers,
	})
}

// schoolName is the school's name, or its id when it has none.
func (b *book) schoolName() string {
	if b.inst.School.Name != "" {
		return b.inst.School.Name
	}
	return b.inst.School.ID
}

func execute(page *template.Template, w io.Writer, data any) error {
	if err := page.Execute(w, data); err != nil {
		return fmt.Errorf("rendering roster page: %w", err)
	}
	return nil
}

// parsePage parses an embedded page template with the shared style sheet.
func parsePage(name string) (*template.Template, template.CSS, error) {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		return nil, "", fmt.Errorf("roster templates: %w", err)
	}
	page, err := template.New(strings.TrimPrefix(name, "templates/")).Funcs(template.FuncMap{
		"join":      strings.Join,
		"mode":      func(m solver.Mode) string { return modeLabel(m, true) },
		"dayLabel":  func(t time.Time) string { return t.Format("Monday, January 2") },
		"weekLabel": func(t time.Time) string { return t.Format("January 2, 2006") },
		"timeRange": timeRange,
	}).ParseFS(templateFS, name)
	if err != nil {
		return nil, "", fmt.Errorf("roster templates: %w", err)
	}
	// The style sheet is a file of this package, not input: safe as CSS.
	return page, template.CSS(css), nil
}

// timeRange shows a block's times as a US school prints them: "9:00–9:45 AM",
// or "11:30 AM–12:15 PM" across noon.
func timeRange(start, end time.Time) string {
	if start.Format("PM") == end.Format("PM") {
		return start.Format("3:04") + "–" + end.Format("3:04 PM")
	}
	return start.Format("3:04 PM") + "–" + end.Format("3:04 PM")
}
