package docker

import (
	"encoding/base64"
	"errors"
	"github.com/distribution/reference"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

func baseTask() *runner.Task {
	return &runner.Task{
		Plan: &plan.Plan{
			Image:   plan.Image{Kind: plan.ImageNamed, Ref: "ubuntu:24.04"},
			Command: []string{"bash", "-c", "echo hi"},
			Env:     []plan.EnvVar{{Name: "A", Value: "1"}, {Name: "TASK_ID", Value: "payload"}},
			ShmSize: 1_800_000_000,
		},
		Identity: plan.Identity{TaskID: "abc", RunID: 2},
		Key:      "abc-2",
		WorkerID: "w1",
	}
}

func TestContainerSpec(t *testing.T) {
	minusOne := int64(-1)
	base := func() *container.HostConfig {
		return &container.HostConfig{
			LogConfig: container.LogConfig{Type: "none"},
			ShmSize:   1_800_000_000,
			Resources: container.Resources{MemorySwap: -1, PidsLimit: &minusOne},
		}
	}
	dev := func(p string) container.DeviceMapping {
		return container.DeviceMapping{PathOnHost: p, PathInContainer: p, CgroupPermissions: "rwm"}
	}
	tests := []struct {
		name   string
		edit   func(*runner.Task)
		wantHC func(*container.HostConfig)
	}{
		{"default", func(*runner.Task) {}, func(*container.HostConfig) {}},
		{"privileged suppresses ptrace", func(t *runner.Task) {
			t.Plan.Capabilities = plan.Capabilities{Privileged: true, Ptrace: true}
		}, func(hc *container.HostConfig) { hc.Privileged = true }},
		{"ptrace and seccomp", func(t *runner.Task) {
			t.Plan.Capabilities = plan.Capabilities{Ptrace: true, DisableSeccomp: true}
		}, func(hc *container.HostConfig) {
			hc.CapAdd = []string{"SYS_PTRACE"}
			hc.SecurityOpt = []string{"seccomp=unconfined"}
		}},
		{"devices", func(t *runner.Task) {
			t.Plan.Capabilities.Devices = []plan.Device{
				{Kind: plan.DeviceKVM}, {Kind: plan.DeviceLoopbackVideo, HostPath: "/dev/video3"}, {Kind: plan.DeviceLoopbackAudio},
				{Kind: plan.DeviceHostPath, HostPath: "/dev/nvidia0"},
			}
		}, func(hc *container.HostConfig) {
			hc.Devices = []container.DeviceMapping{dev("/dev/kvm"), dev("/dev/video3"), dev("/dev/snd"), dev("/dev/nvidia0")}
		}},
		{"host shared memory replaces shm size", func(t *runner.Task) {
			t.Plan.Capabilities.Devices = []plan.Device{{Kind: plan.DeviceHostSharedMemory}}
		}, func(hc *container.HostConfig) {
			hc.ShmSize = 0
			hc.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: "/dev/shm", Target: "/dev/shm"}}
		}},
		{"pool limits", func(t *runner.Task) { t.Plan.Limits = plan.Limits{MemoryBytes: 64 << 20, Pids: 100} }, func(hc *container.HostConfig) {
			pids := int64(100)
			hc.Memory, hc.MemorySwap, hc.PidsLimit = 64<<20, 64<<20, &pids
		}},
		{"gpus", func(t *runner.Task) { t.Plan.Capabilities.GPUs = "all" }, func(hc *container.HostConfig) {
			hc.DeviceRequests = []container.DeviceRequest{{Count: -1, Capabilities: [][]string{{"gpu"}}}}
		}},
		{"caches and volume artifacts", func(t *runner.Task) {
			t.Plan.Caches = []plan.Cache{{Name: "level-3-checkouts", MountPath: "/builds/worker/checkouts"}}
			t.Plan.Artifacts = []plan.Artifact{
				{Name: "public/logs", Path: "/builds/worker/logs", Kind: plan.ArtifactVolume},
				{Name: "public/x", Path: "/x", Kind: plan.ArtifactFile},
			}
			t.Plan.ExtraHosts = []string{"localhost.localdomain:127.0.0.1"}
		}, func(hc *container.HostConfig) {
			hc.ExtraHosts = []string{"localhost.localdomain:127.0.0.1"}
			hc.Mounts = []mount.Mount{
				{Type: mount.TypeVolume, Source: CacheVolumeName("level-3-checkouts"), Target: "/builds/worker/checkouts"},
				{Type: mount.TypeVolume, Source: taskVolumeName("abc-2", "/builds/worker/logs"), Target: "/builds/worker/logs"},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := baseTask()
			tt.edit(task)
			got, err := containerSpec(task, "img", nil, map[string]string{"dwshim.test": "x"})
			if err != nil {
				t.Fatal(err)
			}
			want := base()
			tt.wantHC(want)
			if d := cmp.Diff(want, got.HostConfig); d != "" {
				t.Errorf("HostConfig (-want +got):\n%s", d)
			}
			if got.Name != "dwshim-abc-2" || got.Config.Image != "img" || got.Config.Tty {
				t.Errorf("name %q image %q tty %v", got.Name, got.Config.Image, got.Config.Tty)
			}
			wantLabels := map[string]string{LabelWorker: "w1", LabelTask: "abc-2", LabelKind: kindContainer, "dwshim.test": "x"}
			if d := cmp.Diff(wantLabels, got.Config.Labels); d != "" {
				t.Errorf("labels (-want +got):\n%s", d)
			}
			wantEnv := []string{"A=1", "RUN_ID=2", "TASK_ID=abc"}
			if d := cmp.Diff(wantEnv, got.Config.Env); d != "" {
				t.Errorf("env: worker values must win (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"bash", "-c", "echo hi"}, []string(got.Config.Cmd)); d != "" || got.Config.Entrypoint != nil {
				t.Errorf("cmd/entrypoint: %s %v", d, got.Config.Entrypoint)
			}
		})
	}
}

// TestContainerSpecNetwork: a task with its own network is attached to it
// only; others stay on the default bridge.
func TestContainerSpecNetwork(t *testing.T) {
	task := baseTask()
	got, err := containerSpec(task, "img", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.HostConfig.NetworkMode != "" || len(got.NetworkingConfig.EndpointsConfig) != 0 {
		t.Errorf("default: network mode %q, endpoints %v", got.HostConfig.NetworkMode, got.NetworkingConfig.EndpointsConfig)
	}
	task.IsolatedNetwork = true
	if got, err = containerSpec(task, "img", nil, nil); err != nil {
		t.Fatal(err)
	}
	eps := got.NetworkingConfig.EndpointsConfig
	if got.HostConfig.NetworkMode != "dwshim-task-abc-2" || len(eps) != 1 || eps["dwshim-task-abc-2"] == nil {
		t.Errorf("isolated: network mode %q, endpoints %v", got.HostConfig.NetworkMode, eps)
	}
}

func TestContainerSpecErrors(t *testing.T) {
	for name, edit := range map[string]func(*runner.Task){
		"relative cache":       func(t *runner.Task) { t.Plan.Caches = []plan.Cache{{Name: "c", MountPath: "rel"}} },
		"video without device": func(t *runner.Task) { t.Plan.Capabilities.Devices = []plan.Device{{Kind: plan.DeviceLoopbackVideo}} },
		"host path outside /dev": func(t *runner.Task) {
			t.Plan.Capabilities.Devices = []plan.Device{{Kind: plan.DeviceHostPath, HostPath: "/etc/shadow"}}
		},
		"bad gpus": func(t *runner.Task) { t.Plan.Capabilities.GPUs = "lots" },
		"no plan":  func(t *runner.Task) { t.Plan = nil },
	} {
		task := baseTask()
		edit(task)
		if _, err := containerSpec(task, "img", nil, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{ContainerName("abc-0"), "dwshim-abc-0"},
		{NetworkName("abc-0"), "dwshim-task-abc-0"},
		{ContainerName("a/b c"), "dwshim-a-b-c-" + shortHash("a/b c")},
		{CacheVolumeName("level-3"), "dwshim-cache-level-3-" + shortHash("level-3")},
		{CacheVolumeName("a/b"), "dwshim-cache-a-b-" + shortHash("a/b")},
		{artifactTag(ArtifactRepo, "task/X/public/image.tar"), artifactTag(ArtifactRepo, "task/X/public/image.tar")},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if CacheVolumeName("a/b") == CacheVolumeName("a-b") {
		t.Error("cache names collide after sanitising")
	}
	if artifactTag(ArtifactRepo, "x") == artifactTag(ArtifactRepo, "y") || !strings.HasPrefix(artifactTag(ArtifactRepo, "x"), ArtifactRepo+":") || len(artifactTag(ArtifactRepo, "x")) != len(ArtifactRepo)+33 {
		t.Errorf("artifact tag %q", artifactTag(ArtifactRepo, "x"))
	}
	long := ContainerName(strings.Repeat("k", 200))
	if len(long) > 100 {
		t.Errorf("container name is %d bytes", len(long))
	}
}

func TestParseGPUs(t *testing.T) {
	tests := []struct {
		in   string
		want container.DeviceRequest
	}{
		{"all", container.DeviceRequest{Count: -1, Capabilities: [][]string{{"gpu"}}}},
		{"2", container.DeviceRequest{Count: 2, Capabilities: [][]string{{"gpu"}}}},
		{`"device=GPU-1,GPU-2",driver=nvidia`, container.DeviceRequest{Driver: "nvidia", DeviceIDs: []string{"GPU-1", "GPU-2"}, Capabilities: [][]string{{"gpu"}}}},
		{`count=all,"capabilities=gpu,utility"`, container.DeviceRequest{Count: -1, Capabilities: [][]string{{"gpu", "utility"}}}},
	}
	for _, tt := range tests {
		got, err := parseGPUs(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, d)
		}
	}
	for _, bad := range []string{"", "0", "x=1", "count=2,device=a", "device=a,b"} {
		if _, err := parseGPUs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRegistryAuth(t *testing.T) {
	task := &runner.Task{RegistryAuth: func(repo string) (string, string) {
		if repo == "registry.example.com/team/app" {
			return "u", "p"
		}
		return "", ""
	}}
	named := func(s string) reference.Named {
		n, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	got, err := registryAuth(task, named("registry.example.com/team/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(got)
	if err != nil || !strings.Contains(string(raw), `"username":"u"`) || !strings.Contains(string(raw), `"password":"p"`) || !strings.Contains(string(raw), `"serveraddress":"registry.example.com"`) {
		t.Errorf("auth %q decodes to %s (%v)", got, raw, err)
	}
	if got, _ := registryAuth(task, named("ubuntu")); got != "" {
		t.Errorf("anonymous registry got auth %q", got)
	}
	if got, _ := registryAuth(&runner.Task{}, named("ubuntu")); got != "" {
		t.Errorf("nil RegistryAuth got auth %q", got)
	}
}

func TestStartFailureCode(t *testing.T) {
	for msg, want := range map[string]int{
		`OCI runtime create failed: unable to start container process: exec: "x": executable file not found in $PATH: unknown`: 127,
		`unable to start container process: exec: "/bin/x": stat /bin/x: no such file or directory: unknown`:                   127,
		`unable to start container process: exec: "/etc/passwd": permission denied: unknown`:                                   126,
		`error gathering device information while adding custom device "/dev/kvm": no such file or directory`:                  0,
		`driver failed programming external connectivity`:                                                                      0,
	} {
		if got := startFailureCode(errors.New(msg)); got != want {
			t.Errorf("%q: got %d, want %d", msg, got, want)
		}
	}
}

func TestPullNotFoundClassification(t *testing.T) {
	for msg, nf := range map[string]bool{
		"manifest for 127.0.0.1:5000/x:latest not found: manifest unknown: manifest unknown":          true,
		"pull access denied for x, repository does not exist or may require 'docker login'":           true,
		`Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host`: false,
		"received unexpected HTTP status: 503 Service Unavailable":                                    false,
	} {
		if got := errors.Is(pullError("x", errors.New(msg)), runner.ErrImageNotFound); got != nf {
			t.Errorf("%q: not-found = %v, want %v", msg, got, nf)
		}
	}
}
