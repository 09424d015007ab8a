// Package triage finds the smallest changes to a week's input that would meet
// the IEP minimum minutes a schedule leaves unmet (docs/model.md §6): one more
// session for a teacher, a teacher made available in a slot, a room freed in a
// slot, one more station or place in a room. Each change is verified by
// re-solving the changed week with solver.Solve and comparing with a re-solve
// of the unchanged week at the same seed and effort, so the minutes it reports
// are what the change recovers, not search noise.
//
// The package is pure like solver: it does no I/O and reads no clock; a
// context bounds its work. It uses only solver's public API.
package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/weekplan/weekplan/solver"
)

// Defaults of Options.
const (
	// DefaultEffort is the solver effort of every re-solve: small, so that a
	// triage of the demo school takes a few seconds, and fixed, so that its
	// result is deterministic.
	DefaultEffort = 5
	// DefaultMaxCandidates is how many candidate changes are re-solved: those
	// with the highest estimate.
	DefaultMaxCandidates = 12
)

// Options configure Triage. The zero value is a sensible default.
type Options struct {
	// Seed is the seed of every re-solve; pass the seed the schedule was
	// solved with.
	Seed int64
	// Effort is the solver effort of every re-solve; zero means DefaultEffort.
	Effort int
	// MaxCandidates caps the candidate changes re-solved, taken best estimate
	// first; zero means DefaultMaxCandidates.
	MaxCandidates int
	// Workers is passed to solver.Options.Workers (the result does not depend
	// on it).
	Workers int
}

// Remedy is a change verified to recover shortfall minutes.
type Remedy struct {
	Change
	// Description says what the change is, with ids only.
	Description string `json:"description"`
	// Recovered is the shortfall minutes recovered: those of the reference
	// re-solve minus those of the re-solve with the change.
	Recovered int `json:"minutes_recovered"`
	// Students are the ids of the students whose shortfall shrank, sorted.
	Students []string `json:"students_helped"`
	// Slots are where the change is used: the slots, in the week's order, in
	// which a helped student has a placement in a mode it was short of that
	// the reference re-solve does not give it.
	Slots []string `json:"slots"`
	// ShortfallMinutes is the total shortfall of the re-solve with the change.
	ShortfallMinutes int `json:"shortfall_minutes"`
	// Estimate is the cheap estimate the candidate was ranked by.
	Estimate int `json:"estimate"`
}

// Report is the result of Triage.
type Report struct {
	School string `json:"school"`
	Week   string `json:"week"`
	Seed   int64  `json:"seed"`
	Effort int    `json:"effort"`
	// BaseShortfallMinutes and StudentsShort are the shortfall of the schedule
	// triaged, as it states it.
	BaseShortfallMinutes int `json:"base_shortfall_minutes"`
	StudentsShort        int `json:"students_short"`
	// ReferenceShortfallMinutes is the shortfall of the unchanged week
	// re-solved at Seed and Effort: what Remedy.Recovered is measured against.
	ReferenceShortfallMinutes int `json:"reference_shortfall_minutes"`
	// Candidates is the number of candidate changes found, Examined the
	// number re-solved (at most Options.MaxCandidates).
	Candidates int `json:"candidates"`
	Examined   int `json:"examined"`
	// Complete is false when the context ended the triage early.
	Complete bool `json:"complete"`
	// Remedies are the changes that recover minutes, most minutes first, then
	// by kind, teacher, room and slot.
	Remedies []Remedy `json:"remedies"`
}

// Triage proposes single changes to inst that would meet minimum minutes that
// base, a schedule of inst, leaves unmet (docs/model.md §6). It reads base's
// shortfalls; if there are none it returns an empty, complete report without
// solving. Otherwise it re-solves the unchanged instance (the reference),
// lists the candidate changes aimed at the short resources of the students
// short in base or in the reference, re-solves the opt.MaxCandidates with the
// highest estimate, each on a copy of inst with the change applied, and
// returns those that recover minutes. inst is never modified. The report
// depends only on inst, base and opt, unless ctx ends the work.
//
// Cancellation: Triage checks ctx before each re-solve, and solver.Solve
// returns promptly when ctx is done. If ctx ends the triage, Triage returns the
// report so far — the remedies whose re-solve finished, Complete false — and
// an error wrapping ctx.Err(). A re-solve that ctx cut short is discarded: its
// result would depend on timing.
func Triage(ctx context.Context, inst *solver.Instance, base *solver.Schedule, opt Options) (*Report, error) {
	if inst == nil || base == nil {
		return nil, errors.New("triage: an instance and a schedule are required")
	}
	if opt.Effort < 0 || opt.MaxCandidates < 0 || opt.Workers < 0 {
		return nil, fmt.Errorf("triage: negative option (effort %d, max candidates %d, workers %d)", opt.Effort, opt.MaxCandidates, opt.Workers)
	}
	if opt.Effort == 0 {
		opt.Effort = DefaultEffort
	}
	if opt.MaxCandidates == 0 {
		opt.MaxCandidates = DefaultMaxCandidates
	}
	if base.School != inst.School.ID || base.WeekStart != inst.WeekStart {
		return nil, fmt.Errorf("triage: schedule of school %q week %s does not belong to instance of school %q week %s",
			base.School, base.WeekStart, inst.School.ID, inst.WeekStart)
	}
	if err := inst.Validate(); err != nil {
		return nil, err
	}
	rep := &Report{School: inst.School.ID, Week: inst.WeekStart, Seed: opt.Seed, Effort: opt.Effort, Remedies: []Remedy{}}
	ix := newIndex(inst)
	shorts := ix.shortfalls(base)
	short := map[int]bool{}
	for k, m := range shorts {
		rep.BaseShortfallMinutes += m
		short[k.student] = true
	}
	rep.StudentsShort = len(short)
	if len(shorts) == 0 {
		rep.Complete = true
		return rep, nil
	}
	ref, err := resolve(ctx, inst, opt)
	if err != nil {
		return rep, fmt.Errorf("triage: re-solving the unchanged week: %w", err)
	}
	rep.ReferenceShortfallMinutes = ref.Score.ShortfallMinutes
	for k, m := range ix.shortfalls(ref.Schedule) {
		shorts[k] = max(shorts[k], m)
	}
	cands := ix.candidates(shorts, []usage{ix.usage(base), ix.usage(ref.Schedule)})
	rep.Candidates = len(cands)
	refWeek := newPlacements(ix, ref.Schedule)
	finish := func() {
		sort.Slice(rep.Remedies, func(a, b int) bool {
			ra, rb := &rep.Remedies[a], &rep.Remedies[b]
			if ra.Recovered != rb.Recovered {
				return ra.Recovered > rb.Recovered
			}
			return ix.less(ra.Change, rb.Change)
		})
	}
	for _, c := range cands[:min(len(cands), opt.MaxCandidates)] {
		if err := ctx.Err(); err != nil {
			finish()
			return rep, fmt.Errorf("triage: stopped after %d of %d candidate changes: %w", rep.Examined, min(len(cands), opt.MaxCandidates), err)
		}
		changed, err := c.change.Apply(inst)
		if err != nil {
			return nil, fmt.Errorf("triage: internal error: %w", err)
		}
		res, err := resolve(ctx, changed, opt)
		if err != nil {
			finish()
			return rep, fmt.Errorf("triage: re-solving with %s: %w", c.change.Description(), err)
		}
		rep.Examined++
		if rem := measure(ix, refWeek, ref, res, c); rem.Recovered > 0 {
			rep.Remedies = append(rep.Remedies, rem)
		}
	}
	finish()
	rep.Complete = true
	return rep, nil
}

// resolve solves inst at opt's seed and effort. A solve that ctx cut short is
// an error wrapping ctx.Err().
func resolve(ctx context.Context, inst *solver.Instance, opt Options) (*solver.Result, error) {
	res, err := solver.Solve(ctx, inst, solver.Options{Seed: opt.Seed, Effort: opt.Effort, Workers: opt.Workers})
	if err == nil && (res.Stopped == "cancelled" || ctx.Err() != nil) {
		err = ctx.Err()
		if err == nil {
			err = context.Canceled
		}
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// measure compares the re-solve with the change, res, with the reference.
func measure(ix *index, refWeek placements, ref, res *solver.Result, c candidate) Remedy {
	rem := Remedy{Change: c.change, Description: c.change.Description(), Estimate: c.estimate,
		ShortfallMinutes: res.Score.ShortfallMinutes, Students: []string{}, Slots: []string{},
		Recovered: ref.Score.ShortfallMinutes - res.Score.ShortfallMinutes}
	before := ix.shortfalls(ref.Schedule)
	after := ix.shortfalls(res.Schedule)
	total := func(m map[shortKey]int) map[int]int {
		out := map[int]int{}
		for k, v := range m {
			out[k.student] += v
		}
		return out
	}
	tb, ta := total(before), total(after)
	week := newPlacements(ix, res.Schedule)
	used := make([]bool, len(ix.inst.Slots))
	for i, b := range tb {
		if ta[i] >= b {
			continue
		}
		rem.Students = append(rem.Students, ix.inst.Students[i].ID)
		for t := range ix.inst.Slots {
			m := week[[2]int{i, t}]
			if m != "" && before[shortKey{i, m}] > 0 && refWeek[[2]int{i, t}] != m {
				used[t] = true
			}
		}
	}
	slices.Sort(rem.Students)
	for t, u := range used {
		if u {
			rem.Slots = append(rem.Slots, ix.inst.Slots[t].ID)
		}
	}
	return rem
}

// placements is a schedule's mode per (student, slot) index.
type placements map[[2]int]solver.Mode

func newPlacements(ix *index, s *solver.Schedule) placements {
	p := placements{}
	put := func(id, slot string, m solver.Mode) {
		i, oki := ix.student[id]
		t, okt := ix.slot[slot]
		if oki && okt {
			p[[2]int{i, t}] = m
		}
	}
	for _, se := range s.Sessions {
		for _, id := range se.Students {
			put(id, se.Slot, se.Mode)
		}
	}
	for _, iw := range s.Independent {
		for _, id := range iw.Students {
			put(id, iw.Slot, solver.Independent)
		}
	}
	return p
}
