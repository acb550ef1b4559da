package dockerrun

import (
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/google/go-cmp/cmp"
)

func args(opts []Opt) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Arg()
	}
	return out
}

func TestAppend(t *testing.T) {
	minimal := &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: "x"}}
	full := &plan.Plan{
		TTY:        true,
		ExtraHosts: []string{LocalhostHost, "other:10.0.0.1"},
		Caches:     []plan.Cache{{Name: "a", MountPath: "/a"}, {Name: "b", MountPath: "/b"}},
		Artifacts: []plan.Artifact{
			{Name: "f", Path: "/f.txt", Kind: plan.ArtifactFile},
			{Name: "v", Path: "/out.d/x.tar", Kind: plan.ArtifactVolume, Expires: time.Unix(1, 0)},
		},
		Capabilities: plan.Capabilities{Privileged: true, Ptrace: true, DisableSeccomp: true, GPUs: "all", Devices: []plan.Device{
			{Kind: plan.DeviceHostPath, HostPath: "/dev/nvidia0"}, {Kind: plan.DeviceKVM}, {Kind: plan.DeviceHostSharedMemory},
			{Kind: plan.DeviceLoopbackVideo}, {Kind: plan.DeviceLoopbackAudio}, {Kind: plan.DeviceHostPath, HostPath: "/dev/a", ContainerPath: "/dev/b"},
		}},
		Features: plan.Features{UploadArtifacts: true, TaskclusterProxy: true},
		ShmSize:  1 << 20,
		Limits:   plan.Limits{MemoryBytes: 1 << 30, Pids: 100},
	}
	for _, c := range []struct {
		name string
		p    *plan.Plan
		want []string
	}{
		{"minimal", minimal, []string{"--name", "--memory-swap=-1", "--pids-limit=-1", "--pull=never", "--log-driver=none"}},
		{"shm", &plan.Plan{ShmSize: 64}, []string{"--name", "--memory-swap=-1", "--pids-limit=-1", "--pull=never", "--log-driver=none", "--shm-size=64"}},
		{"full", full, []string{
			"-t", "--name", "--memory=1073741824", "--memory-swap=1073741824", "--pids-limit=100", "--pull=never", "--log-driver=none",
			"--privileged", "--security-opt=seccomp=unconfined",
			"--add-host=localhost.localdomain:127.0.0.1", "--add-host=other:10.0.0.1",
			"--volume=cache0:/a", "--volume=cache1:/b", "--volume=volume1.tar:/out.d/x.tar",
			"--device=/dev/kvm", "--volume=/dev/shm:/dev/shm", "--device", "--device=/dev/snd",
			"--network", "--add-host", "--gpus=all", "--device=/dev/nvidia0", "--device=/dev/a:/dev/b",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if d := cmp.Diff(c.want, args(Append(nil, c.p))); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	// Without artifact upload no volume artifact is mounted; ptrace shows
	// when not privileged.
	full.Features.UploadArtifacts, full.Capabilities.Privileged = false, false
	got := strings.Join(args(Append(nil, full)), " ")
	if strings.Contains(got, "volume1") || !strings.Contains(got, "--cap-add=SYS_PTRACE") {
		t.Errorf("got %s", got)
	}
}

func TestEveryFlagHasAName(t *testing.T) {
	for f := TTY; f <= EnvFile; f++ {
		if strings.HasPrefix(f.String(), "Flag(") {
			t.Errorf("flag %d has no name", f)
		}
	}
}

func TestDirs(t *testing.T) {
	if got := CacheDir(3); got != "cache3" {
		t.Errorf("CacheDir(3) = %q", got)
	}
	if got := VolumeDir(2, "/a.b/c.tar.gz"); got != "volume2.gz" {
		t.Errorf("VolumeDir = %q", got)
	}
	if got := VolumeDir(0, "/a.b/c"); got != "volume0" {
		t.Errorf("VolumeDir = %q", got)
	}
}
