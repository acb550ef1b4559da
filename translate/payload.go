package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DockerWorkerPayload is a docker-worker v1 task payload (spec §1), decoded
// on top of the schema defaults: a partial features or capabilities object
// keeps the default of every key it leaves out, as upstream d2g does.
type DockerWorkerPayload struct {
	// Artifacts maps artifact name to artifact.
	Artifacts map[string]DWArtifact `json:"artifacts,omitempty"`
	// Cache maps cache name to its absolute mount path in the container.
	Cache        map[string]string `json:"cache,omitempty"`
	Capabilities DWCapabilities    `json:"capabilities"`
	// Command is the container CMD (default empty).
	Command []string          `json:"command"`
	Env     map[string]string `json:"env,omitempty"`
	// Features defaults: localLiveLog, bulkLog and artifacts true.
	Features DWFeatures `json:"features"`
	Image    DWImage    `json:"image"`
	// Log is the live log artifact name (default public/logs/live.log).
	Log string `json:"log"`
	// MaxRunTime is in seconds, at least 1.
	MaxRunTime    int64          `json:"maxRunTime"`
	OnExitStatus  DWOnExitStatus `json:"onExitStatus"`
	SupersederURL string         `json:"supersederUrl,omitempty"`
}

// DWArtifact is one entry of payload.artifacts.
type DWArtifact struct {
	// Type is "file", "directory" or "volume".
	Type string `json:"type"`
	// Path is the absolute path in the container.
	Path string `json:"path"`
	// Expires is an RFC 3339 date-time, or empty for the task's expiry.
	Expires string `json:"expires,omitempty"`
}

// DWCapabilities is payload.capabilities.
type DWCapabilities struct {
	Privileged     bool      `json:"privileged"`
	DisableSeccomp bool      `json:"disableSeccomp"`
	Devices        DWDevices `json:"devices"`
}

// DWDevices is payload.capabilities.devices. Only true requests a device.
type DWDevices struct {
	LoopbackVideo    bool `json:"loopbackVideo,omitempty"`
	LoopbackAudio    bool `json:"loopbackAudio,omitempty"`
	HostSharedMemory bool `json:"hostSharedMemory,omitempty"`
	KVM              bool `json:"kvm,omitempty"`
}

// DWFeatures is payload.features.
type DWFeatures struct {
	LocalLiveLog     bool `json:"localLiveLog"`
	BulkLog          bool `json:"bulkLog"`
	TaskclusterProxy bool `json:"taskclusterProxy"`
	Artifacts        bool `json:"artifacts"`
	Interactive      bool `json:"interactive"`
	AllowPtrace      bool `json:"allowPtrace"`
	ChainOfTrust     bool `json:"chainOfTrust"`
}

// DWOnExitStatus is payload.onExitStatus.
type DWOnExitStatus struct {
	Retry       []int64 `json:"retry,omitempty"`
	PurgeCaches []int64 `json:"purgeCaches,omitempty"`
}

// DefaultDockerWorkerPayload returns a payload holding only the schema
// defaults; DecodePayload decodes on top of it.
func DefaultDockerWorkerPayload() DockerWorkerPayload {
	return DockerWorkerPayload{
		Command:  []string{},
		Log:      "public/logs/live.log",
		Features: DWFeatures{LocalLiveLog: true, BulkLog: true, Artifacts: true},
	}
}

// DecodePayload decodes a docker-worker payload strictly: unknown fields,
// wrong types, trailing data, a missing image or a maxRunTime below 1 are an
// *Error with Reason MalformedPayload and JSON pointers into the payload.
// Full schema validation is package schemas' job; this catches what would
// make the translation meaningless.
func DecodePayload(raw []byte) (*DockerWorkerPayload, error) {
	if p, ok := decodePayloadFast(raw); ok {
		return p, nil
	}
	return decodePayloadSlow(raw)
}

// decodePayloadSlow decodes with encoding/json and reports problems.
func decodePayloadSlow(raw []byte) (*DockerWorkerPayload, error) {
	p := DefaultDockerWorkerPayload()
	p.MaxRunTime = -1 // sentinel: detects a missing maxRunTime
	if err := decodeStrict(raw, &p); err != nil {
		return nil, decodeError(raw, err)
	}
	// encoding/json matches keys case-insensitively and ignores nulls;
	// the schema allows neither.
	if ptr, msg, bad := locate(raw); bad {
		return nil, &Error{Reason: MalformedPayload, Problems: []Problem{{ptr, msg}}}
	}
	if probs := p.check(); len(probs) > 0 {
		return nil, &Error{Reason: MalformedPayload, Problems: probs}
	}
	return &p, nil
}

func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("unexpected data after the payload object")

// check applies the schema constraints the decoder cannot express.
func (p *DockerWorkerPayload) check() []Problem {
	var probs []Problem
	if p.Image.Kind == "" {
		probs = append(probs, Problem{"/image", "required property image is missing"})
	}
	switch {
	case p.MaxRunTime == -1:
		probs = append(probs, Problem{"/maxRunTime", "required property maxRunTime is missing"})
	case p.MaxRunTime < 1:
		probs = append(probs, Problem{"/maxRunTime", fmt.Sprintf("must be at least 1, got %d", p.MaxRunTime)})
	}
	names := make([]string, 0, 8)
	for name, a := range p.Artifacts {
		if !a.valid() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		a := p.Artifacts[name]
		ptr := "/artifacts/" + escapePointer(name)
		switch a.Type {
		case "file", "directory", "volume":
		default:
			probs = append(probs, Problem{ptr + "/type", fmt.Sprintf("artifact type must be file, directory or volume, got %q", a.Type)})
		}
		if a.Path == "" {
			probs = append(probs, Problem{ptr + "/path", "artifact path is required"})
		}
		if a.Expires != "" {
			if _, err := parseDateTime(a.Expires); err != nil {
				probs = append(probs, Problem{ptr + "/expires", fmt.Sprintf("not an RFC 3339 date-time: %q", a.Expires)})
			}
		}
	}
	return probs
}

// valid reports whether the artifact passes check (the cheap test).
func (a DWArtifact) valid() bool {
	if a.Type != "file" && a.Type != "directory" && a.Type != "volume" || a.Path == "" {
		return false
	}
	if a.Expires != "" {
		if _, err := parseDateTime(a.Expires); err != nil {
			return false
		}
	}
	return true
}

// decodeError turns a decoder error into an *Error with the best pointer.
func decodeError(raw []byte, err error) error {
	var fe *fieldError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &fe):
		return &Error{Reason: MalformedPayload, Problems: []Problem{{fe.ptr, fe.msg}}}
	case errors.As(err, &se):
		return &Error{Reason: MalformedPayload, Problems: []Problem{{"", fmt.Sprintf("payload is not valid JSON: %v (at byte %d)", se, se.Offset)}}}
	}
	if ptr, msg, ok := locate(raw); ok {
		return &Error{Reason: MalformedPayload, Problems: []Problem{{ptr, msg}}}
	}
	if errors.As(err, &te) {
		ptr := ""
		if te.Field != "" {
			ptr = "/" + strings.ReplaceAll(escapePointer(te.Field), ".", "/")
		}
		return &Error{Reason: MalformedPayload, Problems: []Problem{{ptr, fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}}}
	}
	if err == errTrailing {
		return &Error{Reason: MalformedPayload, Problems: []Problem{{"", err.Error()}}}
	}
	return &Error{Reason: MalformedPayload, Problems: []Problem{{"", fmt.Sprintf("cannot decode payload: %v", err)}}}
}

// fieldError is an error located by a JSON pointer, raised by custom
// decoders (the image union).
type fieldError struct{ ptr, msg string }

func (e *fieldError) Error() string { return e.ptr + ": " + e.msg }

// spec describes a JSON value of the docker-worker schema, for locating
// decode errors (the error path only; decoding itself is typed).
type spec struct {
	kind   string // "string", "bool", "int", "array", "object", "map", "any"
	elem   *spec  // array items, map values
	fields map[string]*spec
}

var (
	anySpec    = &spec{kind: "any"}
	strSpec    = &spec{kind: "string"}
	boolSpec   = &spec{kind: "bool"}
	intSpec    = &spec{kind: "int"}
	strMapSpec = &spec{kind: "map", elem: strSpec}
	intsSpec   = &spec{kind: "array", elem: intSpec}
	objSpec    = func(f map[string]*spec) *spec { return &spec{kind: "object", fields: f} }
	boolsSpec  = func(names ...string) *spec {
		f := map[string]*spec{}
		for _, n := range names {
			f[n] = boolSpec
		}
		return objSpec(f)
	}
)

var payloadSpec = objSpec(map[string]*spec{
	"artifacts": {kind: "map", elem: objSpec(map[string]*spec{"type": strSpec, "path": strSpec, "expires": strSpec})},
	"cache":     strMapSpec, "env": strMapSpec, "image": anySpec, "log": strSpec,
	"command":    {kind: "array", elem: strSpec},
	"maxRunTime": intSpec, "supersederUrl": strSpec,
	"capabilities": objSpec(map[string]*spec{"privileged": boolSpec, "disableSeccomp": boolSpec,
		"devices": boolsSpec("loopbackVideo", "loopbackAudio", "hostSharedMemory", "kvm")}),
	"features": boolsSpec("localLiveLog", "bulkLog", "taskclusterProxy", "artifacts",
		"interactive", "allowPtrace", "chainOfTrust"),
	"onExitStatus": objSpec(map[string]*spec{"retry": intsSpec, "purgeCaches": intsSpec}),
})

// locate finds the first (in sorted key order) value that breaks the
// spec: a property the schema does not allow or a value of the wrong type.
func locate(raw []byte) (ptr, msg string, found bool) {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return "", "", false
	}
	return payloadSpec.find(doc, "")
}

func (sp *spec) find(v any, at string) (string, string, bool) {
	if v == nil && sp.kind != "any" {
		return at, "must not be null", true
	}
	switch sp.kind {
	case "string", "bool":
		if _, ok := v.(string); sp.kind == "string" && !ok {
			return at, "must be a string", true
		}
		if _, ok := v.(bool); sp.kind == "bool" && !ok {
			return at, "must be a boolean", true
		}
	case "int":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return at, "must be an integer", true
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return at, "must be an array", true
		}
		for i, it := range items {
			if p, m, f := sp.elem.find(it, at+"/"+strconv.Itoa(i)); f {
				return p, m, f
			}
		}
	case "object", "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return at, "must be an object", true
		}
		for _, k := range sortedKeys(obj) {
			sub := sp.elem
			if sp.kind == "object" {
				if sub = sp.fields[k]; sub == nil {
					return at + "/" + escapePointer(k), fmt.Sprintf("unknown property %q (docker-worker payloads allow no additional properties here)", k), true
				}
			}
			if p, m, f := sub.find(obj[k], at+"/"+escapePointer(k)); f {
				return p, m, f
			}
		}
	}
	return "", "", false
}

// escapePointer escapes one JSON-pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
