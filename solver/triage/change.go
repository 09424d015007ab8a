package triage

import (
	"fmt"
	"slices"

	"github.com/weekplan/weekplan/solver"
)

// Kind is the kind of a change: which field of which record it edits.
type Kind string

// The kinds of change triage tries, each one field of one teacher or room.
const (
	// TeacherMaxSessions raises a teacher's max_sessions by one.
	TeacherMaxSessions Kind = "teacher_max_sessions"
	// TeacherAvailable removes one slot from a teacher's unavailable list.
	TeacherAvailable Kind = "teacher_available"
	// RoomAvailable removes one slot from a room's unavailable list.
	RoomAvailable Kind = "room_available"
	// RoomStations raises a room's stations by one.
	RoomStations Kind = "room_stations"
	// RoomCapacity raises a room's capacity by one.
	RoomCapacity Kind = "room_capacity"
)

// rank orders the kinds in reports: teacher changes before room changes,
// weekly limits before single slots.
func (k Kind) rank() int {
	switch k {
	case TeacherMaxSessions:
		return 0
	case TeacherAvailable:
		return 1
	case RoomAvailable:
		return 2
	case RoomStations:
		return 3
	default:
		return 4
	}
}

// Change is one minimal edit of a week's input: one field of one teacher or
// room. Teacher or Room names the record; Slot the slot for the availability
// kinds; From and To the field's value before and after for the numeric kinds
// (both 0 for the availability kinds).
type Change struct {
	Kind    Kind   `json:"kind"`
	Teacher string `json:"teacher,omitempty"`
	Room    string `json:"room,omitempty"`
	Slot    string `json:"slot,omitempty"`
	From    int    `json:"from"`
	To      int    `json:"to"`
}

// Description says what the change is in plain language, with ids only.
func (c Change) Description() string {
	switch c.Kind {
	case TeacherMaxSessions:
		return fmt.Sprintf("teacher %s leads one more session in the week (max_sessions %d → %d)", c.Teacher, c.From, c.To)
	case TeacherAvailable:
		return fmt.Sprintf("teacher %s made available in slot %s", c.Teacher, c.Slot)
	case RoomAvailable:
		return fmt.Sprintf("room %s freed in slot %s", c.Room, c.Slot)
	case RoomStations:
		return fmt.Sprintf("one more station in room %s (stations %d → %d)", c.Room, c.From, c.To)
	case RoomCapacity:
		return fmt.Sprintf("one more place in room %s (capacity %d → %d)", c.Room, c.From, c.To)
	}
	return fmt.Sprintf("unknown change %q", c.Kind)
}

// Apply returns a copy of inst with the change made. The records the change
// touches are copied; the rest is shared with inst, which is never modified
// (solver.Solve and solver.Check only read their instance). A change that does
// not fit inst — an unknown teacher, room or slot, a slot the record is not
// unavailable in, a From that is not the field's current value — is an error
// naming the record and field.
func (c Change) Apply(inst *solver.Instance) (*solver.Instance, error) {
	out := *inst
	switch c.Kind {
	case TeacherMaxSessions, TeacherAvailable:
		j := slices.IndexFunc(inst.Teachers, func(t solver.Teacher) bool { return t.ID == c.Teacher })
		if j < 0 {
			return nil, fmt.Errorf("change %s: no teacher %q", c.Kind, c.Teacher)
		}
		out.Teachers = slices.Clone(inst.Teachers)
		t := &out.Teachers[j]
		if c.Kind == TeacherMaxSessions {
			cur := t.SessionLimit(len(inst.Slots))
			if cur != c.From || c.To != c.From+1 {
				return nil, fmt.Errorf("change teacher %s max_sessions %d → %d: the current value is %d", c.Teacher, c.From, c.To, cur)
			}
			to := c.To
			t.MaxSessions = &to
			return &out, nil
		}
		list, err := freeSlot(t.Unavailable, c.Slot, "teacher "+c.Teacher)
		if err != nil {
			return nil, err
		}
		t.Unavailable = list
		return &out, nil
	case RoomAvailable, RoomStations, RoomCapacity:
		r := slices.IndexFunc(inst.Rooms, func(r solver.Room) bool { return r.ID == c.Room })
		if r < 0 {
			return nil, fmt.Errorf("change %s: no room %q", c.Kind, c.Room)
		}
		out.Rooms = slices.Clone(inst.Rooms)
		room := &out.Rooms[r]
		switch c.Kind {
		case RoomAvailable:
			list, err := freeSlot(room.Unavailable, c.Slot, "room "+c.Room)
			if err != nil {
				return nil, err
			}
			room.Unavailable = list
		case RoomStations:
			if cur := room.StationCount(); cur != c.From || c.To != c.From+1 {
				return nil, fmt.Errorf("change room %s stations %d → %d: the current value is %d", c.Room, c.From, c.To, cur)
			}
			to := c.To
			room.Stations = &to
		default:
			if room.Capacity != c.From || c.To != c.From+1 {
				return nil, fmt.Errorf("change room %s capacity %d → %d: the current value is %d", c.Room, c.From, c.To, room.Capacity)
			}
			room.Capacity = c.To
		}
		return &out, nil
	}
	return nil, fmt.Errorf("unknown change kind %q", c.Kind)
}

// freeSlot returns a new unavailable list without slot, or an error if slot is
// not in it.
func freeSlot(unavailable []string, slot, record string) ([]string, error) {
	k := slices.Index(unavailable, slot)
	if k < 0 {
		return nil, fmt.Errorf("change %s unavailable: slot %q is not in the list", record, slot)
	}
	return slices.Delete(slices.Clone(unavailable), k, k+1), nil
}
