package schemas

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Fast path for the generic-worker payload, as conservative as the
// docker-worker one: true only for documents the schema accepts.

var (
	gwTopKeys = keySet("command", "env", "maxRunTime", "artifacts", "features", "mounts",
		"osGroups", "supersederUrl", "onExitStatus", "logs", "taskclusterProxyInterface")
	gwFeatureKeys = keySet("chainOfTrust", "taskclusterProxy", "liveLog", "backingLog",
		"interactive", "loopbackVideo", "loopbackAudio", "runTaskAsCurrentUser", "resourceMonitor")
	gwArtifactStrings = keySet("path", "name", "contentType")
	gwFileFormats     = keySet("br", "bz2", "gz", "lz", "lz4", "mz", "sz", "xz", "zst", "zz")
	gwArchiveFormats  = keySet("7z", "rar", "tar", "tar.br", "tar.bz2", "tar.gz", "tar.lz",
		"tar.lz4", "tar.mz", "tar.sz", "tar.xz", "tar.zst", "tar.zz", "zip")
	slugPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$`)
	sha256Pattern = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// genericWorkerFastValid reports whether doc is certainly a valid
// generic-worker payload.
func genericWorkerFastValid(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m["command"]; !ok {
		return false
	}
	if _, ok := m["maxRunTime"]; !ok {
		return false
	}
	for k, v := range m {
		if !gwTopKeys[k] {
			return false
		}
		var ok bool
		switch k {
		case "command":
			ok = fastCommands(v)
		case "env":
			ok = allStringValues(v)
		case "maxRunTime":
			n, isInt := integerValue(v)
			ok = isInt && n >= 1
		case "artifacts":
			ok = fastGWArtifacts(v)
		case "features":
			ok = allBools(v, gwFeatureKeys)
		case "mounts":
			ok = fastMounts(v)
		case "osGroups":
			ok = allStrings(v) && uniqueStrings(v.([]any))
		case "supersederUrl":
			_, ok = v.(string)
		case "onExitStatus":
			ok = fastGWExitStatus(v)
		case "logs":
			ok = fastLogs(v)
		case "taskclusterProxyInterface":
			ok = v == "localhost" || v == "docker-bridge"
		}
		if !ok {
			return false
		}
	}
	return true
}

func fastCommands(v any) bool {
	cmds, ok := v.([]any)
	if !ok || len(cmds) == 0 {
		return false
	}
	for _, c := range cmds {
		if !allStrings(c) || len(c.([]any)) == 0 {
			return false
		}
	}
	return true
}

func uniqueStrings(s []any) bool {
	seen := make(map[string]bool, len(s))
	for _, e := range s {
		k := e.(string)
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

func fastGWArtifacts(v any) bool {
	arts, ok := v.([]any)
	if !ok {
		return false
	}
	seen := make(map[string]bool, len(arts))
	for _, a := range arts {
		a, ok := a.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := a["type"]; !ok {
			return false
		}
		if _, ok := a["path"]; !ok {
			return false
		}
		var key strings.Builder
		for k, e := range a {
			switch {
			case k == "type":
				if e != "file" && e != "directory" {
					return false
				}
			case gwArtifactStrings[k]:
				if _, ok := e.(string); !ok {
					return false
				}
			case k == "expires":
				s, _ := e.(string)
				if !PlainDateTime(s) {
					return false
				}
			case k == "contentEncoding":
				if e != "identity" && e != "gzip" {
					return false
				}
			case k == "optional":
				if _, ok := e.(bool); !ok {
					return false
				}
			default:
				return false
			}
		}
		// Artifacts must be unique; the path (with the other fields) is the
		// usual distinguishing key. Leave any doubt to the full validator.
		for _, k := range []string{"type", "path", "name", "expires", "contentType", "contentEncoding"} {
			s, _ := a[k].(string)
			key.WriteString(s)
			key.WriteByte(0)
		}
		if o, ok := a["optional"].(bool); ok && o {
			key.WriteByte('o')
		}
		if seen[key.String()] {
			return false
		}
		seen[key.String()] = true
	}
	return true
}

func fastGWExitStatus(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, codes := range m {
		min := int64(0)
		switch k {
		case "retry":
			min = 1
		case "purgeCaches":
		default:
			return false
		}
		s, ok := codes.([]any)
		if !ok {
			return false
		}
		seen := make(map[int64]bool, len(s))
		for _, c := range s {
			n, ok := integerValue(c)
			if !ok || n < min || seen[n] {
				return false
			}
			seen[n] = true
		}
	}
	return true
}

func fastLogs(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, e := range m {
		if k != "live" && k != "backing" {
			return false
		}
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func fastMounts(v any) bool {
	mounts, ok := v.([]any)
	if !ok {
		return false
	}
	for _, m := range mounts {
		m, ok := m.(map[string]any)
		if !ok || !fastMount(m) {
			return false
		}
	}
	return true
}

// fastMount accepts the three mount forms; each object can match only one
// of them, as the oneOf requires.
func fastMount(m map[string]any) bool {
	_, hasFile := m["file"]
	_, hasDir := m["directory"]
	_, hasCache := m["cacheName"]
	content, hasContent := m["content"]
	format, hasFormat := m["format"]
	for k, e := range m {
		switch k {
		case "file", "directory", "cacheName":
			if _, ok := e.(string); !ok {
				return false
			}
		case "content", "format":
		default:
			return false
		}
	}
	if hasContent && !fastContent(content) {
		return false
	}
	switch {
	case hasFile && !hasDir && !hasCache: // file mount
		return hasContent && (!hasFormat || gwFileFormats[asString(format)])
	case hasDir && !hasFile && hasCache: // writable directory cache
		return hasContent == hasFormat && (!hasFormat || gwArchiveFormats[asString(format)])
	case hasDir && !hasFile && !hasCache: // read-only directory
		return hasContent && hasFormat && gwArchiveFormats[asString(format)]
	}
	return false
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// fastContent accepts content objects of exactly one form; URLs and other
// doubtful cases go to the full validator.
func fastContent(v any) bool {
	c, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, e := range c {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	artifact, hasArtifact := c["artifact"].(string)
	if hasArtifact && utf8.RuneCountInString(artifact) > 1024 {
		return false
	}
	switch {
	case len(c) == 2 && hasArtifact && c["taskId"] != nil:
		return slugPattern.MatchString(c["taskId"].(string))
	case len(c) == 3 && hasArtifact && c["taskId"] != nil && c["sha256"] != nil:
		return slugPattern.MatchString(c["taskId"].(string)) && sha256Pattern.MatchString(c["sha256"].(string))
	case len(c) == 2 && hasArtifact && c["namespace"] != nil:
		return utf8.RuneCountInString(c["namespace"].(string)) <= 255
	case len(c) == 1 && c["raw"] != nil:
		return utf8.RuneCountInString(c["raw"].(string)) <= 65536
	}
	return false
}
