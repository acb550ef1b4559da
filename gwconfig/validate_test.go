package gwconfig

import (
	"strings"
	"testing"
)

func TestLoopbackConfigProblems(t *testing.T) {
	c := Default()
	c.LoopbackVideoDeviceNumber, c.LoopbackAudioDeviceNumber = 256, 32
	c.LoopbackVideoDevices = []string{"/dev/video0", "/dev/video0", "rel"}
	c.LoopbackAudioDevices = []string{"/dev/snd/pcmC0D0c"}
	got := strings.Join(c.loopbackProblems(), "\n")
	for _, want := range []string{"loopbackVideoDeviceNumber 256", "loopbackAudioDeviceNumber 32", `loopbackVideoDevices[1] "/dev/video0" is listed twice`,
		`loopbackVideoDevices[2] "rel" is not a clean absolute path`, `loopbackAudioDevices[0] "/dev/snd/pcmC0D0c" is not a sound card's control node`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}
