package roster

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/weekplan/weekplan/solver"
)

// iCalendar (RFC 5545) layout constants.
const (
	icsLocal = "20060102T150405"  // DATE-TIME, local ("floating" or with TZID)
	icsUTC   = "20060102T150405Z" // DATE-TIME, UTC
	icsFold  = 75                 // octets per content line before folding (§3.1)
)

// WriteTeacherICS writes one teacher's sessions as an RFC 5545 iCalendar file:
// one VEVENT per session, with times in the school's time zone (DTSTART;TZID=…
// and a VTIMEZONE for it), a UID stable across runs (school/week/slot/teacher),
// the mode and skill as SUMMARY, the room as LOCATION and the students (names
// and ids, no accommodations: calendars are synced to other services) as
// DESCRIPTION. Lines end in CRLF and are folded at 75 octets. DTSTAMP is the
// start of the week in UTC, not the time of writing, so output is reproducible.
// A school without a time zone gets floating local times.
func WriteTeacherICS(w io.Writer, inst *solver.Instance, sched *solver.Schedule, teacherID string) error {
	b, err := newBook(inst, sched)
	if err != nil {
		return err
	}
	t, err := b.teacher(teacherID)
	if err != nil {
		return err
	}
	return b.writeICS(w, t)
}

func (b *book) writeICS(w io.Writer, t *teacherRoster) error {
	out := &icsWriter{w: bufio.NewWriter(w)}
	school := b.inst.School
	week := b.week.Format("2006-01-02")
	teacherName := t.Teacher.Name
	if teacherName == "" {
		teacherName = t.Teacher.ID
	}
	out.line("BEGIN:VCALENDAR")
	out.line("VERSION:2.0")
	out.line("PRODID:-//weekplan//rosters//EN")
	out.line("CALSCALE:GREGORIAN")
	out.line("METHOD:PUBLISH")
	out.line("X-WR-CALNAME:" + escapeText(fmt.Sprintf("%s – %s – week of %s", teacherName, b.schoolName(), week)))
	tzParam := ""
	if b.loc != nil {
		out.line("X-WR-TIMEZONE:" + escapeText(school.Timezone))
		b.writeVTimezone(out)
		tzParam = ";TZID=" + paramValue(school.Timezone)
	}
	stamp := time.Date(b.week.Year(), b.week.Month(), b.week.Day(), 0, 0, 0, 0, time.UTC).Format(icsUTC)
	uids := map[string]bool{}
	for _, d := range t.Days {
		for _, s := range d.Sessions {
			uid := strings.Join([]string{school.ID, week, s.Slot.ID, t.Teacher.ID}, "/")
			if uids[uid] { // two sessions of one teacher in a slot: an invalid schedule, but keep UIDs unique
				uid += "/" + s.Room.ID + "/" + s.Skill.ID
			}
			uids[uid] = true
			out.line("BEGIN:VEVENT")
			out.line("UID:" + escapeText(uid+"@weekplan"))
			out.line("DTSTAMP:" + stamp)
			out.line("DTSTART" + tzParam + ":" + s.Start.Format(icsLocal))
			out.line("DTEND" + tzParam + ":" + s.End.Format(icsLocal))
			skill := s.Skill.ID
			if s.Skill.Name != "" {
				skill = s.Skill.Name + " (" + s.Skill.ID + ")"
			}
			out.line("SUMMARY:" + escapeText(modeLabel(s.Mode, true)+": "+skill))
			room := s.Room.ID
			if s.Room.Name != "" {
				room = s.Room.Name
			}
			out.line("LOCATION:" + escapeText(room))
			desc := []string{fmt.Sprintf("Block %s. Students (%d):", s.Slot.ID, len(s.Students))}
			for _, st := range s.Students {
				desc = append(desc, fmt.Sprintf("%s (%s)", st.Name, st.ID))
			}
			out.line("DESCRIPTION:" + escapeText(strings.Join(desc, "\n")))
			out.line("CLASS:PRIVATE")
			out.line("TRANSP:OPAQUE")
			out.line("END:VEVENT")
		}
	}
	out.line("END:VCALENDAR")
	if out.err == nil {
		out.err = out.w.Flush()
	}
	if out.err != nil {
		return fmt.Errorf("writing iCalendar roster: %w", out.err)
	}
	return nil
}

// writeVTimezone describes the school's zone around the week: every offset
// change from a year before the week to a year after, each as a STANDARD or
// DAYLIGHT observance starting at that change (RFC 5545 §3.6.5), and the
// observance in force a year before. A zone without changes is one STANDARD
// observance. Listing the dated changes rather than rules keeps it exact for
// any zone the tz database knows.
func (b *book) writeVTimezone(out *icsWriter) {
	out.line("BEGIN:VTIMEZONE")
	out.line("TZID:" + b.inst.School.Timezone)
	from := b.week.AddDate(-1, 0, 0)
	to := b.week.AddDate(1, 0, 7)
	var changes []time.Time
	start, end := from.ZoneBounds()
	if !start.IsZero() {
		changes = append(changes, start)
	}
	for !end.IsZero() && end.Before(to) {
		changes = append(changes, end)
		_, end = end.ZoneBounds()
	}
	if len(changes) == 0 { // no recorded change: one observance for all time
		name, offset := from.Zone()
		b.observance(out, false, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), offset, offset, name)
	}
	for _, at := range changes {
		at = at.In(b.loc)
		_, before := at.Add(-time.Second).Zone()
		name, after := at.Zone()
		// DTSTART is the local time of the change reckoned in the offset
		// before it (RFC 5545 §3.6.5).
		local := at.UTC().Add(time.Duration(before) * time.Second)
		b.observance(out, at.IsDST(), local, before, after, name)
	}
	out.line("END:VTIMEZONE")
}

// observance writes one STANDARD or DAYLIGHT sub-component; local is the
// wall-clock onset, carried in a UTC time.Time.
func (b *book) observance(out *icsWriter, daylight bool, local time.Time, from, to int, name string) {
	kind := "STANDARD"
	if daylight {
		kind = "DAYLIGHT"
	}
	out.line("BEGIN:" + kind)
	out.line("DTSTART:" + local.Format(icsLocal))
	out.line("TZOFFSETFROM:" + utcOffset(from))
	out.line("TZOFFSETTO:" + utcOffset(to))
	if name != "" {
		out.line("TZNAME:" + escapeText(name))
	}
	out.line("END:" + kind)
}

// utcOffset formats an offset in seconds east of UTC as RFC 5545 UTC-OFFSET:
// "-0700", "+0530", "+003412" when it has seconds.
func utcOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := fmt.Sprintf("%s%02d%02d", sign, seconds/3600, seconds/60%60)
	if seconds%60 != 0 {
		s += fmt.Sprintf("%02d", seconds%60)
	}
	return s
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon,
// comma and newline.
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// paramValue quotes a parameter value that holds ':', ';' or ',' (§3.2); a
// double quote, which no value may hold, is dropped.
func paramValue(s string) string {
	s = strings.ReplaceAll(s, `"`, "")
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// icsWriter writes content lines, folded and ended with CRLF (§3.1), and
// keeps the first error.
type icsWriter struct {
	w   *bufio.Writer
	err error
}

// line writes one content line, folding it into lines of at most 75 octets,
// each continuation starting with a space, never inside a UTF-8 sequence.
func (o *icsWriter) line(s string) {
	if o.err != nil {
		return
	}
	limit := icsFold
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 { // not UTF-8: cut anywhere rather than loop
			cut = limit
		}
		o.write(s[:cut] + "\r\n ")
		s = s[cut:]
		limit = icsFold - 1 // the leading space counts
	}
	o.write(s + "\r\n")
}

func (o *icsWriter) write(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}
