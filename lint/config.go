package lint

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/dwshim/dwshim/translate"
)

// ParseWorkerConfig reads a generic-worker config JSON document and returns
// the options it implies: its d2gConfig merged over translate.DefaultConfig
// (keys it leaves out keep their defaults; enableD2G does not matter for
// linting) and its maxTaskRunTime (default 86400). A worker-manager style
// document with the config under genericWorker.config or config is
// accepted too.
func ParseWorkerConfig(b []byte) (Options, error) {
	var doc struct {
		D2GConfig      json.RawMessage `json:"d2gConfig"`
		MaxTaskRunTime *int64          `json:"maxTaskRunTime"`
		Config         json.RawMessage `json:"config"`
		GenericWorker  *struct {
			Config json.RawMessage `json:"config"`
		} `json:"genericWorker"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return Options{}, fmt.Errorf("decode worker config: %w", err)
	}
	if doc.D2GConfig == nil && doc.MaxTaskRunTime == nil && !hasEnableKey(b) {
		switch {
		case doc.GenericWorker != nil && doc.GenericWorker.Config != nil:
			return ParseWorkerConfig(doc.GenericWorker.Config)
		case doc.Config != nil:
			return ParseWorkerConfig(doc.Config)
		}
	}
	opts := Options{Config: translate.DefaultConfig(), MaxTaskRunTime: DefaultMaxTaskRunTime}
	if doc.D2GConfig != nil && string(doc.D2GConfig) != "null" {
		if err := json.Unmarshal(doc.D2GConfig, &opts.Config); err != nil {
			return Options{}, fmt.Errorf("decode worker config d2gConfig: %w", err)
		}
	}
	var enables map[string]json.RawMessage
	if json.Unmarshal(b, &enables) == nil {
		for _, k := range GWFeatureKeys() {
			if v, ok := enables[k]; ok && string(bytes.TrimSpace(v)) == "false" {
				if opts.DisabledFeatures == nil {
					opts.DisabledFeatures = map[string]bool{}
				}
				opts.DisabledFeatures[k] = true
			}
		}
	}
	if doc.MaxTaskRunTime != nil {
		if *doc.MaxTaskRunTime < 1 {
			return Options{}, fmt.Errorf("worker config maxTaskRunTime %d: must be at least 1", *doc.MaxTaskRunTime)
		}
		opts.MaxTaskRunTime = *doc.MaxTaskRunTime
	}
	return opts, nil
}

// hasEnableKey reports whether the document sets a generic-worker feature
// key at its top level (so it is the config itself, not a wrapper).
func hasEnableKey(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	for _, k := range GWFeatureKeys() {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}
