package plan

import (
	"sort"
	"strconv"
)

// Identity is what the worker knows about the task run and itself at run
// time. docker-worker exported these to every container and they override
// the payload's env; dwshim does the same (spec §5.1).
type Identity struct {
	TaskID         string `json:"taskId"`
	RunID          int    `json:"runId"`
	TaskGroupID    string `json:"taskGroupId,omitempty"`
	RootURL        string `json:"rootUrl,omitempty"`
	WorkerType     string `json:"workerType,omitempty"`
	WorkerPool     string `json:"workerPool,omitempty"` // provisionerId/workerType
	WorkerGroup    string `json:"workerGroup,omitempty"`
	WorkerID       string `json:"workerId,omitempty"`
	InstanceType   string `json:"instanceType,omitempty"`
	PublicIP       string `json:"publicIp,omitempty"`
	WorkerLocation string `json:"workerLocation,omitempty"`
	// ProxyURL is the taskcluster proxy's URL as seen from the container,
	// set when the task has the proxy.
	ProxyURL string `json:"proxyUrl,omitempty"`
	// VideoDevice is the loopback video device allocated to the task.
	VideoDevice string `json:"videoDevice,omitempty"`
}

// WorkerVarNames are the variables the worker provides (see Env), sorted.
// A payload's value for one never reaches the container: the worker's
// value wins, and a variable the worker has no value for is left unset, as
// docker-worker forced them (spec §5.1).
var WorkerVarNames = []string{
	"RUN_ID", "TASKCLUSTER_INSTANCE_TYPE", "TASKCLUSTER_PROXY_URL", "TASKCLUSTER_PUBLIC_IP",
	"TASKCLUSTER_ROOT_URL", "TASKCLUSTER_VIDEO_DEVICE", "TASKCLUSTER_WORKER_GROUP",
	"TASKCLUSTER_WORKER_LOCATION", "TASKCLUSTER_WORKER_POOL", "TASKCLUSTER_WORKER_TYPE",
	"TASK_GROUP_ID", "TASK_ID",
}

// IsWorkerVar reports whether name is one of WorkerVarNames.
func IsWorkerVar(name string) bool {
	i := sort.SearchStrings(WorkerVarNames, name)
	return i < len(WorkerVarNames) && WorkerVarNames[i] == name
}

// Env returns the worker-provided variables that have a value, sorted by
// name. The others are left unset in the container (docker-worker exported
// the literal "undefined" for an unknown value; unset is what a task can
// test for).
func (id Identity) Env() []EnvVar {
	pairs := []EnvVar{
		{"TASK_ID", id.TaskID},
		{"RUN_ID", strconv.Itoa(id.RunID)},
		{"TASK_GROUP_ID", id.TaskGroupID},
		{"TASKCLUSTER_ROOT_URL", id.RootURL},
		{"TASKCLUSTER_WORKER_TYPE", id.WorkerType},
		{"TASKCLUSTER_WORKER_POOL", id.WorkerPool},
		{"TASKCLUSTER_WORKER_GROUP", id.WorkerGroup},
		{"TASKCLUSTER_INSTANCE_TYPE", id.InstanceType},
		{"TASKCLUSTER_PUBLIC_IP", id.PublicIP},
		{"TASKCLUSTER_WORKER_LOCATION", id.WorkerLocation},
		{"TASKCLUSTER_PROXY_URL", id.ProxyURL},
		{"TASKCLUSTER_VIDEO_DEVICE", id.VideoDevice},
	}
	out := pairs[:0]
	for _, p := range pairs {
		if p.Value != "" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ContainerEnv merges the payload env with the worker-provided variables:
// the worker's always win, and a payload's value for a worker variable is
// dropped even when the worker has none (WorkerVarNames). The result is
// sorted by name and has each name once, in "NAME=VALUE" form.
func (p *Plan) ContainerEnv(id Identity) []string {
	reserved := id.Env()
	merged := make([]EnvVar, 0, len(p.Env)+len(reserved))
	merged = append(merged, reserved...)
	for _, e := range p.Env {
		if !IsWorkerVar(e.Name) {
			merged = append(merged, e)
		}
	}
	sort.SliceStable(merged, func(i, j int) bool { return merged[i].Name < merged[j].Name })
	out := make([]string, len(merged))
	for i, e := range merged {
		out[i] = e.Name + "=" + e.Value
	}
	return out
}
