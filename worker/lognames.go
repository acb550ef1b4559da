package worker

import (
	"encoding/json"

	"github.com/dwshim/dwshim/translate"
)

// Default log artifact names (docker-worker's logs_location.js and
// bulk_log.js).
const (
	liveLogName    = "public/logs/live.log"
	backingLogName = "public/logs/live_backing.log"
	bulkLogName    = "public/logs/terminal_bulk.log.gz"
)

// logNames say which logs a run publishes, and under which names, read
// from the docker-worker payload as docker-worker read it:
//   - payload.log names the live log (default public/logs/live.log); the
//     backing log is named after it with "_backing" before the extension
//     (translate.BackingLogName: "public/logs/live_backing.log").
//   - features.localLiveLog (default true) publishes both: the live log
//     while the task runs, then the backing log, the live log becoming a
//     link to it. When false, docker-worker published neither.
//   - features.bulkLog, only when the payload sets it true (docker-worker's
//     own default was false, whatever the schema says), also uploads the
//     log as public/logs/terminal_bulk.log.gz.
//
// A payload that is not an object, or whose fields have the wrong type,
// gets the defaults: the task fails validation later, and its log is still
// published where a user looks first.
type logNames struct {
	live, backing string
	liveLog, bulk bool
}

func logNamesOf(payload json.RawMessage) logNames {
	n := logNames{live: liveLogName, backing: backingLogName, liveLog: true}
	var p struct {
		Log      any            `json:"log"`
		Features map[string]any `json:"features"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return n
	}
	if s, ok := p.Log.(string); ok && s != "" {
		n.live, n.backing = s, translate.BackingLogName(s)
	}
	if v, ok := p.Features["localLiveLog"].(bool); ok {
		n.liveLog = v
	}
	if v, ok := p.Features["bulkLog"].(bool); ok {
		n.bulk = v
	}
	return n
}
