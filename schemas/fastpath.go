package schemas

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// The fast path below recognises the common case, a valid docker-worker
// payload, without the general validator. It is conservative: it answers
// true only for documents the schema accepts, and false for anything it is
// unsure of (the full validator then decides and explains). Tests check
// that it never accepts what the schema rejects.

var (
	dwTopKeys = keySet("image", "maxRunTime", "command", "env", "cache", "log",
		"supersederUrl", "artifacts", "onExitStatus", "capabilities", "features")
	dwFeatureKeys = keySet("localLiveLog", "bulkLog", "taskclusterProxy", "artifacts",
		"interactive", "allowPtrace", "chainOfTrust")
	dwCapabilityBools = keySet("privileged", "disableSeccomp")
	dwDeviceKeys      = keySet("loopbackVideo", "loopbackAudio", "hostSharedMemory", "kvm")
	dwImageKeys       = map[string][]string{
		"docker-image":  {"type", "name"},
		"indexed-image": {"type", "namespace", "path"},
		"task-image":    {"type", "taskId", "path"},
	}
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// dockerWorkerFastValid reports whether doc is certainly a valid
// docker-worker payload.
func dockerWorkerFastValid(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["image"]; !ok {
		return false
	}
	if _, ok := m["maxRunTime"]; !ok {
		return false
	}
	for k, v := range m {
		if !dwTopKeys[k] {
			return false
		}
		var ok bool
		switch k {
		case "image":
			ok = fastImage(v)
		case "maxRunTime":
			n, isInt := integerValue(v)
			ok = isInt && n >= 1
		case "command":
			ok = allStrings(v)
		case "env", "cache":
			ok = allStringValues(v)
		case "log", "supersederUrl":
			_, ok = v.(string)
		case "artifacts":
			ok = fastArtifacts(v)
		case "onExitStatus":
			ok = fastExitStatus(v)
		case "capabilities":
			ok = fastCapabilities(v)
		case "features":
			ok = allBools(v, dwFeatureKeys)
		}
		if !ok {
			return false
		}
	}
	return true
}

func fastImage(v any) bool {
	switch x := v.(type) {
	case string:
		return true
	case map[string]any:
		t, _ := x["type"].(string)
		keys := dwImageKeys[t]
		if keys == nil || len(x) != len(keys) {
			return false
		}
		for _, k := range keys {
			if _, ok := x[k].(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func fastArtifacts(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, a := range m {
		a, ok := a.(map[string]any)
		if !ok {
			return false
		}
		t, _ := a["type"].(string)
		if t != "file" && t != "directory" && t != "volume" {
			return false
		}
		if _, ok := a["path"].(string); !ok {
			return false
		}
		n := 2
		if e, ok := a["expires"]; ok {
			s, _ := e.(string)
			if !PlainDateTime(s) {
				return false
			}
			n++
		}
		if len(a) != n {
			return false
		}
	}
	return true
}

func fastExitStatus(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, codes := range m {
		if k != "retry" && k != "purgeCaches" {
			return false
		}
		s, ok := codes.([]any)
		if !ok {
			return false
		}
		for _, c := range s {
			if _, ok := integerValue(c); !ok {
				return false
			}
		}
	}
	return true
}

func fastCapabilities(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, c := range m {
		switch {
		case dwCapabilityBools[k]:
			if _, ok := c.(bool); !ok {
				return false
			}
		case k == "devices":
			if !allBools(c, dwDeviceKeys) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func allStrings(v any) bool {
	s, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range s {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func allStringValues(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, e := range m {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func allBools(v any, allowed map[string]bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, e := range m {
		if !allowed[k] {
			return false
		}
		if _, ok := e.(bool); !ok {
			return false
		}
	}
	return true
}

// integerValue returns v as an int64 when it is certainly a JSON integer
// that fits; anything else (fractions, exponents, huge values, other types)
// is left to the full validator.
func integerValue(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return 0, false
		}
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

// PlainDateTime accepts the usual RFC 3339 timestamps
// (2026-01-02T15:04:05[.000]Z or with a ±hh:mm offset) that every
// date-time validator accepts; false means "not sure", not "invalid": leap
// seconds and odd forms are left to the full validator. Fast paths (here and
// in lint) use it.
func PlainDateTime(s string) bool {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	for i := range 19 {
		switch i {
		case 4, 7, 10, 13, 16:
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	rest := s[19:]
	if r, ok := strings.CutPrefix(rest, "."); ok {
		n := 0
		for n < len(r) && r[n] >= '0' && r[n] <= '9' {
			n++
		}
		if n == 0 {
			return false
		}
		rest = r[n:]
	}
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		rest[1] >= '0' && rest[1] <= '1' && rest[2] >= '0' && rest[2] <= '9' &&
		rest[4] >= '0' && rest[4] <= '5' && rest[5] >= '0' && rest[5] <= '9':
	default:
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}
