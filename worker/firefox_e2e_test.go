package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/runner/docker"
)

// TestE2EFirefoxBatch runs a batch of Firefox-CI-shaped tasks on a worker
// at capacity 2, on real Docker against the queue double, and checks the
// results docker-worker gave. Every task asks for loopback video and
// audio, the taskcluster proxy and a shared checkout cache, and names its
// own log; they run two at a time, in three waves:
//   - wave 1: both tasks get a cache instance of their own (both empty)
//     and a device set of their own; both reach the proxy at
//     http://taskcluster (port 80) through their own network;
//   - wave 2: the two instances are reused, one each, never shared;
//   - wave 2's second task runs an image from a private registry (htpasswd
//     auth on loopback) with the worker's `registries` credentials;
//   - then a purge-cache request for the cache: wave 3 starts empty; its
//     tasks run an image artifact (task-image).
//
// Every task has chain of trust: a certificate signed with the worker's
// key, with the image's hash (and, for the task-image, the artifact's).
func TestE2EFirefoxBatch(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.Capacity = 2
	env.cfg.NumberOfTasksToRun = 6
	fakeLoopbackDevices(t, &env.cfg, 2)
	const regUser, regPass = "dwshim", "firefox-registry-pass"
	regAddr := testenv.StartAuthRegistry(t, regUser, regPass)
	privateRef := regAddr + "/dwshim-test/firefox-private:latest"
	testenv.PushPrivate(t, regAddr, regUser, regPass, e2eImage, privateRef)
	env.cfg.Registries = map[string]RegistryCredentials{regAddr: {Username: regUser, Password: regPass}}
	w := env.dockerWorker(t)
	w.opts.Executor.(*D2GExecutor).Proxy.Port = 80
	cache := fmt.Sprintf("level-3-checkouts-%d", os.Getpid())
	t.Cleanup(func() { purgeTestCache(t, cache) }) // before dockerWorker's leak check
	const logName = "public/logs/firefox.log"
	script := `echo "cache-before=$(ls /builds/worker/checkouts | tr '\n' ' ')"; echo "$TASK_ID" > /builds/worker/checkouts/$TASK_ID; ` +
		`echo "video=$TASKCLUSTER_VIDEO_DEVICE proxy=$TASKCLUSTER_PROXY_URL snd=$(ls /dev/snd | tr '\n' ' ')"; ` +
		`host=$(awk '$2=="taskcluster"{print $1}' /etc/hosts); set -- "$host" 80 "$TASK_ID"; { ` + proxyProbe + `; } > /tmp/resp.txt; ` +
		`grep -q "\"taskId\":\"$TASK_ID\"" /tmp/resp.txt && echo PROXY-OK; echo > /builds/worker/artifacts-out.txt; ` +
		`echo READY; while [ ! -f /tmp/go ]; do sleep 0.1; done`
	scopes := []string{"docker-worker:cache:" + cache, "docker-worker:capability:device:loopbackVideo",
		"docker-worker:capability:device:loopbackAudio", "queue:get-task"}
	tarball, err := exec.Command("docker", "save", e2eImage).Output()
	if err != nil {
		t.Fatalf("docker save: %v", err)
	}
	if err := env.fake.UploadArtifact("FFIMAGE0QACAAAAAAAAAAA", "public/image.tar", tarball); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball)
	artifactHash := "sha256:" + hex.EncodeToString(sum[:])
	add := func(id string) {
		image := any(e2eImage)
		if id == "ff-4" {
			image = privateRef
		}
		if id == "ff-5" || id == "ff-6" {
			image = map[string]any{"type": "task-image", "taskId": "FFIMAGE0QACAAAAAAAAAAA", "path": "public/image.tar"}
		}
		env.addTask(t, id, dwPayload(script, map[string]any{
			"image":        image,
			"cache":        map[string]any{cache: "/builds/worker/checkouts"},
			"capabilities": map[string]any{"devices": map[string]any{"loopbackVideo": true, "loopbackAudio": true}},
			"features":     map[string]any{"taskclusterProxy": true, "chainOfTrust": true},
			"log":          logName,
			"artifacts":    map[string]any{"public/build/out.txt": map[string]any{"type": "file", "path": "/builds/worker/artifacts-out.txt"}},
		}), map[string]any{"scopes": scopes, "dependencies": []string{"FFIMAGE0QACAAAAAAAAAAA"}})
	}
	wait := runWorker(context.Background(), w)
	logs := map[string]string{}
	wave := func(ids ...string) {
		for _, id := range ids {
			add(id)
		}
		for _, id := range ids {
			logs[id] = string(waitForLogText(t, w, env, id, "READY"))
		}
		for _, id := range ids { // both are running at once now
			dockerOut(t, "exec", docker.ContainerName(id+"-0"), "touch", "/tmp/go")
		}
		for _, id := range ids {
			waitResolved(t, env.fake, id)
		}
	}
	wave("ff-1", "ff-2")
	wave("ff-3", "ff-4")
	env.fake.AddPurgeRequest(testQueue, cache)
	wave("ff-5", "ff-6")
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}

	re := regexp.MustCompile(`cache-before=([^\r\n]*)\r?\nvideo=(\S*) proxy=(\S*) snd=([^\r\n]*)`)
	before := map[string]string{}
	for id, log := range logs {
		st, _ := env.fake.Task(id)
		r := st.Runs[0]
		if r.State != "completed" {
			t.Errorf("%s: %s/%s", id, r.State, r.ReasonResolved)
		}
		m := re.FindStringSubmatch(log)
		if m == nil || !strings.Contains(log, "PROXY-OK") {
			t.Errorf("%s: log lacks the devices, proxy or cache lines:\n%s", id, log)
			continue
		}
		before[id] = strings.TrimSpace(m[1])
		if m[3] != "http://taskcluster" {
			t.Errorf("%s: proxy URL %q, want http://taskcluster in every slot", id, m[3])
		}
		if !regexp.MustCompile(`^/dev/video[01]$`).MatchString(m[2]) || len(strings.Fields(m[4])) != 5 {
			t.Errorf("%s: video %q, sound nodes %q", id, m[2], m[4])
		}
		bl, ok := r.Artifact("public/logs/firefox_backing.log")
		if !ok || !strings.Contains(string(bl.Data), "PROXY-OK") {
			t.Errorf("%s: backing log under the payload's name missing", id)
		}
		if strings.Contains(string(bl.Data), regPass) || strings.Contains(log, regPass) {
			t.Errorf("%s: the registry password is in the task log", id)
		}
		if id == "ff-4" && !strings.Contains(string(bl.Data), privateRef) {
			t.Errorf("ff-4: the log does not name the private image %s:\n%s", privateRef, bl.Data)
		}
		if ll, ok := r.Artifact(logName); !ok || ll.LinkTarget != "public/logs/firefox_backing.log" {
			t.Errorf("%s: live log %+v", id, ll)
		}
		if _, ok := r.Artifact(liveLogName); ok {
			t.Errorf("%s: the default live log name was used", id)
		}
		if a, ok := r.Artifact("public/build/out.txt"); !ok || !a.Present {
			t.Errorf("%s: artifact %+v", id, a)
		}
		cert, _ := r.Artifact("public/chain-of-trust.json")
		sig, _ := r.Artifact("public/chain-of-trust.json.sig")
		var c struct {
			Environment map[string]any `json:"environment"`
		}
		if !ed25519.Verify(env.pub, cert.Data, sig.Data) || json.Unmarshal(cert.Data, &c) != nil ||
			!strings.HasPrefix(fmt.Sprint(c.Environment["imageHash"]), "sha256:") {
			t.Errorf("%s: chain of trust certificate does not verify or lacks imageHash:\n%s", id, cert.Data)
		}
		if id == "ff-5" || id == "ff-6" {
			if got := c.Environment["imageArtifactHash"]; got != artifactHash {
				t.Errorf("%s: imageArtifactHash %v, want %s (the task-image's bytes)", id, got, artifactHash)
			}
		}
	}
	for i, pair := range [][2]string{{"ff-1", "ff-2"}, {"ff-3", "ff-4"}, {"ff-5", "ff-6"}} {
		a, b := before[pair[0]], before[pair[1]]
		switch i {
		case 0, 2:
			if a != "" || b != "" {
				t.Errorf("wave %d: caches not empty (%q, %q): new instances, or purged ones, expected", i+1, a, b)
			}
		case 1:
			if got := strings.Join([]string{a, b}, "|"); got != "ff-1|ff-2" && got != "ff-2|ff-1" {
				t.Errorf("wave 2 saw %q: want each of wave 1's instances reused by one task", got)
			}
		}
	}
	if devs := videoOf(logs["ff-1"]) + videoOf(logs["ff-2"]); devs != "/dev/video0/dev/video1" && devs != "/dev/video1/dev/video0" {
		t.Errorf("concurrent tasks' video devices %q: want one each", devs)
	}
}

func videoOf(log string) string {
	m := regexp.MustCompile(`video=(\S*)`).FindStringSubmatch(log)
	if m == nil {
		return ""
	}
	return m[1]
}
