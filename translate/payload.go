package translate

import (
	"fmt"
	"strconv"
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

// DecodePayload decodes a docker-worker payload strictly and checks it
// (see DecodeTask): every problem is in the *Error (Reason
// MalformedPayload), with JSON pointers into the payload.
func DecodePayload(raw []byte) (*DockerWorkerPayload, error) {
	w := newWalker(raw)
	defer w.release()
	p := w.payload()
	w.end()
	if len(w.probs) > 0 {
		return nil, &Error{Reason: MalformedPayload, Problems: w.probs}
	}
	return p, nil
}

// payload decodes the payload at the walker's position onto the defaults.
func (w *walker) payload() *DockerWorkerPayload {
	p := DefaultDockerWorkerPayload()
	var seen struct{ image, maxRunTime bool }
	at := ""
	isObj := w.object(func(name string) {
		switch name {
		case "artifacts":
			p.Artifacts = map[string]DWArtifact{}
			w.object(func(name string) { p.Artifacts[name] = w.artifact() })
		case "cache":
			p.Cache = w.strMap()
		case "env":
			p.Env = w.strMap()
		case "capabilities":
			w.capabilities(&p.Capabilities)
		case "command":
			p.Command = w.strings()
		case "features":
			w.features(&p.Features)
		case "image":
			seen.image = true
			p.Image = w.image()
		case "log":
			p.Log, _ = w.str()
		case "maxRunTime":
			seen.maxRunTime = true
			if n, ok := w.integer(); ok {
				p.MaxRunTime = n
				if n < 1 {
					w.problem(w.here(), "must be at least 1")
				}
			}
		case "onExitStatus":
			w.object(func(name string) {
				switch name {
				case "retry":
					p.OnExitStatus.Retry = w.ints()
				case "purgeCaches":
					p.OnExitStatus.PurgeCaches = w.ints()
				default:
					w.unknown(name)
				}
			})
		case "supersederUrl":
			p.SupersederURL, _ = w.str()
		default:
			w.unknown(name)
		}
	})
	if w.fatal || !isObj {
		if !isObj && !w.fatal {
			w.probs[len(w.probs)-1].Message = "must be an object (a docker-worker payload, with an \"image\" and a \"maxRunTime\")"
		}
		return &p
	}
	at = w.here()
	if !seen.image {
		w.problem(at, `required property "image" is missing: a docker-worker payload names the image to run (this is not a generic-worker payload either)`)
	}
	if !seen.maxRunTime {
		w.problem(at, `required property "maxRunTime" is missing`)
	}
	if !w.schemaOnly {
		w.checkPayload(at, &p)
	}
	return &p
}

func (w *walker) artifact() DWArtifact {
	var a DWArtifact
	var hasType, hasPath bool
	ok := w.object(func(name string) {
		switch name {
		case "type":
			hasType = true
			if t, ok := w.str(); ok {
				a.Type = t
				if t != "file" && t != "directory" && t != "volume" {
					w.problem(w.here(), fmt.Sprintf(`must be one of "file", "directory", "volume", got %q`, t))
				}
			}
		case "path":
			hasPath = true
			a.Path, _ = w.str()
		case "expires":
			if s, ok := w.str(); ok {
				a.Expires = s
				if _, err := parseDateTime(s); err != nil {
					w.problem(w.here(), "must be a date-time in RFC 3339 form, like 2026-01-02T15:04:05.000Z, got "+quoteShort(s))
				}
			}
		default:
			w.unknown(name)
		}
	})
	if ok {
		for _, m := range []struct {
			has  bool
			name string
		}{{hasType, "type"}, {hasPath, "path"}} {
			if !m.has {
				w.problem(w.here(), fmt.Sprintf("required property %q is missing", m.name))
			}
		}
	}
	return a
}

func (w *walker) capabilities(c *DWCapabilities) {
	w.object(func(name string) {
		switch name {
		case "privileged":
			c.Privileged, _ = w.boolean()
		case "disableSeccomp":
			c.DisableSeccomp, _ = w.boolean()
		case "devices":
			d := &c.Devices
			w.bools(map[string]*bool{"loopbackVideo": &d.LoopbackVideo, "loopbackAudio": &d.LoopbackAudio,
				"hostSharedMemory": &d.HostSharedMemory, "kvm": &d.KVM})
		default:
			w.unknown(name)
		}
	})
}

func (w *walker) features(f *DWFeatures) {
	w.bools(map[string]*bool{"localLiveLog": &f.LocalLiveLog, "bulkLog": &f.BulkLog,
		"taskclusterProxy": &f.TaskclusterProxy, "artifacts": &f.Artifacts, "interactive": &f.Interactive,
		"allowPtrace": &f.AllowPtrace, "chainOfTrust": &f.ChainOfTrust})
}

// bools reads an object of booleans whose names are fields.
func (w *walker) bools(fields map[string]*bool) {
	w.object(func(name string) {
		dst, ok := fields[name]
		if !ok {
			w.unknown(name)
			return
		}
		if b, ok := w.boolean(); ok {
			*dst = b
		}
	})
}

func quoteShort(s string) string {
	q := strconv.Quote(s)
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return q
}
