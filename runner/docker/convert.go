package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// Labels put on every object the engine creates.
const (
	// LabelWorker holds Task.WorkerID; Sweep removes by it.
	LabelWorker = "dwshim.worker"
	// LabelTask holds Task.Key.
	LabelTask = "dwshim.task"
	// LabelKind says what the object is for: see the kind* constants.
	LabelKind = "dwshim.kind"
	// LabelCache holds the docker-worker cache name of a cache volume.
	LabelCache = "dwshim.cache"
)

// Values of LabelKind.
const (
	kindContainer  = "container"
	kindTaskVolume = "task-volume"
	kindCache      = "cache"
	kindNetwork    = "network"
	kindSnapshot   = "snapshot" // an image committed for dwshim local --shell
)

// ArtifactRepo is the default repository loaded image artifacts are
// tagged in (Options.ImageRepo).
const ArtifactRepo = "dwshim/artifact"

// artifactTag names the image loaded from the artifact with this identity.
// It depends only on the identity, so two tasks' images never collide even
// when the tags inside their tarballs do.
func artifactTag(repo, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return repo + ":" + hex.EncodeToString(sum[:])[:32]
}

// shortHash is the first 12 hex digits of sha256(s).
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

// sanitise maps s onto Docker's name alphabet [a-zA-Z0-9_.-], at most max
// bytes long.
func sanitise(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= max {
			break
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// uniqueName is prefix + sanitised s, with a hash of s appended when
// sanitising changed s, so distinct inputs never share a name.
func uniqueName(prefix, s string, max int) string {
	clean := sanitise(s, max)
	if clean == s {
		return prefix + clean
	}
	return prefix + clean + "-" + shortHash(s)
}

// ContainerName is the name of the container of the task with this key.
func ContainerName(key string) string { return uniqueName("dwshim-", key, 64) }

// CacheVolumeName is the named volume holding the docker-worker cache name.
// The hash keeps names distinct after sanitising ("a/b" vs "a-b").
func CacheVolumeName(name string) string {
	return "dwshim-cache-" + sanitise(name, 64) + "-" + shortHash(name)
}

// taskVolumeName is the per-task volume backing a volume artifact at p.
func taskVolumeName(key, p string) string {
	return "dwshim-" + sanitise(key, 64) + "-vol-" + shortHash(key+"\x00"+p)
}

// taskLabels are the labels of objects that belong to one task.
func taskLabels(t *runner.Task, kind string, extra map[string]string) map[string]string {
	l := maps.Clone(extra)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelWorker] = t.WorkerID
	l[LabelTask] = t.Key
	l[LabelKind] = kind
	return l
}

// cacheLabels are the labels of a cache volume: it outlives the task, so
// it names no task and Sweep leaves it alone.
func cacheLabels(t *runner.Task, name string, extra map[string]string) map[string]string {
	l := maps.Clone(extra)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelWorker] = t.WorkerID
	l[LabelKind] = kindCache
	l[LabelCache] = name
	return l
}

// volumeSpec is a volume the task needs before its container is created.
type volumeSpec struct {
	Name   string
	Labels map[string]string
}

// taskVolumes lists the per-task volumes of the task, one per volume
// artifact. Cache volumes are instances the engine hands out (caches.go).
func taskVolumes(t *runner.Task, extra map[string]string) (perTask []volumeSpec) {
	for _, a := range t.Plan.Artifacts {
		if a.Kind == plan.ArtifactVolume {
			perTask = append(perTask, volumeSpec{Name: taskVolumeName(t.Key, a.Path), Labels: taskLabels(t, kindTaskVolume, extra)})
		}
	}
	return perTask
}

// containerSpec converts the task into the create request for image. It is
// pure: the same task gives the same request. caches maps a cache name to
// the volume of the instance the task was given; a name missing from it
// mounts CacheVolumeName(name).
func containerSpec(t *runner.Task, image string, caches map[string]string, extra map[string]string) (client.ContainerCreateOptions, error) {
	p := t.Plan
	if p == nil {
		return client.ContainerCreateOptions{}, fmt.Errorf("task %q has no plan", t.Key)
	}
	cfg := &container.Config{
		Image:        image,
		Cmd:          append([]string(nil), p.Command...),
		Env:          p.ContainerEnv(t.Identity),
		Tty:          p.TTY,
		AttachStdout: true,
		AttachStderr: true,
		Labels:       taskLabels(t, kindContainer, extra),
	}
	minusOne := int64(-1)
	hc := &container.HostConfig{
		// As d2g: no log copy in the daemon (the runner has the stream),
		// no swap or pids limit.
		LogConfig:  container.LogConfig{Type: "none"},
		ExtraHosts: append([]string(nil), p.ExtraHosts...),
		ShmSize:    p.ShmSize,
		Privileged: p.Capabilities.Privileged,
	}
	hc.MemorySwap = -1
	hc.PidsLimit = &minusOne
	if m := p.Limits.MemoryBytes; m > 0 {
		hc.Memory, hc.MemorySwap = m, m // no swap beyond the limit
	}
	if n := p.Limits.Pids; n > 0 {
		hc.PidsLimit = &n
	}
	if p.Capabilities.Ptrace && !p.Capabilities.Privileged {
		hc.CapAdd = []string{"SYS_PTRACE"}
	}
	if p.Capabilities.DisableSeccomp {
		hc.SecurityOpt = []string{"seccomp=unconfined"}
	}
	for _, c := range p.Caches {
		if !path.IsAbs(c.MountPath) {
			return client.ContainerCreateOptions{}, fmt.Errorf("cache %q: mount path %q is not absolute", c.Name, c.MountPath)
		}
		src := caches[c.Name]
		if src == "" {
			src = CacheVolumeName(c.Name)
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: src, Target: c.MountPath})
	}
	for _, a := range p.Artifacts {
		if a.Kind != plan.ArtifactVolume {
			continue
		}
		if !path.IsAbs(a.Path) {
			return client.ContainerCreateOptions{}, fmt.Errorf("volume artifact %q: path %q is not absolute", a.Name, a.Path)
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: taskVolumeName(t.Key, a.Path), Target: a.Path})
	}
	if err := addDevices(hc, p.Capabilities, t.Identity); err != nil {
		return client.ContainerCreateOptions{}, err
	}
	nc := &network.NetworkingConfig{}
	if t.IsolatedNetwork {
		// Attached to the task's own network only, not the default bridge.
		name := NetworkName(t.Key)
		hc.NetworkMode = container.NetworkMode(name)
		nc.EndpointsConfig = map[string]*network.EndpointSettings{name: {}}
	}
	return client.ContainerCreateOptions{
		Name:             ContainerName(t.Key),
		Config:           cfg,
		HostConfig:       hc,
		NetworkingConfig: nc,
	}, nil
}

// addDevices grants exactly the devices of the plan.
func addDevices(hc *container.HostConfig, c plan.Capabilities, id plan.Identity) error {
	for _, d := range c.Devices {
		dev := func(p string) {
			hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: p, PathInContainer: or(d.ContainerPath, p), CgroupPermissions: "rwm"})
		}
		switch d.Kind {
		case plan.DeviceKVM:
			dev(or(d.HostPath, "/dev/kvm"))
		case plan.DeviceHostSharedMemory:
			// A bind: "--device /dev/shm" fails with "not a device node".
			hc.ShmSize = 0
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: "/dev/shm", Target: "/dev/shm"})
		case plan.DeviceLoopbackVideo:
			p := or(d.HostPath, id.VideoDevice)
			if p == "" {
				return fmt.Errorf("loopbackVideo: no video device allocated to the task")
			}
			dev(p)
		case plan.DeviceLoopbackAudio:
			dev(or(d.HostPath, "/dev/snd"))
		case plan.DeviceHostPath:
			if !strings.HasPrefix(d.HostPath, "/dev/") {
				return fmt.Errorf("host device %q is not under /dev", d.HostPath)
			}
			dev(d.HostPath)
		default:
			return fmt.Errorf("unknown device kind %q", d.Kind)
		}
	}
	if c.GPUs != "" {
		req, err := parseGPUs(c.GPUs)
		if err != nil {
			return err
		}
		hc.DeviceRequests = []container.DeviceRequest{req}
	}
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseGPUs reads the value of docker's --gpus: "all", a count, or
// comma-separated count=, device=, driver=, capabilities= fields.
func parseGPUs(s string) (container.DeviceRequest, error) {
	req := container.DeviceRequest{Capabilities: [][]string{{"gpu"}}}
	count := func(v string) error {
		if v == "all" {
			req.Count = -1
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("gpus %q: count must be \"all\" or a positive number", s)
		}
		req.Count = n
		return nil
	}
	fields := splitGPUFields(s)
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			if len(fields) != 1 {
				return req, fmt.Errorf("gpus %q: field %q is not key=value", s, f)
			}
			return req, count(f)
		}
		switch k {
		case "count":
			if err := count(v); err != nil {
				return req, err
			}
		case "device":
			req.DeviceIDs = strings.Split(v, ",")
		case "driver":
			req.Driver = v
		case "capabilities":
			req.Capabilities = [][]string{strings.Split(v, ",")}
		default:
			return req, fmt.Errorf("gpus %q: unknown field %q", s, k)
		}
	}
	if req.Count != 0 && len(req.DeviceIDs) > 0 {
		return req, fmt.Errorf("gpus %q: count and device are exclusive", s)
	}
	return req, nil
}

// splitGPUFields splits on commas outside double quotes, so
// `"device=0,1",driver=nvidia` keeps its device list together.
func splitGPUFields(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}
