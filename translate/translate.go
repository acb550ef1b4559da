package translate

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/plan"
)

// Result is one translated docker-worker payload.
type Result struct {
	// Plan is what dwshim's runner executes, with docker-worker semantics
	// kept where d2g lost them (spec §5).
	Plan *plan.Plan
	// Payload is the generic-worker payload upstream d2g produces (the
	// "d2g" target); its JSON encoding equals upstream's.
	Payload *GenericWorkerPayload
	// EnvList is the env.list text d2g writes next to the payload (§2.3).
	EnvList string
	// ContainerName is the name in the docker run argv.
	ContainerName string
	// CopyArtifacts are the file/directory artifacts d2g copies out of the
	// container after it stops (none when features.artifacts is false).
	CopyArtifacts []CopyArtifact
	// Warnings are behaviours the targets change or drop, in a fixed order.
	Warnings []Warning
}

// CopyArtifact is one artifact d2g copies from the container.
type CopyArtifact struct {
	Name string `json:"name"`
	// SrcPath is the path in the container.
	SrcPath string `json:"srcPath"`
	// DestPath is relative to the task directory ("artifact0.txt").
	DestPath string `json:"destPath"`
}

// Placeholders d2g leaves in the argv for generic-worker to substitute.
const (
	PlaceholderTaskDir      = "__TASK_DIR__"
	PlaceholderImageID      = "__D2G_IMAGE_ID__"
	PlaceholderVideoDevice  = "__TASKCLUSTER_VIDEO_DEVICE__"
	PlaceholderNetwork      = "__TASKCLUSTER_DOCKER_NETWORK__"
	PlaceholderProxyGateway = "__TASKCLUSTER_PROXY_GATEWAY__"
)

// maxEnvFileLine is the longest NAME=VALUE that may go in env.list.
const maxEnvFileLine = 65536

// TranslatePayload translates a decoded payload under cfg. It fails only
// for an invalid image reference (*Error, MalformedPayload, /image).
func TranslatePayload(p *DockerWorkerPayload, cfg Config) (*Result, error) {
	if p.Image.Kind == ImageString || p.Image.Kind == ImageDockerImage {
		if err := ValidateImageReference(p.Image.Name); err != nil {
			return nil, &Error{Reason: MalformedPayload, Problems: []Problem{{Pointer: "/image", Message: err.Error()}}}
		}
	}
	t := translator{p: p, cfg: cfg}
	return t.run(), nil
}

type translator struct {
	p        *DockerWorkerPayload
	cfg      Config
	res      Result
	envNames []string // sorted once
	// backingLog is BackingLogName(p.Log); artExpires are the parsed
	// expiries of the sorted artifacts (when artifacts are enabled).
	backingLog string
	artExpires []time.Time
}

// granted flags: what the payload asks for and the config allows.
type grants struct {
	privileged, seccomp, ptrace, proxy           bool
	kvm, shm, video, audio, cot, interactive, gp bool
}

func (t *translator) grants() grants {
	p, c := t.p, t.cfg
	d := p.Capabilities.Devices
	return grants{
		privileged:  p.Capabilities.Privileged && c.AllowPrivileged,
		seccomp:     p.Capabilities.DisableSeccomp && c.AllowDisableSeccomp,
		ptrace:      p.Features.AllowPtrace && c.AllowPtrace,
		proxy:       p.Features.TaskclusterProxy && c.AllowTaskclusterProxy,
		kvm:         d.KVM && c.AllowKVM,
		shm:         d.HostSharedMemory && c.AllowHostSharedMemory,
		video:       d.LoopbackVideo && c.AllowLoopbackVideo,
		audio:       d.LoopbackAudio && c.AllowLoopbackAudio,
		cot:         p.Features.ChainOfTrust && c.AllowChainOfTrust,
		interactive: p.Features.Interactive && c.AllowInteractive,
		gp:          c.AllowGPUs,
	}
}

func (t *translator) run() *Result {
	p := t.p
	g := t.grants()
	t.res.ContainerName = t.containerName()
	t.res.Payload = &GenericWorkerPayload{
		MaxRunTime:                p.MaxRunTime,
		OSGroups:                  []string{"docker"},
		SupersederURL:             p.SupersederURL,
		TaskclusterProxyInterface: "docker-bridge",
	}
	cacheNames := sortedKeys(p.Cache)
	artNames := sortedKeys(p.Artifacts)
	t.envNames = sortedKeys(p.Env)
	t.backingLog = BackingLogName(p.Log)
	if p.Features.Artifacts && len(artNames) > 0 {
		t.artExpires = make([]time.Time, len(artNames))
		for i, n := range artNames {
			t.artExpires[i] = expiresTime(p.Artifacts[n].Expires)
		}
	}
	t.gwArtifacts(artNames)
	envArgs := t.envList(g)
	t.gwMounts(cacheNames)
	t.res.Plan = t.plan(g, cacheNames, artNames)
	t.res.Payload.Command = [][]string{t.argv(t.res.Plan, envArgs)}
	t.gwFeatures(g)
	t.res.Payload.OnExitStatus = GWOnExitStatus{PurgeCaches: p.OnExitStatus.PurgeCaches, Retry: p.OnExitStatus.Retry}
	t.warn(g)
	return &t.res
}

func (t *translator) containerName() string {
	if t.cfg.ContainerName != nil {
		return t.cfg.ContainerName()
	}
	return "taskcontainer_" + niceSlug()
}

// niceSlug returns a 22-character url-safe id whose first character is
// not '-' (slugid.Nice).
func niceSlug() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // v4 uuid
	b[8] = b[8]&0x3f | 0x80
	b[0] &= 0x7f
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// gwArtifacts fills payload.artifacts and CopyArtifacts (§2.6).
func (t *translator) gwArtifacts(names []string) {
	if !t.p.Features.Artifacts || len(names) == 0 {
		return
	}
	arts := make([]GWArtifact, len(names))
	for i, name := range names {
		a := t.p.Artifacts[name]
		gw := GWArtifact{Name: name, Optional: true, Type: a.Type}
		if a.Type == "volume" {
			gw.Type = "directory"
			gw.Path = dockerrun.VolumeDir(i, a.Path)
		} else {
			gw.Path = "artifact" + strconv.Itoa(i) + filepath.Ext(a.Path)
			t.res.CopyArtifacts = append(t.res.CopyArtifacts, CopyArtifact{Name: name, SrcPath: a.Path, DestPath: gw.Path})
		}
		gw.Expires = TCTime(t.artExpires[i])
		arts[i] = gw
	}
	t.res.Payload.Artifacts = arts
}

// passThrough are env.list names docker copies from the docker CLI's env.
var passThrough = []string{"RUN_ID", "TASKCLUSTER_INSTANCE_TYPE", "TASKCLUSTER_ROOT_URL", "TASKCLUSTER_WORKER_LOCATION", "TASK_GROUP_ID", "TASK_ID"}

// envList builds EnvList and returns the env options of the docker run
// command for the variables env.list cannot hold (§2.3). Lines are sorted as the byte strings "NAME=VALUE" (or "NAME"
// for pass-through names) without building them first; the text is
// written once.
func (t *translator) envList(g grants) []dockerrun.Opt {
	env := t.p.Env
	lines := make([]envLine, 0, len(t.envNames)+len(passThrough)+2)
	size := 0
	var args []dockerrun.Opt
	for _, n := range t.envNames {
		v := env[n]
		if !inEnvFile(n, v) {
			args = append(args, dockerrun.Opt{Flag: dockerrun.Env, Value: n + "=" + v})
			continue
		}
		lines = append(lines, envLine{n, v, false})
		size += len(n) + len(v) + 2
	}
	bare := func(n string) {
		lines = append(lines, envLine{n, "", true})
		size += len(n) + 1
	}
	for _, n := range passThrough {
		bare(n)
	}
	if g.proxy {
		bare("TASKCLUSTER_PROXY_URL")
	}
	if g.video {
		bare("TASKCLUSTER_VIDEO_DEVICE")
	}
	slices.SortFunc(lines, compareEnvLines)
	var sb strings.Builder
	sb.Grow(size)
	for _, l := range lines {
		sb.WriteString(l.name)
		if !l.bare {
			sb.WriteByte('=')
			sb.WriteString(l.value)
		}
		sb.WriteByte('\n')
	}
	t.res.EnvList = sb.String()
	return args
}

// inEnvFile says whether d2g writes the variable to env.list (otherwise
// it is a "-e" argument: values with newlines, long lines).
func inEnvFile(name, value string) bool {
	return !strings.Contains(value, "\n") && len(name)+1+len(value) <= maxEnvFileLine
}

// envLine is one env.list line: "name=value", or "name" when bare.
type envLine struct {
	name, value string
	bare        bool
}

// segs returns the line as up to three segments.
func (l *envLine) segs() ([3]string, int) {
	if l.bare {
		return [3]string{l.name}, 1
	}
	return [3]string{l.name, "=", l.value}, 3
}

// compareEnvLines compares two lines as the byte strings they render to.
func compareEnvLines(a, b envLine) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return compareEnvTails(a, b)
}

// compareEnvTails compares lines whose names are equal or one a prefix of
// the other, segment by segment.
func compareEnvTails(a, b envLine) int {
	as, na := a.segs()
	bs, nb := b.segs()
	i, j := 0, 0 // segment indices
	x, y := as[0], bs[0]
	for {
		for x == "" && i+1 < na {
			i++
			x = as[i]
		}
		for y == "" && j+1 < nb {
			j++
			y = bs[j]
		}
		if x == "" || y == "" {
			return cmp.Compare(len(x), len(y))
		}
		k := min(len(x), len(y))
		if c := strings.Compare(x[:k], y[:k]); c != 0 {
			return c
		}
		x, y = x[k:], y[k:]
	}
}

// gwMounts: caches in sorted name order, then the image file mount (§2.4, §2.5).
func (t *translator) gwMounts(cacheNames []string) {
	im := t.p.Image
	n := len(cacheNames)
	if im.Kind == ImageIndexed || im.Kind == ImageTask {
		n++
	}
	if n == 0 {
		return
	}
	mounts := make([]GWMount, 0, n)
	for i, name := range cacheNames {
		mounts = append(mounts, GWMount{CacheName: name, Directory: dockerrun.CacheDir(i)})
	}
	switch im.Kind {
	case ImageIndexed:
		mounts = append(mounts, GWMount{Content: &GWContent{Artifact: im.Path, Namespace: im.Namespace}, File: "dockerimage", Format: imageFormat(im.Path)})
	case ImageTask:
		mounts = append(mounts, GWMount{Content: &GWContent{Artifact: im.Path, TaskID: im.TaskID}, File: "dockerimage", Format: imageFormat(im.Path)})
	}
	t.res.Payload.Mounts = mounts
}

// imageFormat: only .lz4 gets a format; docker load handles the others.
func imageFormat(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".lz4") {
		return "lz4"
	}
	return ""
}

func (t *translator) gwFeatures(g grants) {
	f := GWFeatures{
		ChainOfTrust:     g.cot,
		Interactive:      g.interactive,
		LoopbackAudio:    g.audio,
		LoopbackVideo:    g.video,
		ResourceMonitor:  true,
		TaskclusterProxy: g.proxy || t.p.Image.Kind == ImageIndexed,
	}
	if t.p.Features.Artifacts {
		f.LiveLog, f.BackingLog = t.p.Features.LocalLiveLog, t.p.Features.BulkLog
	}
	t.res.Payload.Features = f
	t.res.Payload.Logs = GWLogs{Live: t.p.Log, Backing: t.backingLog}
}

// BackingLogName derives the backing log name from the live log name:
// "public/logs/live.log" → "public/logs/live_backing.log", "foo" →
// "foo_backing" (spec §2.9).
func BackingLogName(live string) string {
	base := filepath.Base(live)
	ext := filepath.Ext(base)
	return filepath.Join(filepath.Dir(live), strings.TrimSuffix(base, ext)+"_backing"+ext)
}

// expiresTime parses an artifact's expiry (already validated).
func expiresTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	ts, _ := parseDateTime(s)
	return ts.UTC()
}
