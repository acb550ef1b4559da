package translate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dwshim/dwshim/internal/jsonptr"
	"github.com/dwshim/dwshim/plan"
)

// plan builds the typed Plan with docker-worker semantics (§5).
func (t *translator) plan(g grants, cacheNames, artNames []string) *plan.Plan {
	p := t.p
	pl := &plan.Plan{
		Image:      planImage(p.Image),
		Command:    slices.Clone(p.Command),
		ExtraHosts: []string{"localhost.localdomain:127.0.0.1"},
		TTY:        true,
		ShmSize:    plan.DockerWorkerShmSize,
		OnExit: plan.ExitPolicy{
			Retry:       toInts(p.OnExitStatus.Retry),
			PurgeCaches: toInts(p.OnExitStatus.PurgeCaches),
		},
		SupersederURL: p.SupersederURL,
	}
	if pl.Command == nil {
		pl.Command = []string{}
	}
	pl.Env = make([]plan.EnvVar, 0, len(p.Env))
	for _, n := range t.envNames {
		pl.Env = append(pl.Env, plan.EnvVar{Name: n, Value: p.Env[n]})
	}
	pl.Caches = make([]plan.Cache, len(cacheNames))
	for i, n := range cacheNames {
		pl.Caches[i] = plan.Cache{Name: n, MountPath: p.Cache[n]}
	}
	pl.Artifacts = []plan.Artifact{}
	if p.Features.Artifacts {
		pl.Artifacts = make([]plan.Artifact, len(artNames))
		for i, n := range artNames {
			a := p.Artifacts[n]
			pl.Artifacts[i] = plan.Artifact{Name: n, Path: a.Path, Kind: plan.ArtifactKind(a.Type), Expires: t.artExpires[i]}
		}
	}
	pl.Capabilities = plan.Capabilities{
		Privileged:     g.privileged,
		DisableSeccomp: g.seccomp,
		Ptrace:         g.ptrace,
		Devices:        []plan.Device{},
	}
	addDev := func(ok bool, k plan.DeviceKind) {
		if ok {
			pl.Capabilities.Devices = append(pl.Capabilities.Devices, plan.Device{Kind: k})
		}
	}
	addDev(g.kvm, plan.DeviceKVM)
	addDev(g.shm, plan.DeviceHostSharedMemory)
	addDev(g.video, plan.DeviceLoopbackVideo)
	addDev(g.audio, plan.DeviceLoopbackAudio)
	if g.gp {
		pl.Capabilities.GPUs = t.cfg.GPUs
		for _, d := range sortedCopy(t.cfg.NvidiaDevices) {
			pl.Capabilities.Devices = append(pl.Capabilities.Devices, plan.Device{Kind: plan.DeviceHostPath, HostPath: "/dev/" + d})
		}
	}
	if g.shm {
		pl.ShmSize = 0 // the host's /dev/shm is mounted instead
	}
	pl.MaxRunTime = plan.Duration(time.Duration(min(p.MaxRunTime, maxRunTimeSeconds)) * time.Second)
	pl.Features = plan.Features{
		TaskclusterProxy: g.proxy,
		ChainOfTrust:     g.cot,
		Interactive:      g.interactive,
		UploadArtifacts:  p.Features.Artifacts,
		LiveLog:          p.Features.LocalLiveLog,
		BackingLog:       p.Features.BulkLog,
		LiveLogName:      p.Log,
		BackingLogName:   t.backingLog,
	}
	return pl
}

// maxRunTimeSeconds is the largest maxRunTime a time.Duration can hold.
const maxRunTimeSeconds = math.MaxInt64 / int64(time.Second)

func planImage(im DWImage) plan.Image {
	switch im.Kind {
	case ImageIndexed:
		return plan.Image{Kind: plan.ImageIndexed, Namespace: im.Namespace, Path: im.Path}
	case ImageTask:
		return plan.Image{Kind: plan.ImageTaskArtifact, TaskID: im.TaskID, Path: im.Path}
	}
	return plan.Image{Kind: plan.ImageNamed, Ref: im.Name}
}

func toInts(v []int64) []int {
	out := make([]int, 0, len(v))
	for _, x := range v {
		out = append(out, int(x))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedCopy(s []string) []string {
	if slices.IsSorted(s) {
		return s
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// warn records, in a fixed order, what the targets drop or change.
func (t *translator) warn(g grants) {
	p := t.p
	// Capabilities the config refuses are not warned about here: they fail
	// the task (Refusals, Verdict); only the d2g target drops them silently.
	if p.Image.Kind == ImageIndexed && !g.proxy {
		t.addWarning(WarnD2GIndexedImageProxy, "/image", "d2g target: an indexed-image forces the generic-worker taskclusterProxy feature on, although the container does not use it; pools with the proxy disabled reject the task")
	}
	if !p.Features.Artifacts {
		t.addWarning(WarnD2GArtifactsDisableLogs, "/features/artifacts", "artifacts are disabled; in the d2g target this also disables the live and backing logs (the dwshim plan keeps them)")
	}
	for _, n := range t.envNames {
		if plan.IsWorkerVar(n) {
			t.addWarning(WarnWorkerVariable, "/env/"+jsonptr.Escape(n), fmt.Sprintf("%s is a worker variable: dwshim never passes the payload's value (docker-worker forced these): the container gets the worker's value, or none when the worker has no value; in the d2g target the payload value wins", n))
		}
	}
	for _, f := range ExitStatusFaults(p) {
		switch {
		case f.Below:
			t.addWarning(WarnD2GExitStatus, f.Pointer(), fmt.Sprintf("exit code %d is below generic-worker's minimum %d: the d2g payload will fail validation (the dwshim plan keeps docker-worker semantics)", f.Value, f.Minimum))
		default:
			t.addWarning(WarnD2GExitStatus, f.Pointer(), fmt.Sprintf("exit code %d is listed twice: the d2g payload will fail generic-worker's uniqueItems validation", f.Value))
		}
	}
	if p.MaxRunTime > maxRunTimeSeconds {
		t.addWarning(WarnMaxRunTimeClamped, "/maxRunTime", "maxRunTime is too large to represent; the plan uses the largest duration possible")
	}
}

func (t *translator) addWarning(code WarningCode, ptr, msg string) {
	t.res.Warnings = append(t.res.Warnings, Warning{Pointer: ptr, Message: msg, Code: code})
}
