package solver

import "sort"

// Params are the policy values of SPEC §4 with every default applied.
type Params struct {
	MasteryThreshold float64
	LevelBand        float64
	GroupMin         int
	GroupMax         int
	TutoringMax      int
	WGroup           float64
	WTutor           float64
	WIndep           float64
	WInterest        float64
	WStable          float64
	WContact         float64
	ContactTarget    int
	PUnplaced        float64
	PIEPMinute       float64
}

// PolicyDefaults maps every policy key of SPEC §4 to its default value.
// It is a function, not a variable, so that no caller can change the defaults.
func PolicyDefaults() map[string]float64 {
	return map[string]float64{
		"mastery_threshold": 0.8,
		"level_band":        0.25,
		"group_min":         2,
		"group_max":         6,
		"tutoring_max":      1,
		"w_group":           1.0,
		"w_tutor":           2.0,
		"w_indep":           0.2,
		"w_interest":        0.3,
		"w_stable":          0.1,
		"w_contact":         1.0,
		"contact_target":    2,
		"p_unplaced":        1000,
		"p_iep_minute":      10,
	}
}

// PolicyKeys lists the known policy keys in sorted order.
func PolicyKeys() []string {
	d := PolicyDefaults()
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isCountPolicyKey reports whether a policy key's value is a count.
func isCountPolicyKey(k string) bool {
	switch k {
	case "group_min", "group_max", "tutoring_max", "contact_target":
		return true
	}
	return false
}

// Params resolves the instance's policy with the defaults of SPEC §4. Unknown
// keys are ignored here; Validate rejects them.
func (inst *Instance) Params() Params {
	v := PolicyDefaults()
	for k, x := range inst.Policy {
		if _, ok := v[k]; ok {
			v[k] = x
		}
	}
	return Params{
		MasteryThreshold: v["mastery_threshold"],
		LevelBand:        v["level_band"],
		GroupMin:         int(v["group_min"]),
		GroupMax:         int(v["group_max"]),
		TutoringMax:      int(v["tutoring_max"]),
		WGroup:           v["w_group"],
		WTutor:           v["w_tutor"],
		WIndep:           v["w_indep"],
		WInterest:        v["w_interest"],
		WStable:          v["w_stable"],
		WContact:         v["w_contact"],
		ContactTarget:    int(v["contact_target"]),
		PUnplaced:        v["p_unplaced"],
		PIEPMinute:       v["p_iep_minute"],
	}
}
