package loader

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"

	"github.com/weekplan/weekplan/solver"
)

// Normalize rewrites inst in place into the form LoadInstance returns, so that
// an instance and its stored copy compare equal with reflect.DeepEqual. It
// changes no meaning: Format is set to solver.InstanceFormat; the lists the
// format requires (slots, skills, rooms, teachers, students, room modes,
// teacher subjects) are non-nil; optional lists and maps (policy, unavailable,
// apart, goals, min_minutes, progress, interests, last_week, pins) are nil when
// empty. The order of every list is kept, and pointer fields keep nil or set.
func Normalize(inst *solver.Instance) {
	inst.Format = solver.InstanceFormat
	inst.Policy = nilIfEmptyMap(inst.Policy)
	inst.Slots = nonNil(inst.Slots)
	inst.Skills = nonNil(inst.Skills)
	inst.Rooms = nonNil(inst.Rooms)
	inst.Teachers = nonNil(inst.Teachers)
	inst.Students = nonNil(inst.Students)
	for i := range inst.Rooms {
		r := &inst.Rooms[i]
		r.Modes = nonNil(r.Modes)
		r.Unavailable = nilIfEmpty(r.Unavailable)
	}
	for i := range inst.Teachers {
		t := &inst.Teachers[i]
		t.Subjects = nonNil(t.Subjects)
		t.Unavailable = nilIfEmpty(t.Unavailable)
	}
	for i := range inst.Students {
		st := &inst.Students[i]
		st.Unavailable = nilIfEmpty(st.Unavailable)
		st.MinMinutes = nilIfEmptyMap(st.MinMinutes)
		st.Apart = nilIfEmpty(st.Apart)
		st.Progress = nilIfEmptyMap(st.Progress)
		st.Interests = nilIfEmptyMap(st.Interests)
		st.Goals = nilIfEmpty(st.Goals)
	}
	inst.LastWeek = nilIfEmpty(inst.LastWeek)
	inst.Pins = nilIfEmpty(inst.Pins)
}

// InputHash is the hex SHA-256 of the canonical JSON of inst: the instance
// after Normalize, encoded by encoding/json (struct fields in declaration
// order, map keys sorted). Equal instances, whether read from a file or from
// the database, hash alike; inst is not modified. An instance that cannot be
// encoded (a NaN or infinite number, which validation rejects) hashes to the
// hash of the encoding error.
func InputHash(inst *solver.Instance) string {
	cp := *inst
	cp.Rooms = slices.Clone(inst.Rooms)
	cp.Teachers = slices.Clone(inst.Teachers)
	cp.Students = slices.Clone(inst.Students)
	Normalize(&cp)
	b, err := json.Marshal(&cp)
	if err != nil {
		b = []byte("unencodable instance: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// NormalizeSchedule rewrites s in place into the form Schedule returns, given
// the week's slot ids in order. Format is set to solver.ScheduleFormat and no
// list is nil. Sessions are sorted by slot (in week order), then teacher, room,
// skill and mode; independent records of one (slot, room) are merged, empty
// ones dropped, and the rest sorted by slot, then room; unplaced slots are
// sorted by slot, then student; shortfalls by student, then mode (small_group,
// tutoring, independent). Every student list is sorted. Slots not in
// slotOrder sort after the others, by id.
func NormalizeSchedule(s *solver.Schedule, slotOrder []string) {
	*s = *canonicalSchedule(s, slotOrder)
}

// canonicalSchedule returns the normalised copy of s that NormalizeSchedule
// describes; s is not modified.
func canonicalSchedule(s *solver.Schedule, slotOrder []string) *solver.Schedule {
	pos := make(map[string]int, len(slotOrder))
	for i, id := range slotOrder {
		pos[id] = i
	}
	slotCmp := func(a, b string) int {
		pa, oka := pos[a]
		pb, okb := pos[b]
		if !oka {
			pa = len(slotOrder)
		}
		if !okb {
			pb = len(slotOrder)
		}
		return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(a, b))
	}

	out := &solver.Schedule{
		Format:      solver.ScheduleFormat,
		School:      s.School,
		WeekStart:   s.WeekStart,
		Sessions:    make([]solver.Session, 0, len(s.Sessions)),
		Independent: []solver.IndependentWork{},
		Unplaced:    slices.Clone(nonNil(s.Unplaced)),
		Shortfalls:  slices.Clone(nonNil(s.Shortfalls)),
		Objective:   s.Objective,
	}
	if s.Bound != nil {
		b := *s.Bound
		out.Bound = &b
	}
	for _, se := range s.Sessions {
		se.Students = sortedCopy(se.Students)
		out.Sessions = append(out.Sessions, se)
	}
	slices.SortStableFunc(out.Sessions, func(a, b solver.Session) int {
		return cmp.Or(slotCmp(a.Slot, b.Slot), cmp.Compare(a.Teacher, b.Teacher),
			cmp.Compare(a.Room, b.Room), cmp.Compare(a.Skill, b.Skill), cmp.Compare(a.Mode, b.Mode))
	})

	type slotRoom struct{ slot, room string }
	merged := map[slotRoom]int{}
	for _, w := range s.Independent {
		if len(w.Students) == 0 {
			continue
		}
		k := slotRoom{w.Slot, w.Room}
		i, ok := merged[k]
		if !ok {
			i = len(out.Independent)
			merged[k] = i
			out.Independent = append(out.Independent, solver.IndependentWork{Slot: w.Slot, Room: w.Room})
		}
		out.Independent[i].Students = append(out.Independent[i].Students, w.Students...)
	}
	for i := range out.Independent {
		sort.Strings(out.Independent[i].Students)
	}
	slices.SortFunc(out.Independent, func(a, b solver.IndependentWork) int {
		return cmp.Or(slotCmp(a.Slot, b.Slot), cmp.Compare(a.Room, b.Room))
	})

	slices.SortStableFunc(out.Unplaced, func(a, b solver.Unplaced) int {
		return cmp.Or(slotCmp(a.Slot, b.Slot), cmp.Compare(a.Student, b.Student))
	})
	slices.SortStableFunc(out.Shortfalls, func(a, b solver.Shortfall) int {
		return cmp.Or(cmp.Compare(a.Student, b.Student), cmp.Compare(modeIndex(a.Mode), modeIndex(b.Mode)),
			cmp.Compare(a.Mode, b.Mode))
	})
	return out
}

// modeIndex is the position of m in solver.AllModes, or 3 for an unknown mode.
func modeIndex(m solver.Mode) int {
	for i, x := range solver.AllModes() {
		if x == m {
			return i
		}
	}
	return len(solver.AllModes())
}

func sortedCopy(s []string) []string {
	out := make([]string, len(s))
	copy(out, s)
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}
