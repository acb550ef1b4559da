package translate

import "strings"

// Refusal is one capability or feature a pool's d2gConfig can refuse.
type Refusal struct {
	// Pointer locates the payload property that asks for it.
	Pointer string
	// Key is the d2gConfig key that would allow it.
	Key string
}

// Refusals lists what the payload asks for that cfg disallows, in a fixed
// order. docker-worker failed such a task at once ("Cannot run task using
// docker privileged mode. Worker must be enabled to allow running of
// privileged tasks.", "… is not enabled on this worker"); upstream d2g
// drops the flag silently and the task fails later in a confusing way.
// dwshim refuses it everywhere (run, local, lint, convert), so that is
// decided here and nowhere else.
func Refusals(p *DockerWorkerPayload, cfg Config) []Refusal {
	d := p.Capabilities.Devices
	var out []Refusal
	for _, x := range []struct {
		asked, allowed bool
		ptr, key       string
	}{
		{p.Capabilities.Privileged, cfg.AllowPrivileged, "/capabilities/privileged", "allowPrivileged"},
		{p.Capabilities.DisableSeccomp, cfg.AllowDisableSeccomp, "/capabilities/disableSeccomp", "allowDisableSeccomp"},
		{d.HostSharedMemory, cfg.AllowHostSharedMemory, "/capabilities/devices/hostSharedMemory", "allowHostSharedMemory"},
		{d.KVM, cfg.AllowKVM, "/capabilities/devices/kvm", "allowKVM"},
		{d.LoopbackAudio, cfg.AllowLoopbackAudio, "/capabilities/devices/loopbackAudio", "allowLoopbackAudio"},
		{d.LoopbackVideo, cfg.AllowLoopbackVideo, "/capabilities/devices/loopbackVideo", "allowLoopbackVideo"},
		{p.Features.AllowPtrace, cfg.AllowPtrace, "/features/allowPtrace", "allowPtrace"},
		{p.Features.ChainOfTrust, cfg.AllowChainOfTrust, "/features/chainOfTrust", "allowChainOfTrust"},
		{p.Features.Interactive, cfg.AllowInteractive, "/features/interactive", "allowInteractive"},
		{p.Features.TaskclusterProxy, cfg.AllowTaskclusterProxy, "/features/taskclusterProxy", "allowTaskclusterProxy"},
	} {
		if x.asked && !x.allowed {
			out = append(out, Refusal{Pointer: x.ptr, Key: x.key})
		}
	}
	return out
}

// Field is the payload field in dotted form ("capabilities.privileged").
func (r Refusal) Field() string {
	return strings.ReplaceAll(strings.TrimPrefix(r.Pointer, "/"), "/", ".")
}

// Message is the one text for a refused capability.
func (r Refusal) Message() string {
	return r.Field() + " is refused by this worker pool: its config has d2gConfig." + r.Key +
		" false; set d2gConfig." + r.Key + " to true in the pool's config to allow it, or remove " + r.Field() + " from the payload"
}

// Scopes is what a task's scopes are checked against.
type Scopes struct {
	// TaskQueueID is the task's queue (provisionerId/workerType).
	TaskQueueID string
	// Expanded are the task's scopes with assume: roles expanded.
	Expanded []string
}

// Verdict is dwshim's one decision on whether a decoded payload may run
// under cfg: every refused capability (see Refusals) and, when scopes is
// not nil, every missing scope (see ValidateScopes). The error is an
// *Error (MalformedPayload) with all problems, refusals first, pointers
// prefixed with prefix ("/payload" for a task definition, "" for a bare
// payload; the capabilities' scope problem is at /scopes), or nil.
// `run`, `local`, `lint` and `convert` all decide through it.
func Verdict(p *DockerWorkerPayload, cfg Config, scopes *Scopes, prefix string) error {
	var probs []Problem
	for _, r := range Refusals(p, cfg) {
		probs = append(probs, Problem{Pointer: prefix + r.Pointer, Message: r.Message(), Kind: ProblemConfigDisallowed})
	}
	if scopes != nil {
		if err := ValidateScopes(p, scopes.TaskQueueID, scopes.Expanded); err != nil {
			probs = append(probs, err.(*Error).Problems...)
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &Error{Reason: MalformedPayload, Problems: probs}
}
