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

// Env returns the worker-provided variables, sorted by name. Empty values
// are left out (docker-worker did not export unknown values either).
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

// ContainerEnv merges the payload env with the worker-provided variables;
// the worker's win, as in docker-worker. The result is sorted by name and
// has each name once, in "NAME=VALUE" form for the engine.
func (p *Plan) ContainerEnv(id Identity) []string {
	reserved := id.Env()
	seen := make(map[string]bool, len(reserved))
	for _, e := range reserved {
		seen[e.Name] = true
	}
	merged := make([]EnvVar, 0, len(p.Env)+len(reserved))
	merged = append(merged, reserved...)
	for _, e := range p.Env {
		if !seen[e.Name] {
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
