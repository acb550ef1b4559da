package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Status is generic-worker's worker-status.json: the tasks running now.
// The worker rewrites it whenever a run starts or ends and removes it when
// it exits; `dwshim status` (generic-worker's `status`) prints it.
type Status struct {
	CurrentTaskIDs []string `json:"currentTaskIds"`
}

// DefaultStatusPath is where generic-worker keeps the status file:
// worker-status.json in the system temporary directory.
func DefaultStatusPath() string { return filepath.Join(os.TempDir(), "worker-status.json") }

// ReadStatus reads the status file at path; a missing file is an idle
// worker (no current tasks), as generic-worker answers.
func ReadStatus(path string) (Status, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Status{CurrentTaskIDs: []string{}}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("worker status: %w", err)
	}
	var st Status
	if err := json.Unmarshal(b, &st); err != nil {
		return Status{}, fmt.Errorf("worker status %s: %w", path, err)
	}
	if st.CurrentTaskIDs == nil {
		st.CurrentTaskIDs = []string{}
	}
	return st, nil
}

// writeStatus records the running task ids (sorted, so the file does not
// depend on map order), atomically by rename. Caller holds w.mu. Failures
// are logged: the status file is for operators, never worth a task.
func (w *Worker) writeStatus() {
	path := w.opts.StatusPath
	if path == "" {
		return
	}
	ids := []string{}
	for _, rs := range w.running {
		ids = append(ids, rs.claim.TaskID)
	}
	slices.Sort(ids)
	b, _ := json.MarshalIndent(Status{CurrentTaskIDs: ids}, "", "  ")
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, append(b, '\n'), 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		w.logger.Warn("could not write the worker status file", "path", path, "err", err)
	}
}

// removeStatus removes the status file when the worker exits.
func (w *Worker) removeStatus() {
	if w.opts.StatusPath != "" {
		_ = os.Remove(w.opts.StatusPath)
	}
}
