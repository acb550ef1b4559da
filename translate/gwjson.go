package translate

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the payload's JSON encoding to b. The bytes are
// exactly what encoding/json produces for the struct (field order, omission
// rules, HTML-safe string escaping); tests check this against the
// reflection encoder. It is the fast path for the d2g target, whose bytes
// equal upstream's.
func (p *GenericWorkerPayload) AppendJSON(b []byte) []byte { return p.appendJSON(b, &htmlSafe) }

// AppendJSONNoEscape is AppendJSON without HTML escaping (<, > and & as
// themselves, as json.Encoder with SetEscapeHTML(false) writes them): the
// same JSON value, easier to read in shell text (the native target).
func (p *GenericWorkerPayload) AppendJSONNoEscape(b []byte) []byte {
	return p.appendJSON(b, &plainSafe)
}

func (p *GenericWorkerPayload) appendJSON(b []byte, safe *asciiSet) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(s string) { b = appendJSONString(b, s, safe) }
	if len(p.Artifacts) > 0 {
		key("artifacts")
		b = append(b, '[')
		for i := range p.Artifacts {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Artifacts[i].appendJSON(b, safe)
		}
		b = append(b, ']')
	}
	key("command")
	if p.Command == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range p.Command {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStrings(b, c, safe)
		}
		b = append(b, ']')
	}
	if len(p.Env) > 0 {
		key("env")
		b = appendStringMap(b, p.Env, safe)
	}
	key("features")
	b = p.Features.appendJSON(b)
	key("logs")
	b = append(b, `{"backing":`...)
	str(p.Logs.Backing)
	b = append(b, `,"live":`...)
	str(p.Logs.Live)
	b = append(b, '}')
	key("maxRunTime")
	b = strconv.AppendInt(b, p.MaxRunTime, 10)
	if len(p.Mounts) > 0 {
		key("mounts")
		b = append(b, '[')
		for i := range p.Mounts {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Mounts[i].appendJSON(b, safe)
		}
		b = append(b, ']')
	}
	if !p.OnExitStatus.IsZero() {
		key("onExitStatus")
		o := objWriter{b: append(b, '{'), safe: safe}
		if len(p.OnExitStatus.PurgeCaches) > 0 {
			o.key("purgeCaches")
			o.b = appendInts(o.b, p.OnExitStatus.PurgeCaches)
		}
		if len(p.OnExitStatus.Retry) > 0 {
			o.key("retry")
			o.b = appendInts(o.b, p.OnExitStatus.Retry)
		}
		b = append(o.b, '}')
	}
	if len(p.OSGroups) > 0 {
		key("osGroups")
		b = appendStrings(b, p.OSGroups, safe)
	}
	if p.SupersederURL != "" {
		key("supersederUrl")
		str(p.SupersederURL)
	}
	if p.TaskclusterProxyInterface != "" {
		key("taskclusterProxyInterface")
		str(p.TaskclusterProxyInterface)
	}
	return append(b, '}')
}

// MarshalJSON encodes the payload with AppendJSON.
func (p *GenericWorkerPayload) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, p.sizeHint())), nil
}

func (p *GenericWorkerPayload) sizeHint() int {
	n := 512 + 160*len(p.Artifacts) + 120*len(p.Mounts)
	for _, c := range p.Command {
		for _, a := range c {
			n += len(a) + 3
		}
	}
	return n
}

// objWriter writes object members with commas.
type objWriter struct {
	b    []byte
	n    int
	safe *asciiSet
}

func (o *objWriter) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *objWriter) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v, o.safe)
}

func (o *objWriter) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (a *GWArtifact) appendJSON(b []byte, safe *asciiSet) []byte {
	o := objWriter{b: append(b, '{'), safe: safe}
	if a.ContentEncoding != "" {
		o.str("contentEncoding", a.ContentEncoding)
	}
	if a.ContentType != "" {
		o.str("contentType", a.ContentType)
	}
	if !a.Expires.IsZero() {
		o.key("expires")
		o.b = append(o.b, '"')
		o.b = time.Time(a.Expires).UTC().AppendFormat(o.b, tcTimeLayout)
		o.b = append(o.b, '"')
	}
	if a.Name != "" {
		o.str("name", a.Name)
	}
	o.boolean("optional", a.Optional)
	o.str("path", a.Path)
	o.str("type", a.Type)
	return append(o.b, '}')
}

func (f *GWFeatures) appendJSON(b []byte) []byte {
	o := objWriter{b: append(b, '{')}
	o.boolean("backingLog", f.BackingLog)
	if f.ChainOfTrust {
		o.boolean("chainOfTrust", true)
	}
	if f.Interactive {
		o.boolean("interactive", true)
	}
	o.boolean("liveLog", f.LiveLog)
	if f.LoopbackAudio {
		o.boolean("loopbackAudio", true)
	}
	if f.LoopbackVideo {
		o.boolean("loopbackVideo", true)
	}
	o.boolean("resourceMonitor", f.ResourceMonitor)
	if f.TaskclusterProxy {
		o.boolean("taskclusterProxy", true)
	}
	return append(o.b, '}')
}

func (m *GWMount) appendJSON(b []byte, safe *asciiSet) []byte {
	o := objWriter{b: append(b, '{'), safe: safe}
	if m.CacheName != "" {
		o.str("cacheName", m.CacheName)
	}
	if c := m.Content; c != nil {
		o.key("content")
		co := objWriter{b: append(o.b, '{'), safe: safe}
		for _, kv := range [...][2]string{{"artifact", c.Artifact}, {"namespace", c.Namespace}, {"sha256", c.SHA256}, {"taskId", c.TaskID}, {"url", c.URL}} {
			if kv[1] != "" {
				co.str(kv[0], kv[1])
			}
		}
		o.b = append(co.b, '}')
	}
	if m.Directory != "" {
		o.str("directory", m.Directory)
	}
	if m.File != "" {
		o.str("file", m.File)
	}
	if m.Format != "" {
		o.str("format", m.Format)
	}
	return append(o.b, '}')
}

func appendStrings(b []byte, ss []string, safe *asciiSet) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s, safe)
	}
	return append(b, ']')
}

func appendInts(b []byte, v []int64) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return append(b, ']')
}

func appendStringMap(b []byte, m map[string]string, safe *asciiSet) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := objWriter{b: append(b, '{'), safe: safe}
	for _, k := range keys {
		o.n++
		if o.n > 1 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, k, safe)
		o.b = append(o.b, ':')
		o.b = appendJSONString(o.b, m[k], safe)
	}
	return append(o.b, '}')
}

const hexDigits = "0123456789abcdef"

// asciiSet says which ASCII bytes a JSON string holds as themselves.
type asciiSet [utf8.RuneSelf]bool

// htmlSafe is encoding/json's default (HTML escaping on); plainSafe is
// SetEscapeHTML(false). Neither holds control characters, '"' or '\\'.
var htmlSafe, plainSafe = safeSets()

func safeSets() (html, plain asciiSet) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return html, plain
}

// appendJSONString writes s as encoding/json does: with safe the set of
// ASCII bytes written as themselves (htmlSafe: <, > and & as \u003c…),
// control characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string, safe *asciiSet) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
