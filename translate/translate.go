package translate

import (
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"strings"
	"time"

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
			return nil, &Error{Reason: MalformedPayload, Problems: []Problem{{Pointer: "/image", Message: err.Error(), Kind: ProblemImageReference}}}
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
	t.res.Plan = t.plan(g, cacheNames, artNames)
	buildD2G(t.res.Plan, p.MaxRunTime, &t.res)
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
