package lint

import (
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/schemas"
)

// fastValid reports whether raw, a syntactically valid JSON document, is
// certainly a valid docker-worker v1 payload, by scanning its bytes: no
// generic decode into map[string]any. It is conservative: anything unusual
// (escaped keys or enum values, duplicate keys, nulls, fractions, odd
// date-times) answers false and the schema validator decides and explains.
// TestFastValidParity and FuzzLintInput check that it never accepts what the
// schema rejects.
func fastValid(raw []byte) bool {
	var seen [len(topKeys)]bool
	ok := true
	isObj := topMembers(raw, func(key []byte, v []byte) {
		if !ok {
			return
		}
		i := keyIndex(key, topKeys[:])
		if i < 0 || seen[i] {
			ok = false
			return
		}
		seen[i] = true
		switch topKeys[i] {
		case `"image"`:
			ok = fastImageBytes(v)
		case `"maxRunTime"`:
			n, isInt := intToken(v)
			ok = isInt && n >= 1
		case `"command"`:
			ok = eachElement(v, isString)
		case `"env"`, `"cache"`:
			ok = topMembers(v, func(_ []byte, e []byte) { ok = ok && isString(e) }) && ok
		case `"log"`, `"supersederUrl"`:
			ok = isString(v)
		case `"artifacts"`:
			ok = topMembers(v, func(_ []byte, a []byte) { ok = ok && fastArtifact(a) }) && ok
		case `"onExitStatus"`:
			ok = fastObject(v, exitKeys[:], func(_ int, e []byte) bool { return eachElement(e, isIntToken) })
		case `"capabilities"`:
			ok = fastObject(v, capKeys[:], func(k int, e []byte) bool {
				if capKeys[k] == `"devices"` {
					return fastObject(e, deviceKeys[:], isBoolMember)
				}
				return isBool(e)
			})
		case `"features"`:
			ok = fastObject(v, featureKeys[:], isBoolMember)
		}
	})
	return isObj && ok && seen[0] && seen[1]
}

var (
	topKeys = [...]string{`"image"`, `"maxRunTime"`, `"command"`, `"env"`, `"cache"`, `"log"`,
		`"supersederUrl"`, `"artifacts"`, `"onExitStatus"`, `"capabilities"`, `"features"`}
	featureKeys = [...]string{`"localLiveLog"`, `"bulkLog"`, `"taskclusterProxy"`, `"artifacts"`,
		`"interactive"`, `"allowPtrace"`, `"chainOfTrust"`}
	capKeys    = [...]string{`"privileged"`, `"disableSeccomp"`, `"devices"`}
	deviceKeys = [...]string{`"loopbackVideo"`, `"loopbackAudio"`, `"hostSharedMemory"`, `"kvm"`}
	exitKeys   = [...]string{`"retry"`, `"purgeCaches"`}
	imageKeys  = map[string][]string{
		`"docker-image"`:  {`"type"`, `"name"`},
		`"indexed-image"`: {`"type"`, `"namespace"`, `"path"`},
		`"task-image"`:    {`"type"`, `"taskId"`, `"path"`},
	}
	artifactKeys = [...]string{`"type"`, `"path"`, `"expires"`}
)

func keyIndex(key []byte, keys []string) int {
	for i, k := range keys {
		if string(key) == k {
			return i
		}
	}
	return -1
}

func isBoolMember(_ int, e []byte) bool { return isBool(e) }

// fastObject checks v is an object whose keys are distinct members of keys
// and whose values pass check.
func fastObject(v []byte, keys []string, check func(k int, e []byte) bool) bool {
	var seen [8]bool
	ok := true
	isObj := topMembers(v, func(key []byte, e []byte) {
		i := keyIndex(key, keys)
		if !ok || i < 0 || seen[i] {
			ok = false
			return
		}
		seen[i] = true
		ok = check(i, e)
	})
	return isObj && ok
}

func fastImageBytes(v []byte) bool {
	if isString(v) {
		return true
	}
	var typ []byte
	n := 0
	isObj := topMembers(v, func(key []byte, e []byte) {
		n++
		if string(key) == `"type"` {
			typ = e
		}
	})
	keys := imageKeys[string(typ)]
	if !isObj || keys == nil || n != len(keys) {
		return false
	}
	var seen [3]bool
	ok := true
	topMembers(v, func(key []byte, e []byte) {
		i := keyIndex(key, keys)
		if i < 0 || seen[i] || !isString(e) {
			ok = false
			return
		}
		seen[i] = true
	})
	return ok
}

func fastArtifact(a []byte) bool {
	var seen [3]bool
	ok := true
	isObj := topMembers(a, func(key []byte, e []byte) {
		i := keyIndex(key, artifactKeys[:])
		if !ok || i < 0 || seen[i] || !isString(e) {
			ok = false
			return
		}
		seen[i] = true
		switch i {
		case 0:
			s := string(e)
			ok = s == `"file"` || s == `"directory"` || s == `"volume"`
		case 2:
			ok = plainDateTime(e)
		}
	})
	return isObj && ok && seen[0] && seen[1]
}

func isString(v []byte) bool { return len(v) >= 2 && v[0] == '"' }

func isBool(v []byte) bool { return string(v) == "true" || string(v) == "false" }

func isIntToken(v []byte) bool { _, ok := intToken(v); return ok }

// intToken parses a plain integer token (no fraction or exponent).
func intToken(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	for i, c := range v {
		if !(c >= '0' && c <= '9' || i == 0 && c == '-') {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// eachElement checks v is an array whose elements all pass ok.
func eachElement(v []byte, ok func([]byte) bool) bool {
	i := skipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	i++
	for {
		i = skipSpace(v, i)
		if i >= len(v) {
			return false
		}
		switch v[i] {
		case ']':
			return true
		case ',':
			i++
			continue
		}
		s := i
		i = skipValue(v, i)
		if i <= s || !ok(v[s:i]) {
			return false
		}
	}
}

// plainDateTime accepts a quoted, unescaped RFC 3339 date-time in the usual
// forms (see schemas.PlainDateTime).
func plainDateTime(q []byte) bool {
	if len(q) < 22 || q[0] != '"' || q[len(q)-1] != '"' {
		return false
	}
	s := string(q[1 : len(q)-1])
	return !strings.ContainsAny(s, `\ `) && schemas.PlainDateTime(s)
}
