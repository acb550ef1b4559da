package worker

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dwshim/dwshim/gwconfig"
	"github.com/dwshim/dwshim/plan"
)

// Loopback devices, as docker-worker's device manager handed them out
// (src/devices/{video,audio}_device_manager.js): each running task that
// asks for capabilities.devices.loopbackVideo / loopbackAudio gets a
// device of its own, and the worker never runs more tasks at once than it
// has devices. dwshim gives slot i the i-th device of each kind, so two
// running tasks never share one. The devices come from generic-worker's
// keys (enableLoopbackVideo, loopbackVideoDeviceNumber N: /dev/video<N>;
// enableLoopbackAudio, loopbackAudioDeviceNumber N: card N's nodes under
// /dev/snd) and, for capacity > 1, dwshim's loopbackVideoDevices /
// loopbackAudioDevices lists, one per slot; without a list slot i uses
// number N+i. dwshim does not load kernel modules: the nodes must exist
// when the worker starts (v4l2loopback devices=…, snd-aloop index=…).

// audioNodes are the nodes of the card whose control node is control:
// the ones docker-worker mounted, and generic-worker's loopbackAudio.
func audioNodes(control string) []string {
	dir, base := filepath.Split(control)
	n, _ := gwconfig.SoundCard(base) // Validate checked the name
	out := []string{control}
	for _, s := range []string{"D0c", "D0p", "D1c", "D1p"} {
		out = append(out, filepath.Join(dir, "pcmC"+n+s))
	}
	return out
}

// SlotDevices are the loopback devices of one slot (TaskRun.Devices).
type SlotDevices struct {
	// Video is the host path of the slot's video device node; "" when
	// there is none, and VideoMissing says why.
	Video, VideoMissing string
	// Audio are the host paths of the slot's sound card nodes; nil when
	// there is none, and AudioMissing says why.
	Audio        []string
	AudioMissing string
	// VideoDisabled / AudioDisabled: the config turned the kind off.
	VideoDisabled, AudioDisabled bool
}

// loopbackDevices are the devices found when the worker started.
type loopbackDevices struct {
	cfg        *Config
	video      []string
	audio      [][]string
	videoWhy   string // why video is empty
	audioWhy   string
	videoLimit bool // the kind bounds capacity (devices were found)
	audioLimit bool
}

// findLoopbackDevices looks for the configured devices on the host.
func findLoopbackDevices(cfg *Config) *loopbackDevices {
	d := &loopbackDevices{cfg: cfg}
	isDev := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && st.Mode()&os.ModeDevice != 0
	}
	if cfg.EnableLoopbackVideo {
		cands := cfg.LoopbackVideoDevices
		for i := 0; len(cfg.LoopbackVideoDevices) == 0 && i < cfg.Capacity && cfg.LoopbackVideoDeviceNumber+i <= 255; i++ {
			cands = append(cands, fmt.Sprintf("/dev/video%d", cfg.LoopbackVideoDeviceNumber+i))
		}
		for _, p := range cands {
			if isDev(p) {
				d.video = append(d.video, p)
			}
		}
		d.videoLimit = len(d.video) > 0
		d.videoWhy = fmt.Sprintf("none of the worker's loopback video devices (%s) exists; load v4l2loopback (e.g. modprobe v4l2loopback video_nr=%d) or set enableLoopbackVideo false",
			strings.Join(cands, ", "), cfg.LoopbackVideoDeviceNumber)
	}
	if cfg.EnableLoopbackAudio {
		cands := cfg.LoopbackAudioDevices
		for i := 0; len(cfg.LoopbackAudioDevices) == 0 && i < cfg.Capacity && cfg.LoopbackAudioDeviceNumber+i <= 31; i++ {
			cands = append(cands, fmt.Sprintf("/dev/snd/controlC%d", cfg.LoopbackAudioDeviceNumber+i))
		}
		for _, c := range cands {
			nodes := audioNodes(c)
			ok := true
			for _, n := range nodes {
				ok = ok && isDev(n)
			}
			if ok {
				d.audio = append(d.audio, nodes)
			}
		}
		d.audioLimit = len(d.audio) > 0
		d.audioWhy = fmt.Sprintf("none of the worker's loopback sound cards (%s with their pcm nodes) exists; load snd-aloop (e.g. modprobe snd-aloop index=%d) or set enableLoopbackAudio false",
			strings.Join(cands, ", "), cfg.LoopbackAudioDeviceNumber)
	}
	return d
}

// capacity bounds want by the devices found, as docker-worker's
// getAvailableCapacity: a kind that has devices limits how many tasks run
// at once; a kind with none found limits nothing, and its tasks fail.
func (d *loopbackDevices) capacity(want int) int {
	if d.videoLimit {
		want = min(want, len(d.video))
	}
	if d.audioLimit {
		want = min(want, len(d.audio))
	}
	return want
}

// forSlot returns slot i's devices.
func (d *loopbackDevices) forSlot(i int) SlotDevices {
	s := SlotDevices{VideoDisabled: !d.cfg.EnableLoopbackVideo, AudioDisabled: !d.cfg.EnableLoopbackAudio}
	if i < len(d.video) {
		s.Video = d.video[i]
	} else {
		s.VideoMissing = d.videoWhy
	}
	if i < len(d.audio) {
		s.Audio = d.audio[i]
	} else {
		s.AudioMissing = d.audioWhy
	}
	return s
}

// inContainer is where a loopback node appears in the container: under
// /dev (video) or /dev/snd (audio) by its name, wherever it is on the host.
func inContainer(dir, host string) string { return path.Join(dir, filepath.Base(host)) }

// allocateDevices gives the plan's loopback devices the slot's nodes and
// exports TASKCLUSTER_VIDEO_DEVICE. A task asking for a kind the worker
// turned off is malformed-payload; one the worker has no device for is
// internal-error (the worker is not set up as its config says).
func allocateDevices(t *TaskRun, p *plan.Plan, id *plan.Identity) (Outcome, bool) {
	devs := t.Devices
	var out []plan.Device
	for _, d := range p.Capabilities.Devices {
		switch d.Kind {
		case plan.DeviceLoopbackVideo:
			switch {
			case devs.VideoDisabled:
				t.Log.Errorf("task asks for capabilities.devices.loopbackVideo, but enableLoopbackVideo is false on this worker pool (%s)", t.Config.TaskQueueID())
				return Outcome{Resolution: Exception("malformed-payload")}, false
			case devs.Video == "":
				t.Log.Errorf("task asks for capabilities.devices.loopbackVideo, but this worker has no video device for it: %s", devs.VideoMissing)
				return Outcome{Resolution: Exception("internal-error")}, false
			}
			ctr := inContainer("/dev", devs.Video)
			out = append(out, plan.Device{Kind: d.Kind, HostPath: devs.Video, ContainerPath: ctr})
			id.VideoDevice = ctr
		case plan.DeviceLoopbackAudio:
			switch {
			case devs.AudioDisabled:
				t.Log.Errorf("task asks for capabilities.devices.loopbackAudio, but enableLoopbackAudio is false on this worker pool (%s)", t.Config.TaskQueueID())
				return Outcome{Resolution: Exception("malformed-payload")}, false
			case devs.Audio == nil:
				t.Log.Errorf("task asks for capabilities.devices.loopbackAudio, but this worker has no sound card for it: %s", devs.AudioMissing)
				return Outcome{Resolution: Exception("internal-error")}, false
			}
			for _, n := range devs.Audio {
				out = append(out, plan.Device{Kind: d.Kind, HostPath: n, ContainerPath: inContainer("/dev/snd", n)})
			}
		default:
			out = append(out, d)
		}
	}
	p.Capabilities.Devices = out
	return Outcome{}, true
}
