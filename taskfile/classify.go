package taskfile

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/internal/jsonptr"
)

// filePos is a 1-based line and column.
type filePos struct{ line, col int }

// advance returns the position just after b when b starts at p.
func advance(p filePos, b []byte) filePos {
	n := bytes.Count(b, []byte{'\n'})
	if n == 0 {
		return filePos{p.line, p.col + len(b)}
	}
	return filePos{p.line + n, len(b) - bytes.LastIndexByte(b, '\n')}
}

// members calls fn for each member of the JSON object raw (key = name) or
// element of the JSON array raw (key = index), with the value's byte offset
// in raw, until fn returns false. Other values have no members. raw must
// be valid JSON (everything here was checked by a decoder first): members
// only skips over values, so each call is one cheap pass; on malformed
// input it stops early, never panics.
func members(raw []byte, fn func(key string, off int, v json.RawMessage) bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || (raw[i] != '{' && raw[i] != '[') {
		return
	}
	isObj := raw[i] == '{'
	i++
	for n := 0; ; n++ {
		i = skipWS(raw, i)
		if i >= len(raw) || raw[i] == '}' || raw[i] == ']' {
			return
		}
		key := strconv.Itoa(n)
		if isObj {
			if raw[i] != '"' {
				return
			}
			end := skipValue(raw, i)
			key = decodeKey(raw[i:end])
			i = skipWS(raw, end)
			if i >= len(raw) || raw[i] != ':' {
				return
			}
			i = skipWS(raw, i+1)
		}
		start := i
		i = skipValue(raw, i)
		if i <= start || !fn(key, start, raw[start:i]) {
			return
		}
		i = skipWS(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i++
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			for i < len(b) && !structural[b[i]] {
				i++
			}
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			i++
			if depth == 0 {
				return i
			}
		}
		return len(b)
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// structural marks the bytes skipValue stops at inside a container.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// skipString returns the index just after the string starting at b[i]
// (a '"'), jumping from quote to quote (short strings byte by byte).
func skipString(b []byte, i int) int {
	i++
	for end := min(i+16, len(b)); i < end; i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			goto slow
		}
	}
slow:
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		k := i + j
		n := 0 // backslashes just before the quote
		for m := k - 1; m >= i && b[m] == '\\'; m-- {
			n++
		}
		if n%2 == 0 {
			return k + 1
		}
		i = k + 1
	}
}

func decodeKey(q []byte) string {
	if len(q) >= 2 && bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1])
	}
	var s string
	_ = json.Unmarshal(q, &s)
	return s
}

// pick returns the members of the JSON object raw named in keys, and
// whether raw is an object at all.
func pick(raw []byte, keys ...string) (map[string]json.RawMessage, bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	m := make(map[string]json.RawMessage, len(keys))
	members(raw, func(k string, _ int, v json.RawMessage) bool {
		for _, want := range keys {
			if k == want {
				if _, dup := m[k]; !dup {
					m[k] = v
				}
			}
		}
		return true
	})
	return m, true
}

func skipSep(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ':', ',':
		default:
			return i
		}
	}
	return i
}

func isKind(raw []byte, c byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == c
}

func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// isGraphEntry reports whether v is a taskgraph entry: an object with a
// "task" object.
func isGraphEntry(v json.RawMessage) bool {
	m, _ := pick(v, "task")
	return isKind(m["task"], '{')
}

// classifyJSON splits one JSON document that starts at p into items.
func classifyJSON(doc json.RawMessage, p filePos) (items []*Item, shape Shape, envelope json.RawMessage) {
	m, _ := pick(doc, "payload", "image", "tasks")
	_, hasPayload := m["payload"]
	_, hasImage := m["image"]
	if tasks, ok := m["tasks"]; ok && !hasPayload && !hasImage && isKind(tasks, '[') {
		members(doc, func(key string, off int, v json.RawMessage) bool {
			if key != "tasks" {
				return true
			}
			members(v, func(_ string, eoff int, ev json.RawMessage) bool {
				it := docItem(ev, advance(p, doc[:off+eoff]))
				it.docPtr = "/tasks/" + strconv.Itoa(len(items))
				items = append(items, it)
				return true
			})
			return false
		})
		return items, ShapeTasks, doc
	}
	if m != nil && !hasPayload && !hasImage {
		graph := false
		members(doc, func(_ string, _ int, v json.RawMessage) bool {
			graph = isGraphEntry(v)
			return false
		})
		if graph {
			members(doc, func(key string, off int, v json.RawMessage) bool {
				it := graphItem(key, v, advance(p, doc[:off]))
				it.docPtr = "/" + jsonptr.Escape(key)
				if it.Entry != nil && !bytes.Equal(it.Raw, it.Entry) {
					it.docPtr += "/task"
				}
				items = append(items, it)
				return true
			})
			return items, ShapeGraph, nil
		}
	}
	return []*Item{docItem(doc, p)}, ShapeDocument, nil
}

// docItem makes the item for a payload or task definition starting at p.
func docItem(raw json.RawMessage, p filePos) *Item {
	it := &Item{Raw: raw, Line: p.line, Column: p.col, loc: jsonLocator{raw, p}}
	m, _ := pick(raw, "payload", "image", "command", "maxRunTime", "taskId", "metadata", "mounts", "osGroups")
	describe(it, m, false)
	return it
}

// describe fills Kind, Format, Pointer, TaskID and MetadataName from the
// decoded task definition or payload m (nil when Raw is not an object).
// inGraph says the document is a graph entry's task, so a task definition.
func describe(it *Item, m map[string]json.RawMessage, inGraph bool) {
	it.Kind, it.Format = Payload, Unknown
	pl, hasPayload := m["payload"]
	if !hasPayload && !inGraph {
		if m == nil {
			return
		}
		_, img := m["image"]
		_, cmd := m["command"]
		_, mrt := m["maxRunTime"]
		switch {
		case img:
			it.Format = DockerWorker
		case looksGenericWorker(m):
			it.Format = GenericWorker
		case cmd || mrt:
			// A docker-worker payload without its image: an error, named.
			it.Format = DockerWorker
		}
		return
	}
	it.Kind, it.Pointer = TaskDefinition, "/payload"
	it.TaskID = str(m["taskId"])
	if md, ok := pick(m["metadata"], "name"); ok {
		it.MetadataName = str(md["name"])
	}
	pm, _ := pick(pl, "image", "command", "mounts", "osGroups")
	_, img := pm["image"]
	switch {
	case hasPayload && !img && pm != nil && looksGenericWorker(pm):
		it.Format = GenericWorker
	case hasPayload:
		// Anything else is a docker-worker payload, broken when it is not
		// an object or has no image (the decoder names what is wrong).
		it.Format = DockerWorker
	}
}

// looksGenericWorker reports a payload that only generic-worker accepts:
// mounts or osGroups, or a command that is a list of commands. Only those
// are left alone; a payload without an image is otherwise a broken
// docker-worker one.
func looksGenericWorker(m map[string]json.RawMessage) bool {
	if _, ok := m["image"]; ok {
		return false
	}
	_, mounts := m["mounts"]
	_, groups := m["osGroups"]
	cmd := bytes.TrimSpace(m["command"])
	return mounts || groups || len(cmd) > 1 && cmd[0] == '[' && bytes.TrimSpace(cmd[1:])[0] == '['
}

// graphItem makes the item for the graph entry v under key, at p.
func graphItem(key string, v json.RawMessage, p filePos) *Item {
	it := &Item{Key: key, Entry: v, Raw: v, Line: p.line, Column: p.col, loc: jsonLocator{v, p}}
	// One pass over the entry: label, task_id and where its task is.
	em := map[string]json.RawMessage{}
	members(v, func(k string, off int, tv json.RawMessage) bool {
		switch k {
		case "label", "task_id":
			em[k] = tv
		case "task":
			if _, dup := em[k]; dup {
				return true
			}
			em[k] = tv
			tp := advance(p, v[:off])
			it.Raw, it.Line, it.Column, it.loc = tv, tp.line, tp.col, jsonLocator{tv, tp}
			it.TaskOffset = off
		}
		return true
	})
	it.Label = str(em["label"])
	tid := str(em["task_id"])
	tm, isObj := pick(it.Raw, "payload", "taskId", "metadata")
	if !isObj || !isKind(em["task"], '{') {
		it.Kind, it.Format = TaskDefinition, Unknown
		it.Label = key
		it.Raw, it.Line, it.Column, it.loc = v, p.line, p.col, jsonLocator{v, p}
		return it
	}
	describe(it, tm, true)
	if tid != "" {
		it.TaskID = tid
	}
	if it.Label == "" && key != it.TaskID {
		it.Label = key
	}
	if it.TaskID == "" && key != it.Label {
		it.TaskID = key
	}
	return it
}

// jsonLocator locates pointers in original JSON bytes that start at start.
type jsonLocator struct {
	raw   []byte
	start filePos
}

func (l jsonLocator) locate(ptr string) (int, int, bool) {
	off, ok := pointerOffset(l.raw, ptr)
	p := advance(l.start, l.raw[:off])
	return p.line, p.col, ok
}

// pointerOffset returns the byte offset in raw of the value at the JSON
// pointer ptr, or of its deepest existing ancestor and false.
func pointerOffset(raw []byte, ptr string) (int, bool) {
	if ptr == "" {
		return 0, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return 0, false
	}
	base, cur := 0, raw
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		found := false
		members(cur, func(k string, off int, v json.RawMessage) bool {
			if k != tok {
				return true
			}
			base, cur, found = base+off, v, true
			return false
		})
		if !found {
			return base, false
		}
	}
	return base, true
}
