package dockerrun

import (
	"path/filepath"
	"strconv"

	"github.com/dwshim/dwshim/plan"
)

// Flag is one docker run option.
type Flag uint8

// Flags, with the value each Opt of the flag carries.
const (
	TTY         Flag = iota + 1 // -t; no value
	Name                        // --name; no value: the target names the container
	Memory                      // --memory; bytes
	MemorySwap                  // --memory-swap; bytes, -1 for unlimited
	PidsLimit                   // --pids-limit; -1 for unlimited
	Pull                        // --pull; "never"
	LogDriver                   // --log-driver; "none"
	Privileged                  // --privileged; no value
	CapAdd                      // --cap-add; a capability
	SecurityOpt                 // --security-opt
	AddHost                     // --add-host; "name:ip"
	// Volume mounts the directory Opt.Dir of the task directory (CacheDir,
	// VolumeDir) at the container path Value.
	Volume
	HostVolume // --volume with an absolute host path: "HOSTPATH:PATH"
	Device     // --device; a host device node, or "HOST:CONTAINER"
	// VideoDevice is --device for the loopback video device the worker
	// allocates; no value.
	VideoDevice
	// ProxyNetwork is --network of the worker's taskcluster proxy; no value.
	ProxyNetwork
	// ProxyHost is --add-host=taskcluster:<the proxy's gateway>; no value.
	ProxyHost
	GPUs    // --gpus
	ShmSize // --shm-size; bytes
	Env     // --env; NAME or NAME=VALUE (added by the target)
	EnvFile // --env-file; a file name (added by the target)
)

var flagNames = [...]string{
	TTY: "-t", Name: "--name", Memory: "--memory", MemorySwap: "--memory-swap", PidsLimit: "--pids-limit",
	Pull: "--pull", LogDriver: "--log-driver", Privileged: "--privileged", CapAdd: "--cap-add",
	SecurityOpt: "--security-opt", AddHost: "--add-host", Volume: "--volume", HostVolume: "--volume",
	Device: "--device", VideoDevice: "--device", ProxyNetwork: "--network", ProxyHost: "--add-host",
	GPUs: "--gpus", ShmSize: "--shm-size", Env: "--env", EnvFile: "--env-file",
}

// String is the option's long name ("--device").
func (f Flag) String() string {
	if int(f) < len(flagNames) && flagNames[f] != "" {
		return flagNames[f]
	}
	return "Flag(" + strconv.Itoa(int(f)) + ")"
}

// Opt is one option with its value ("" for the flags that take none).
type Opt struct {
	Flag  Flag
	Value string
	// Dir is a Volume's directory, relative to the task directory.
	Dir string
	// arg is Arg's text when known up front (constant options).
	arg string
}

// Arg is the option as one argument: "--flag=value", or the bare flag
// when it has no value. A Volume is "--volume=DIR:PATH", DIR relative to
// the task directory.
func (o Opt) Arg() string {
	switch {
	case o.arg != "":
		return o.arg
	case o.Flag == Volume:
		return "--volume=" + o.Dir + ":" + o.Value
	case o.Value == "":
		return o.Flag.String()
	}
	return o.Flag.String() + "=" + o.Value
}

// constant returns o with Arg precomputed, for the options every task
// gets: rendering them then costs no allocation.
func constant(f Flag, v string) Opt {
	o := Opt{Flag: f, Value: v}
	o.arg = o.Arg()
	return o
}

var (
	optTTY        = constant(TTY, "")
	optName       = constant(Name, "")
	optNoSwapCap  = constant(MemorySwap, "-1")
	optNoPidsCap  = constant(PidsLimit, "-1")
	optPullNever  = constant(Pull, "never")
	optNoLogs     = constant(LogDriver, "none")
	optPrivileged = constant(Privileged, "")
	optPtrace     = constant(CapAdd, "SYS_PTRACE")
	optNoSeccomp  = constant(SecurityOpt, "seccomp=unconfined")
	optLocalhost  = constant(AddHost, LocalhostHost)
	optKVM        = constant(Device, "/dev/kvm")
	optHostShm    = constant(HostVolume, "/dev/shm:/dev/shm")
	optAudio      = constant(Device, "/dev/snd")
	optVideo      = constant(VideoDevice, "")
	optNetwork    = constant(ProxyNetwork, "")
	optProxyHost  = constant(ProxyHost, "")
	optDWShm      = constant(ShmSize, strconv.FormatInt(plan.DockerWorkerShmSize, 10))
)

// LocalhostHost is the hosts entry docker-worker gave every container.
const LocalhostHost = "localhost.localdomain:127.0.0.1"

// CacheDir is the task-directory directory behind the plan's i-th cache.
func CacheDir(i int) string {
	if i < len(cacheDirs) {
		return cacheDirs[i]
	}
	return "cache" + strconv.Itoa(i)
}

// cacheDirs are the common CacheDirs, so that naming them allocates nothing.
var cacheDirs = func() (d [32]string) {
	for i := range d {
		d[i] = "cache" + strconv.Itoa(i)
	}
	return d
}()

// VolumeDir is the task-directory directory behind the plan's i-th
// artifact when it is a volume artifact mounted at path: d2g's name, with
// the extension of path.
func VolumeDir(i int, path string) string { return "volume" + strconv.Itoa(i) + filepath.Ext(path) }

// Append appends the plan's docker run options to dst, in upstream d2g's
// order: terminal, name, limits, pull and log policy, privileges, hosts,
// cache and volume-artifact mounts, devices, proxy, GPUs, shared memory.
// The target appends its env options. Loopback devices are the worker's
// to allocate (VideoDevice; audio is all of /dev/snd), as in d2g.
func Append(dst []Opt, p *plan.Plan) []Opt {
	if p.TTY {
		dst = append(dst, optTTY)
	}
	dst = append(dst, optName)
	if m := p.Limits.MemoryBytes; m > 0 {
		v := strconv.FormatInt(m, 10)
		dst = append(dst, Opt{Flag: Memory, Value: v}, Opt{Flag: MemorySwap, Value: v})
	} else {
		dst = append(dst, optNoSwapCap)
	}
	if n := p.Limits.Pids; n > 0 {
		dst = append(dst, Opt{Flag: PidsLimit, Value: strconv.FormatInt(n, 10)})
	} else {
		dst = append(dst, optNoPidsCap)
	}
	dst = append(dst, optPullNever, optNoLogs)
	c := p.Capabilities
	switch {
	case c.Privileged:
		dst = append(dst, optPrivileged)
	case c.Ptrace:
		dst = append(dst, optPtrace)
	}
	if c.DisableSeccomp {
		dst = append(dst, optNoSeccomp)
	}
	for _, h := range p.ExtraHosts {
		if h == LocalhostHost {
			dst = append(dst, optLocalhost)
		} else {
			dst = append(dst, Opt{Flag: AddHost, Value: h})
		}
	}
	for i, ca := range p.Caches {
		dst = append(dst, Opt{Flag: Volume, Dir: CacheDir(i), Value: ca.MountPath})
	}
	if p.Features.UploadArtifacts {
		for i, a := range p.Artifacts {
			if a.Kind == plan.ArtifactVolume {
				dst = append(dst, Opt{Flag: Volume, Dir: VolumeDir(i, a.Path), Value: a.Path})
			}
		}
	}
	return appendDevices(dst, p)
}

// appendDevices: the named devices, the proxy, then GPUs and host device
// nodes (d2g's order), then the shared memory size.
func appendDevices(dst []Opt, p *plan.Plan) []Opt {
	c := p.Capabilities
	hostShm := false
	for _, d := range c.Devices {
		switch d.Kind {
		case plan.DeviceKVM:
			dst = append(dst, optKVM)
		case plan.DeviceHostSharedMemory:
			hostShm = true
			dst = append(dst, optHostShm)
		case plan.DeviceLoopbackVideo:
			dst = append(dst, optVideo)
		case plan.DeviceLoopbackAudio:
			dst = append(dst, optAudio)
		}
	}
	if p.Features.TaskclusterProxy {
		dst = append(dst, optNetwork, optProxyHost)
	}
	if c.GPUs != "" {
		dst = append(dst, Opt{Flag: GPUs, Value: c.GPUs})
	}
	for _, d := range c.Devices {
		if d.Kind == plan.DeviceHostPath {
			v := d.HostPath
			if d.ContainerPath != "" {
				v += ":" + d.ContainerPath
			}
			dst = append(dst, Opt{Flag: Device, Value: v})
		}
	}
	switch {
	case hostShm || p.ShmSize <= 0:
	case p.ShmSize == plan.DockerWorkerShmSize:
		dst = append(dst, optDWShm)
	default:
		dst = append(dst, Opt{Flag: ShmSize, Value: strconv.FormatInt(p.ShmSize, 10)})
	}
	return dst
}
