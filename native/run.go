package native

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

// maxEnvString is Linux's limit on one "NAME=VALUE" string at exec
// (MAX_ARG_STRLEN, 32 pages).
const maxEnvString = 32 * 4096

func (b *builder) env() {
	if q := b.queue; q != "" {
		// Forced as docker-worker forced them; generic-worker does not set
		// them, so they are the translation's, known from the task.
		_, wt, _ := strings.Cut(q, "/")
		b.setEnv("TASKCLUSTER_WORKER_POOL", q)
		b.setEnv("TASKCLUSTER_WORKER_TYPE", wt)
		b.forced = []string{"TASKCLUSTER_WORKER_POOL", "TASKCLUSTER_WORKER_TYPE"}
	}
	host := map[string]bool{}
	for _, n := range HostEnv {
		host[n] = true
	}
	for _, e := range b.p.Env {
		ptr := "/env/" + escapePointer(e.Name)
		switch {
		case e.Name == "" || strings.ContainsAny(e.Name, "=\x00"):
			b.warn(translate.WarnEnvDropped, ptr, "a process environment cannot hold this name: the variable is dropped")
		case strings.Contains(e.Value, "\x00"):
			b.warn(translate.WarnEnvDropped, ptr, "a process environment cannot hold a NUL byte: the variable is dropped")
		case len(e.Name)+1+len(e.Value) > maxEnvString:
			b.warn(translate.WarnEnvDropped, ptr, "longer than Linux allows for one environment variable (%d bytes): the variable is dropped", maxEnvString)
		case plan.IsWorkerVar(e.Name):
			b.warn(translate.WarnWorkerVariable, ptr, "%s is a worker variable: as in docker-worker the payload's value is never passed; the container gets the worker's value, or none where generic-worker provides none", e.Name)
		case strings.HasPrefix(e.Name, HostEnvPrefix) && host[strings.TrimPrefix(e.Name, HostEnvPrefix)]:
			b.warn(translate.WarnEnvDropped, ptr, "names starting with %s are used by the native target: the variable is dropped", HostEnvPrefix)
		case host[e.Name] && strings.ContainsAny(e.Value, "\r\n"):
			b.warn(translate.WarnEnvDropped, ptr, "%s would change the worker-side shell or docker CLI, so it goes through an env file, which cannot hold a multi-line value: the variable is dropped", e.Name)
		case host[e.Name]:
			b.setEnv(HostEnvPrefix+e.Name, e.Value)
			b.hostEnv = append(b.hostEnv, e.Name)
		default:
			b.setEnv(e.Name, e.Value)
			b.envNames = append(b.envNames, e.Name)
		}
	}
}

func (b *builder) setEnv(name, value string) {
	if b.out.Env == nil {
		b.out.Env = map[string]string{}
	}
	b.out.Env[name] = value
}

func hasDevice(p *plan.Plan, k plan.DeviceKind) bool {
	return slices.ContainsFunc(p.Capabilities.Devices, func(d plan.Device) bool { return d.Kind == k })
}

// runFlags are the docker run flags that need no expansion at run time.
func (b *builder) runFlags() []string {
	p := b.p
	var f []string
	if p.TTY {
		f = append(f, "-t")
	}
	f = append(f, "--memory-swap=-1", "--pids-limit=-1", "--pull=never")
	c := p.Capabilities
	switch {
	case c.Privileged:
		f = append(f, "--privileged")
	case c.Ptrace:
		f = append(f, "--cap-add=SYS_PTRACE")
	}
	if c.DisableSeccomp {
		f = append(f, "--security-opt=seccomp=unconfined")
	}
	hostShm := false
	for _, d := range c.Devices {
		switch d.Kind {
		case plan.DeviceKVM:
			f = append(f, "--device=/dev/kvm")
		case plan.DeviceHostSharedMemory:
			hostShm = true
			f = append(f, "--volume=/dev/shm:/dev/shm")
		case plan.DeviceLoopbackAudio:
			b.out.Features.LoopbackAudio = true
			f = append(f, "--device=/dev/snd")
			b.warn(translate.WarnLoopbackDevice, "/capabilities/devices/loopbackAudio", "generic-worker's loopbackAudio feature gives the container all of /dev/snd, not one allocated card")
		case plan.DeviceLoopbackVideo:
			b.out.Features.LoopbackVideo = true
			b.opts = append(b.opts, "video")
			b.warn(translate.WarnLoopbackDevice, "/capabilities/devices/loopbackVideo", "generic-worker uses one configured /dev/video device for every task on the worker, not docker-worker's pool")
		case plan.DeviceHostPath:
			f = append(f, "--device="+d.HostPath)
		}
	}
	if c.GPUs != "" {
		f = append(f, "--gpus="+c.GPUs)
	}
	if p.ShmSize > 0 && !hostShm {
		f = append(f, "--shm-size="+strconv.FormatInt(p.ShmSize, 10))
	}
	for _, h := range p.ExtraHosts {
		f = append(f, "--add-host="+h)
	}
	if len(b.hostEnv) > 0 {
		f = append(f, "--env-file="+EnvFile)
	}
	for _, n := range b.envNames {
		f = append(f, "--env="+n)
	}
	for _, n := range workerEnv {
		f = append(f, "--env="+n)
	}
	for _, n := range b.forced {
		f = append(f, "--env="+n)
	}
	if p.Features.TaskclusterProxy {
		f = append(f, "--env=TASKCLUSTER_PROXY_URL")
	}
	if slices.Contains(b.opts, "video") {
		f = append(f, "--env=TASKCLUSTER_VIDEO_DEVICE")
	}
	return f
}

func (b *builder) command() error {
	flags := b.runFlags()
	if slices.Contains(flags, "--") {
		return fmt.Errorf("native: a docker run flag is \"--\"")
	}
	deadline := b.out.MaxRunTime - stopMargin(b.out.MaxRunTime)
	opts := strings.Join(b.opts, ",")
	if opts == "" {
		opts = "-"
	}
	run := []string{"/bin/sh", "-c", runScript(b.hostEnv), "dwshim-run", opts,
		strconv.FormatInt(b.out.MaxRunTime, 10), strconv.FormatInt(deadline, 10)}
	run = append(run, strconv.Itoa(len(b.copies)/2))
	run = append(run, b.copies...)
	run = append(run, strconv.Itoa(len(b.vols)))
	run = append(run, b.vols...)
	run = append(run, flags...)
	run = append(run, "--")
	run = append(run, b.p.Command...)
	b.out.Command = [][]string{b.imageCmd, run}
	return nil
}
