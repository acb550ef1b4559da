package gwconfig

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Validate checks that a worker can run with the config (the keys it
// needs, ranges, the loopback devices' paths), listing every problem at
// once.
func (c *Config) Validate() error {
	var missing []string
	required := map[string]string{
		"rootURL": c.RootURL, "clientId": c.ClientID, "accessToken": c.AccessToken,
		"provisionerId": c.ProvisionerID, "workerType": c.WorkerType, "workerGroup": c.WorkerGroup,
		"workerId": c.WorkerID, "cachesDir": c.CachesDir, "tasksDir": c.TasksDir,
		"downloadsDir": c.DownloadsDir,
	}
	if c.EnableChainOfTrust {
		required["ed25519SigningKeyLocation"] = c.Ed25519SigningKeyLocation
	}
	for k, v := range required {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	var probs []string
	if len(missing) > 0 {
		probs = append(probs, "missing required keys: "+strings.Join(missing, ", "))
	}
	if p := c.ImagePullPolicy; p != "" && p != "missing" && p != "always" {
		probs = append(probs, fmt.Sprintf("imagePullPolicy %q is not \"missing\" or \"always\"", p))
	}
	if c.Capacity < 1 || c.Capacity > MaxCapacity {
		probs = append(probs, fmt.Sprintf("capacity %d is outside 1..%d", c.Capacity, MaxCapacity))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"maxTaskRunTime", c.MaxTaskRunTime}, {"idleTimeoutSecs", c.IdleTimeoutSecs}, {"numberOfTasksToRun", c.NumberOfTasksToRun}} {
		if f.v < 0 {
			probs = append(probs, fmt.Sprintf("%s %d is negative", f.name, f.v))
		}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"livelogExposePort", c.LiveLogExposePort}, {"taskclusterProxyPort", c.TaskclusterProxyPort}, {"livelogPortBase", c.LiveLogPortBase}} {
		if p.v < 0 || p.v > 65535 {
			probs = append(probs, fmt.Sprintf("%s %d is not a port", p.name, p.v))
		}
	}
	probs = append(probs, c.loopbackProblems()...)
	if m := c.TaskMemoryLimitBytes; m < 0 || (m > 0 && m < minTaskMemory) {
		probs = append(probs, fmt.Sprintf("taskMemoryLimitBytes %d must be 0 (no limit) or at least %d (Docker's minimum)", m, minTaskMemory))
	}
	if c.TaskPidsLimit < 0 {
		probs = append(probs, fmt.Sprintf("taskPidsLimit %d must be 0 (no limit) or positive", c.TaskPidsLimit))
	}
	for _, ip := range []struct{ name, v string }{{"publicIP", c.PublicIP}, {"privateIP", c.PrivateIP}} {
		if ip.v != "" && net.ParseIP(ip.v) == nil {
			probs = append(probs, fmt.Sprintf("%s %q is not an IP address", ip.name, ip.v))
		}
	}
	if c.RootURL != "" && !strings.HasPrefix(c.RootURL, "http://") && !strings.HasPrefix(c.RootURL, "https://") {
		probs = append(probs, fmt.Sprintf("rootURL %q must start with https:// (or http://)", c.RootURL))
	}
	if len(probs) > 0 {
		return &Error{Err: errors.New(strings.Join(probs, "; "))}
	}
	return nil
}

// minTaskMemory is the smallest memory limit Docker accepts (6 MiB).
const minTaskMemory = 6 << 20

// loopbackProblems checks the loopback keys (Validate).
func (c *Config) loopbackProblems() []string {
	var probs []string
	if n := c.LoopbackVideoDeviceNumber; n < 0 || n > 255 {
		probs = append(probs, fmt.Sprintf("loopbackVideoDeviceNumber %d is outside 0..255", n))
	}
	if n := c.LoopbackAudioDeviceNumber; n < 0 || n > 31 {
		probs = append(probs, fmt.Sprintf("loopbackAudioDeviceNumber %d is outside 0..31 (snd-aloop's index)", n))
	}
	for _, l := range []struct {
		key   string
		paths []string
	}{{"loopbackVideoDevices", c.LoopbackVideoDevices}, {"loopbackAudioDevices", c.LoopbackAudioDevices}} {
		seen := map[string]bool{}
		for i, p := range l.paths {
			switch {
			case !filepath.IsAbs(p) || filepath.Clean(p) != p:
				probs = append(probs, fmt.Sprintf("%s[%d] %q is not a clean absolute path", l.key, i, p))
			case seen[p]:
				probs = append(probs, fmt.Sprintf("%s[%d] %q is listed twice", l.key, i, p))
			case l.key == "loopbackAudioDevices" && !controlNode.MatchString(filepath.Base(p)):
				probs = append(probs, fmt.Sprintf("%s[%d] %q is not a sound card's control node (…/controlC<N>)", l.key, i, p))
			}
			seen[p] = true
		}
	}
	return probs
}

// controlNode matches a sound card's control node name (controlC<N>).
var controlNode = regexp.MustCompile(`^controlC([0-9]+)$`)

// SoundCard is the card number N of a control node's base name
// "controlC<N>".
func SoundCard(base string) (string, bool) {
	m := controlNode.FindStringSubmatch(base)
	if m == nil {
		return "", false
	}
	return m[1], true
}
