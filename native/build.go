package native

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/internal/jsonptr"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/translate"
)

// workerEnv are the variables generic-worker sets for every task that the
// container gets, passed after the payload's so they win, as docker-worker
// did (spec §2.3, §5). The proxy URL and video device are added when used.
var workerEnv = []string{
	"RUN_ID", "TASKCLUSTER_INSTANCE_TYPE", "TASKCLUSTER_ROOT_URL",
	"TASKCLUSTER_WORKER_LOCATION", "TASK_GROUP_ID", "TASK_ID",
}

// HostEnv are env names that would change how the task's own commands (the
// shell, the docker CLI) behave if generic-worker set them in the process
// environment. A payload's value for one is renamed HostEnvPrefix+NAME in
// the generic-worker env and reaches the container through EnvFile.
var HostEnv = []string{
	"BASH_ENV", "CDPATH", "DOCKER_API_VERSION", "DOCKER_BUILDKIT", "DOCKER_CERT_PATH",
	"DOCKER_CLI_EXPERIMENTAL", "DOCKER_CONFIG", "DOCKER_CONTENT_TRUST",
	"DOCKER_CONTENT_TRUST_SERVER", "DOCKER_CONTEXT", "DOCKER_DEFAULT_PLATFORM", "DOCKER_HOST",
	"DOCKER_TLS", "DOCKER_TLS_VERIFY", "ENV", "HOME", "IFS", "LD_AUDIT", "LD_LIBRARY_PATH",
	"LD_PRELOAD", "PATH", "PS4", "SHELL", "TMPDIR",
}

// stopMargin is how long before maxRunTime the run script's watchdog
// stops the container, so that the timeout is logged, the artifacts are
// copied out and the container removed before generic-worker kills the
// commands: a tenth of maxRunTime, at least 1 s and at most 10 s (none for
// a 1 s maxRunTime, where the reaper removes the container).
func stopMargin(maxRunTime int64) int64 {
	if maxRunTime < 2 {
		return 0
	}
	return min(10, max(1, maxRunTime/10))
}

// Build turns a plan into a native generic-worker payload. Warnings say
// what docker-worker did that this payload does differently. The error is
// for a plan that cannot be expressed safely (a bug upstream of here).
//
// Build is BuildTask without a task queue (a bare payload).
func Build(p *plan.Plan) (*translate.GenericWorkerPayload, []Warning, error) {
	return BuildTask(p, "")
}

// BuildTask is Build for a task of queue taskQueueID
// (provisionerId/workerType): the container also gets
// TASKCLUSTER_WORKER_POOL and TASKCLUSTER_WORKER_TYPE, which
// docker-worker forced and generic-worker does not set. The other worker
// variables come from generic-worker's task environment (TASK_ID, RUN_ID,
// TASKCLUSTER_ROOT_URL, …) or are left unset (TASKCLUSTER_WORKER_GROUP,
// TASKCLUSTER_PUBLIC_IP); a payload's value for any of them is never
// passed.
func BuildTask(p *plan.Plan, taskQueueID string) (*translate.GenericWorkerPayload, []Warning, error) {
	b := builder{p: p, queue: taskQueueID}
	if err := b.image(); err != nil {
		return nil, nil, err
	}
	b.out.MaxRunTime = int64(p.MaxRunTime.Std().Seconds())
	b.out.OSGroups = []string{"docker"}
	b.out.SupersederURL = p.SupersederURL
	b.features()
	b.caches()
	b.artifacts()
	b.env()
	b.devices()
	if err := b.command(); err != nil {
		return nil, nil, err
	}
	retry := b.exitCodes("/onExitStatus/retry", p.OnExit.Retry, 1)
	purge := b.exitCodes("/onExitStatus/purgeCaches", p.OnExit.PurgeCaches, 0)
	b.out.OnExitStatus = translate.GWOnExitStatus{Retry: retry, PurgeCaches: purge}
	return &b.out, b.warns, nil
}

type builder struct {
	p      *plan.Plan
	queue  string   // task queue id, "" for a bare payload
	forced []string // worker variables set in the payload env by the translation
	out    translate.GenericWorkerPayload
	warns  []Warning

	imageCmd []string
	vols     []string // "cache0:/path", "volume1:/path": host side relative to the task dir
	copies   []string // src, dest pairs for docker cp
	envNames []string // payload names passed through the process env
	hostEnv  []string // payload names renamed (HostEnv), via EnvFile
	// scriptOpts are the run script's options: proxy, video.
	scriptOpts []string
}

func (b *builder) warn(code translate.WarningCode, ptr, format string, args ...any) {
	b.warns = append(b.warns, Warning{Pointer: ptr, Message: fmt.Sprintf(format, args...), Code: code})
}

// exitCodes keeps the codes generic-worker's schema accepts (at least
// minimum, each once), which docker-worker did not require.
func (b *builder) exitCodes(ptr string, codes []int, minimum int) []int64 {
	var out []int64
	for i, c := range codes {
		switch {
		case c < minimum:
			b.warn(translate.WarnExitStatusDropped, fmt.Sprintf("%s/%d", ptr, i), "exit code %d is below generic-worker's minimum %d: left out", c, minimum)
		case slices.Contains(out, int64(c)):
			b.warn(translate.WarnExitStatusDropped, fmt.Sprintf("%s/%d", ptr, i), "exit code %d is listed twice: left out once", c)
		default:
			out = append(out, int64(c))
		}
	}
	return out
}

func (b *builder) image() error {
	im := b.p.Image
	switch im.Kind {
	case plan.ImageNamed:
		if im.Ref == "" || strings.HasPrefix(im.Ref, "-") {
			return fmt.Errorf("native: unsafe image reference %q", im.Ref)
		}
		b.imageCmd = []string{"/bin/sh", "-c", pullScript(b.p.Features.ChainOfTrust), "dwshim-image", im.Ref}
		return nil
	case plan.ImageTaskArtifact, plan.ImageIndexed:
		m := translate.GWMount{File: ImageFile, Content: &translate.GWContent{Artifact: im.Path, TaskID: im.TaskID, Namespace: im.Namespace}}
		// generic-worker decompresses these; docker load reads gzip, bzip2
		// and xz itself, but not lz4, and the 20.10 daemon not zstd.
		switch strings.ToLower(path.Ext(im.Path)) {
		case ".lz4":
			m.Format = "lz4"
		case ".zst":
			m.Format = "zst"
		}
		b.out.Mounts = append(b.out.Mounts, m)
		b.imageCmd = []string{"/bin/sh", "-c", loadScript(b.p.Features.ChainOfTrust), "dwshim-image"}
		return nil
	}
	return fmt.Errorf("native: unknown image kind %q", im.Kind)
}

func (b *builder) features() {
	f := b.p.Features
	b.out.Features = translate.GWFeatures{
		LiveLog: f.LiveLog, BackingLog: f.BackingLog,
		ChainOfTrust: f.ChainOfTrust, TaskclusterProxy: f.TaskclusterProxy,
		// generic-worker's default, written as d2g writes it.
		ResourceMonitor: true,
	}
	b.out.Logs = translate.GWLogs{Live: f.LiveLogName, Backing: f.BackingLogName}
	if f.TaskclusterProxy {
		b.out.TaskclusterProxyInterface = "docker-bridge"
	}
	if f.Interactive {
		b.warn(translate.WarnInteractive, "/features/interactive", "docker-worker's interactive shell in the container has no native equivalent, so the payload leaves "+
			"interactive off (generic-worker's interactive feature would open a shell on the worker, not in the container)")
	}
	if f.ChainOfTrust {
		b.warn(translate.WarnChainOfTrust, "/features/chainOfTrust", "the image hashes in the chain-of-trust certificate are written by the task's own "+
			"commands (chain-of-trust-additional-data.json), not by the worker")
	}
}

// devices turns on the generic-worker features behind the loopback devices.
func (b *builder) devices() {
	for _, d := range b.p.Capabilities.Devices {
		switch d.Kind {
		case plan.DeviceLoopbackAudio:
			b.out.Features.LoopbackAudio = true
			b.warn(translate.WarnLoopbackDevice, "/capabilities/devices/loopbackAudio", "generic-worker's loopbackAudio feature gives the container all of /dev/snd, not one allocated card")
		case plan.DeviceLoopbackVideo:
			b.out.Features.LoopbackVideo = true
			b.warn(translate.WarnLoopbackDevice, "/capabilities/devices/loopbackVideo", "generic-worker uses one configured /dev/video device for every task on the worker, not docker-worker's pool")
		}
	}
}

// caches are generic-worker writable directory caches, which the run
// script mounts (runFlags).
func (b *builder) caches() {
	for i, c := range b.p.Caches {
		if strings.Contains(c.MountPath, ":") {
			b.warn(translate.WarnVolumePathColon, "/cache/"+jsonptr.Escape(c.Name), "a mount path with ':' would be read as docker volume options: the cache is left out")
			continue
		}
		b.out.Mounts = append(b.out.Mounts, translate.GWMount{CacheName: c.Name, Directory: dockerrun.CacheDir(i)})
	}
}

func (b *builder) artifacts() {
	if !b.p.Features.UploadArtifacts {
		return
	}
	for i, a := range b.p.Artifacts {
		ext := path.Ext(a.Path)
		if strings.ContainsAny(ext, "/:") {
			ext = ""
		}
		ga := translate.GWArtifact{Name: a.Name, Optional: true, Type: string(a.Kind), Expires: translate.TCTime(a.Expires)}
		switch a.Kind {
		case plan.ArtifactVolume:
			if strings.Contains(a.Path, ":") {
				b.warn(translate.WarnVolumePathColon, "/artifacts/"+jsonptr.Escape(a.Name), "a volume path with ':' would be read as docker volume options: the artifact is left out")
				continue
			}
			ga.Path, ga.Type = dockerrun.VolumeDir(i, a.Path), "directory"
		default:
			ga.Path = "artifact" + strconv.Itoa(i) + ext
			b.copies = append(b.copies, a.Path, ga.Path)
		}
		b.out.Artifacts = append(b.out.Artifacts, ga)
	}
}
