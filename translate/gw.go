package translate

import (
	"bytes"
	"encoding/json"
	"time"
)

// GenericWorkerPayload is the subset of generic-worker's multiuser posix
// payload that d2g emits. Field order and omission rules make its
// encoding/json output byte-identical to upstream d2g's (spec §2.1).
type GenericWorkerPayload struct {
	Artifacts []GWArtifact      `json:"artifacts,omitempty"`
	Command   [][]string        `json:"command"`
	Env       map[string]string `json:"env,omitempty"`
	Features  GWFeatures        `json:"features"`
	Logs      GWLogs            `json:"logs"`
	// MaxRunTime is in seconds.
	MaxRunTime                int64          `json:"maxRunTime"`
	Mounts                    []GWMount      `json:"mounts,omitempty"`
	OnExitStatus              GWOnExitStatus `json:"onExitStatus,omitzero"`
	OSGroups                  []string       `json:"osGroups,omitempty"`
	SupersederURL             string         `json:"supersederUrl,omitempty"`
	TaskclusterProxyInterface string         `json:"taskclusterProxyInterface,omitempty"`
}

// GWArtifact is one generic-worker artifact.
type GWArtifact struct {
	ContentEncoding string `json:"contentEncoding,omitempty"`
	ContentType     string `json:"contentType,omitempty"`
	// Expires is a Taskcluster time (UTC, milliseconds) or empty.
	Expires  TCTime `json:"expires,omitzero"`
	Name     string `json:"name,omitempty"`
	Optional bool   `json:"optional"`
	Path     string `json:"path"`
	Type     string `json:"type"`
}

// GWFeatures are generic-worker's feature flags as d2g sets them.
type GWFeatures struct {
	BackingLog       bool `json:"backingLog"`
	ChainOfTrust     bool `json:"chainOfTrust,omitempty"`
	Interactive      bool `json:"interactive,omitempty"`
	LiveLog          bool `json:"liveLog"`
	LoopbackAudio    bool `json:"loopbackAudio,omitempty"`
	LoopbackVideo    bool `json:"loopbackVideo,omitempty"`
	ResourceMonitor  bool `json:"resourceMonitor"`
	TaskclusterProxy bool `json:"taskclusterProxy,omitempty"`
}

// GWLogs names the live and backing log artifacts.
type GWLogs struct {
	Backing string `json:"backing"`
	Live    string `json:"live"`
}

// GWMount is a writable directory cache ({cacheName, directory}) or a file
// mount ({content, file, format?}).
type GWMount struct {
	CacheName string     `json:"cacheName,omitempty"`
	Content   *GWContent `json:"content,omitempty"`
	Directory string     `json:"directory,omitempty"`
	File      string     `json:"file,omitempty"`
	Format    string     `json:"format,omitempty"`
}

// GWContent is a file mount's content: a task artifact ({artifact, taskId,
// sha256?}) or an indexed artifact ({artifact, namespace}).
type GWContent struct {
	Artifact  string `json:"artifact,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	TaskID    string `json:"taskId,omitempty"`
	URL       string `json:"url,omitempty"`
}

// GWOnExitStatus is onExitStatus; omitted when both lists are empty.
type GWOnExitStatus struct {
	PurgeCaches []int64 `json:"purgeCaches,omitempty"`
	Retry       []int64 `json:"retry,omitempty"`
}

// IsZero reports whether both lists are empty (for omitzero).
func (o GWOnExitStatus) IsZero() bool { return len(o.PurgeCaches) == 0 && len(o.Retry) == 0 }

// TCTime is a time written in Taskcluster's format: UTC, millisecond
// precision (truncated), "Z".
type TCTime time.Time

const tcTimeLayout = "2006-01-02T15:04:05.000Z"

// IsZero reports whether the time is unset.
func (t TCTime) IsZero() bool { return time.Time(t).IsZero() }

// MarshalJSON writes the Taskcluster form.
func (t TCTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(tcTimeLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, tcTimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads an RFC 3339 date-time.
func (t *TCTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseDateTime(s)
	if err != nil {
		return err
	}
	*t = TCTime(v)
	return nil
}

func parseDateTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// DefaultGenericWorkerPayload holds generic-worker's schema defaults, the
// base upstream's golden harness decodes expectations onto (spec §7.1).
func DefaultGenericWorkerPayload() GenericWorkerPayload {
	return GenericWorkerPayload{
		Features: GWFeatures{BackingLog: true, LiveLog: true, ResourceMonitor: true},
		Logs:     GWLogs{Backing: "public/logs/live_backing.log", Live: "public/logs/live.log"},
		// generic-worker's default; d2g always sets docker-bridge.
		TaskclusterProxyInterface: "localhost",
	}
}

// NormalizeGenericWorkerPayload decodes a generic-worker payload onto the
// defaults and re-encodes it, as upstream's golden harness does with the
// expected side. Unknown fields are an error.
func NormalizeGenericWorkerPayload(raw []byte) ([]byte, error) {
	p := DefaultGenericWorkerPayload()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	return json.Marshal((*gwPayloadPlain)(&p))
}

// gwPayloadPlain is GenericWorkerPayload without its MarshalJSON: the
// reflection encoding, the reference AppendJSON is tested against.
type gwPayloadPlain GenericWorkerPayload
