package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner/docker"
)

// mkCharDev makes a character device node (the test's own loopback
// devices: docker only checks that they are device nodes).
func mkCharDev(t *testing.T, p string, major, minor int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, major<<8|minor); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("mknod %s: %v (needs root)", p, err)
		}
		t.Fatalf("mknod %s: %v", p, err)
	}
}

// fakeLoopbackDevices makes n video nodes and n sound cards (numbers 16…)
// in a temp dir and points cfg at them.
func fakeLoopbackDevices(t *testing.T, cfg *Config, n int) {
	dir := t.TempDir()
	cfg.LoopbackVideoDevices, cfg.LoopbackAudioDevices = nil, nil
	for i := 0; i < n; i++ {
		v := filepath.Join(dir, fmt.Sprintf("video%d", i))
		mkCharDev(t, v, 81, i)
		cfg.LoopbackVideoDevices = append(cfg.LoopbackVideoDevices, v)
		card := 16 + i
		for j, node := range audioNodes(filepath.Join(dir, "snd", fmt.Sprintf("controlC%d", card))) {
			mkCharDev(t, node, 116, 8*i+j)
		}
		cfg.LoopbackAudioDevices = append(cfg.LoopbackAudioDevices, filepath.Join(dir, "snd", fmt.Sprintf("controlC%d", card)))
	}
}

// TestLoopbackDevicesCapacity: capacity never exceeds the devices found;
// a kind with no device found limits nothing; each slot has its own.
func TestLoopbackDevicesCapacity(t *testing.T) {
	c := DefaultConfig()
	c.Capacity = 3
	fakeLoopbackDevices(t, &c, 2)
	d := findLoopbackDevices(&c)
	if got := d.capacity(3); got != 2 {
		t.Errorf("capacity %d, want 2 (two devices of each kind)", got)
	}
	s0, s1, s2 := d.forSlot(0), d.forSlot(1), d.forSlot(2)
	if s0.Video == s1.Video || s0.Audio[0] == s1.Audio[0] || len(s1.Audio) != 5 || s2.Video != "" || s2.VideoMissing == "" {
		t.Errorf("slots %+v %+v %+v", s0, s1, s2)
	}
	c.LoopbackVideoDevices = []string{filepath.Join(t.TempDir(), "video9")}
	d = findLoopbackDevices(&c)
	if got := d.capacity(3); got != 2 {
		t.Errorf("capacity %d with no video device found, want 2 (audio bounds it)", got)
	}
	if s := d.forSlot(0); s.Video != "" || !strings.Contains(s.VideoMissing, "video9") {
		t.Errorf("slot 0 without video: %+v", s)
	}
	c.EnableLoopbackAudio, c.EnableLoopbackVideo = false, false
	if got := findLoopbackDevices(&c).capacity(3); got != 3 {
		t.Errorf("capacity %d with the devices off, want 3", got)
	}
}

// TestE2ELoopbackDevices: at capacity 2 (3 configured, 2 devices), two
// tasks asking for loopbackVideo and loopbackAudio run at once, each with
// its own video device (TASKCLUSTER_VIDEO_DEVICE) and only its own sound
// card's five nodes.
func TestE2ELoopbackDevices(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.Capacity = 3
	env.cfg.NumberOfTasksToRun = 2
	fakeLoopbackDevices(t, &env.cfg, 2)
	w := env.dockerWorker(t)
	if w.cfg.Capacity != 2 {
		t.Fatalf("capacity %d, want 2: bounded by the two devices", w.cfg.Capacity)
	}
	script := `echo "video=$TASKCLUSTER_VIDEO_DEVICE"; ls -l "$TASKCLUSTER_VIDEO_DEVICE" | awk '{print "vnode=" $5 $6}'; ` +
		`echo "snd=$(ls /dev/snd | tr '\n' ' ')"; echo DEVICES-READY; while [ ! -f /tmp/go ]; do sleep 0.1; done`
	for _, id := range []string{"dev-a", "dev-b"} {
		env.addTask(t, id, dwPayload(script, map[string]any{"capabilities": map[string]any{"devices": map[string]any{"loopbackVideo": true, "loopbackAudio": true}}}),
			map[string]any{"scopes": []string{"docker-worker:capability:device:loopbackVideo", "docker-worker:capability:device:loopbackAudio"}})
	}
	wait := runWorker(context.Background(), w)
	logs := map[string]string{}
	for _, id := range []string{"dev-a", "dev-b"} {
		logs[id] = string(waitForLogText(t, w, env, id, "DEVICES-READY"))
	}
	// Both are running now: let them finish.
	for _, id := range []string{"dev-a", "dev-b"} {
		dockerOut(t, "exec", docker.ContainerName(id+"-0"), "touch", "/tmp/go")
	}
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	re := regexp.MustCompile(`video=(/dev/video\d)\r?\nvnode=81,(\d)\r?\nsnd=([^\r\n]*)`)
	seen := map[string]bool{}
	for id, log := range logs {
		m := re.FindStringSubmatch(log)
		if m == nil {
			t.Errorf("%s: devices not in the log:\n%s", id, log)
			continue
		}
		n := m[2]
		if m[1] != "/dev/video"+n {
			t.Errorf("%s: TASKCLUSTER_VIDEO_DEVICE %s is not the node mapped (81,%s)", id, m[1], n)
		}
		card := map[string]string{"0": "16", "1": "17"}[n]
		want := fmt.Sprintf("controlC%[1]s pcmC%[1]sD0c pcmC%[1]sD0p pcmC%[1]sD1c pcmC%[1]sD1p ", card)
		if m[3] != want {
			t.Errorf("%s: /dev/snd holds %q, want only card %s: %q", id, m[3], card, want)
		}
		if seen[n] {
			t.Errorf("two running tasks got video device %s", n)
		}
		seen[n] = true
		if st, _ := env.fake.Task(id); st.Runs[0].State != "completed" {
			t.Errorf("%s: %s/%s", id, st.Runs[0].State, st.Runs[0].ReasonResolved)
		}
	}
}

// TestAllocateDevices: the slot's nodes replace the plan's loopback
// devices; a kind turned off is malformed-payload, a missing device
// internal-error, both explained in the task log.
func TestAllocateDevices(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		devs SlotDevices
		want string
	}{
		{SlotDevices{Video: "/x/video3", Audio: audioNodes("/x/snd/controlC20")}, ""},
		{SlotDevices{VideoDisabled: true}, "exception/malformed-payload"},
		{SlotDevices{VideoMissing: "none of /dev/video0 exists"}, "exception/internal-error"},
	} {
		dir := t.TempDir()
		tl, err := NewTaskLog(filepath.Join(dir, "log"), nil)
		if err != nil {
			t.Fatal(err)
		}
		p := &plan.Plan{Capabilities: plan.Capabilities{Devices: []plan.Device{{Kind: plan.DeviceKVM}, {Kind: plan.DeviceLoopbackVideo}, {Kind: plan.DeviceLoopbackAudio}}}}
		var id plan.Identity
		out, ok := allocateDevices(&TaskRun{Devices: tc.devs, Log: tl, Config: &cfg}, p, &id)
		_ = tl.Close()
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		if tc.want != "" {
			if ok || out.Resolution.String() != tc.want || !strings.Contains(string(log), "loopbackVideo") {
				t.Errorf("%+v: %v %s, log:\n%s", tc.devs, ok, out.Resolution, log)
			}
			continue
		}
		if !ok || id.VideoDevice != "/dev/video3" || len(p.Capabilities.Devices) != 7 ||
			p.Capabilities.Devices[1] != (plan.Device{Kind: plan.DeviceLoopbackVideo, HostPath: "/x/video3", ContainerPath: "/dev/video3"}) ||
			p.Capabilities.Devices[6] != (plan.Device{Kind: plan.DeviceLoopbackAudio, HostPath: "/x/snd/pcmC20D1p", ContainerPath: "/dev/snd/pcmC20D1p"}) {
			t.Errorf("allocated %+v, video %q", p.Capabilities.Devices, id.VideoDevice)
		}
	}
}
