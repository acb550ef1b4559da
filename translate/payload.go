package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	p := DefaultDockerWorkerPayload()
	p.MaxRunTime = -1 // sentinel: detects a missing maxRunTime
	if err := decodeStrict(raw, &p); err != nil {
		return nil, decodeError(raw, err)
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
	for _, name := range sortedKeys(p.Artifacts) {
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

// decodeError turns a decoder error into an *Error with the best pointer.
func decodeError(raw []byte, err error) error {
	var fe *fieldError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &fe):
		return &Error{Reason: MalformedPayload, Problems: []Problem{{fe.ptr, fe.msg}}}
	case errors.As(err, &te):
		ptr := ""
		if te.Field != "" {
			ptr = "/" + strings.ReplaceAll(escapePointer(te.Field), ".", "/")
		}
		return &Error{Reason: MalformedPayload, Problems: []Problem{{ptr, fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}}}
	case errors.As(err, &se):
		return &Error{Reason: MalformedPayload, Problems: []Problem{{"", fmt.Sprintf("payload is not valid JSON: %v (at byte %d)", se, se.Offset)}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		ptr := locateUnknown(raw)
		return &Error{Reason: MalformedPayload, Problems: []Problem{{ptr, "unknown property " + field + " (docker-worker payloads allow no additional properties here)"}}}
	}
	return &Error{Reason: MalformedPayload, Problems: []Problem{{"", fmt.Sprintf("cannot decode payload: %v", err)}}}
}

// fieldError is an error located by a JSON pointer, raised by custom
// decoders (the image union).
type fieldError struct{ ptr, msg string }

func (e *fieldError) Error() string { return e.ptr + ": " + e.msg }

// knownKeys describes which object keys the docker-worker schema allows;
// nil children mean "any value", "*" means "every key of this map".
var knownKeys = keyTree{
	"artifacts": {"*": {"type": nil, "path": nil, "expires": nil}},
	"cache":     nil, "command": nil, "env": nil, "image": nil, "log": nil,
	"maxRunTime": nil, "supersederUrl": nil,
	"capabilities": {"privileged": nil, "disableSeccomp": nil,
		"devices": {"loopbackVideo": nil, "loopbackAudio": nil, "hostSharedMemory": nil, "kvm": nil}},
	"features": {"localLiveLog": nil, "bulkLog": nil, "taskclusterProxy": nil, "artifacts": nil,
		"interactive": nil, "allowPtrace": nil, "chainOfTrust": nil},
	"onExitStatus": {"retry": nil, "purgeCaches": nil},
}

type keyTree map[string]keyTree

// locateUnknown finds the pointer of the first (in sorted order) property
// the schema does not allow. Only used on the error path.
func locateUnknown(raw []byte) string {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	ptr, _ := walkUnknown(doc, knownKeys, "")
	return ptr
}

func walkUnknown(v any, tree keyTree, at string) (string, bool) {
	obj, ok := v.(map[string]any)
	if !ok || tree == nil {
		return "", false
	}
	for _, k := range sortedKeys(obj) {
		sub, known := tree[k]
		if star, ok := tree["*"]; ok {
			sub, known = star, true
		}
		if !known {
			return at + "/" + escapePointer(k), true
		}
		if p, found := walkUnknown(obj[k], sub, at+"/"+escapePointer(k)); found {
			return p, true
		}
	}
	return "", false
}

// escapePointer escapes one JSON-pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
