package native

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/internal/jsonptr"
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
		ptr := "/env/" + jsonptr.Escape(e.Name)
		switch {
		case e.Name == "" || strings.ContainsAny(e.Name, "=\x00"):
			b.warn(translate.WarnEnvDropped, ptr, "a process environment cannot hold this name: the variable is dropped")
		case strings.Contains(e.Value, "\x00"):
			b.warn(translate.WarnEnvDropped, ptr, "a process environment cannot hold a NUL byte: the variable is dropped")
		case len(e.Name)+1+len(e.Value) > maxEnvString:
			b.warn(translate.WarnEnvDropped, ptr, "longer than Linux allows for one environment variable (%d bytes): the variable is dropped", maxEnvString)
		case plan.IsWorkerVar(e.Name):
			b.warn(translate.WarnNativeWorkerVariable, ptr, "%s is a worker variable: as in docker-worker the payload's value is never passed; the container gets the worker's value, or none where generic-worker provides none", e.Name)
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

// envOpts are the docker run env options: the env file of the renamed
// HostEnv names, then every variable passed through by name from the
// commands' environment (the payload's, then the worker's, so the
// worker's win as in docker-worker).
func (b *builder) envOpts() []dockerrun.Opt {
	var o []dockerrun.Opt
	add := func(n string) { o = append(o, dockerrun.Opt{Flag: dockerrun.Env, Value: n}) }
	if len(b.hostEnv) > 0 {
		o = append(o, dockerrun.Opt{Flag: dockerrun.EnvFile, Value: EnvFile})
	}
	for _, n := range b.envNames {
		add(n)
	}
	for _, n := range workerEnv {
		add(n)
	}
	for _, n := range b.forced {
		add(n)
	}
	if b.p.Features.TaskclusterProxy {
		add("TASKCLUSTER_PROXY_URL")
	}
	if b.out.Features.LoopbackVideo {
		add("TASKCLUSTER_VIDEO_DEVICE")
	}
	return o
}

// runFlags renders the plan's docker run options (dockerrun, the one
// builder of both targets) for the run script: the options known now as
// `--flag=value` arguments; the task-directory mounts as its volume list
// (it prefixes the task directory); the proxy network and host and the
// video device, which generic-worker gives the commands' environment, as
// its options. The script names the container.
func (b *builder) runFlags() []string {
	var buf [32]dockerrun.Opt
	opts := dockerrun.Append(buf[:0], b.p)
	opts = append(opts, b.envOpts()...)
	f := make([]string, 0, len(opts))
	for _, o := range opts {
		switch o.Flag {
		case dockerrun.Name:
		case dockerrun.Volume:
			// A path with ':' was left out with a warning (caches,
			// artifacts): docker would read it as volume options.
			if !strings.Contains(o.Value, ":") {
				b.vols = append(b.vols, o.Dir+":"+o.Value)
			}
		case dockerrun.ProxyNetwork:
			b.scriptOpts = append(b.scriptOpts, "proxy")
		case dockerrun.ProxyHost: // the script adds it with the network
		case dockerrun.VideoDevice:
			b.scriptOpts = append(b.scriptOpts, "video")
		default:
			f = append(f, o.Arg())
		}
	}
	return f
}

func (b *builder) command() error {
	flags := b.runFlags()
	if slices.Contains(flags, "--") {
		return fmt.Errorf("native: a docker run flag is \"--\"")
	}
	deadline := b.out.MaxRunTime - stopMargin(b.out.MaxRunTime)
	opts := strings.Join(b.scriptOpts, ",")
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
