package main

// dwshim local end to end on the real Docker daemon, with the image
// dwshim-test/busybox:latest that scripts/test-env.sh loads.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tcclient "github.com/taskcluster/taskcluster/v44/clients/client-go"
	"github.com/taskcluster/taskcluster/v44/clients/client-go/tcqueue"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
)

const localTestImage = "dwshim-test/busybox:latest"

// The test binary doubles as dwshim for tests that need a separate
// process (signals).
func init() {
	if os.Getenv("DWSHIM_LOCAL_TEST_MAIN") == "1" {
		localLabels = map[string]string{"dwshim.test": os.Getenv("DWSHIM_LOCAL_TEST_LABEL")}
		os.Exit(execute(os.Args[1:]))
	}
}

func requireDockerLocal(t *testing.T) {
	t.Helper()
	testenv.RequireDocker(t, localTestImage)
}

// labelLocal labels what dwshim local creates for t, and checks at the end
// that no container of t is left.
func labelLocal(t *testing.T) string {
	requireDockerLocal(t)
	label := "local-" + strings.NewReplacer("/", "-", "=", "-").Replace(t.Name())
	old := localLabels
	localLabels = map[string]string{"dwshim.test": label}
	t.Cleanup(func() {
		localLabels = old
		// The daemon removes auto-removed containers (docker.Options.AutoRemove)
		// just after they exit: give it a moment before calling one left.
		var out []byte
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, _ = exec.Command("docker", "ps", "-aq", "--filter", "label=dwshim.test="+label).Output()
			if len(strings.Fields(string(out))) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			t.Errorf("containers left behind: %v", ids)
			exec.Command("docker", append([]string{"rm", "-fv"}, ids...)...).Run()
		}
	})
	return label
}

// purgeCache removes a cache volume when t ends.
func purgeCache(t *testing.T, name string) {
	t.Cleanup(func() {
		e, err := docker.New(docker.Options{})
		if err != nil {
			return
		}
		defer e.Close()
		e.PurgeCaches(context.Background(), &runner.Task{Plan: &plan.Plan{Caches: []plan.Cache{{Name: name, MountPath: "/c"}}}, Key: "purge"})
	})
}

func TestLocalHelloExample(t *testing.T) {
	labelLocal(t)
	purgeCache(t, "example-hello-cache")
	dir := filepath.Join(t.TempDir(), "arts")
	logFile := filepath.Join(t.TempDir(), "task.log")
	code, out, _ := runCLI(t, "", "local", "--artifacts", dir, "--log", logFile, filepath.Join("..", "..", "testdata", "examples", "hello.yml"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"Task ID: fGwJ5P2zQ4y0iUXwX3Yzsg\n",
		`using cache "example-hello-cache" -> /cache`,
		"=== Task Starting ===",
		"hello from dwshim (task fGwJ5P2zQ4y0iUXwX3Yzsg, run 0)",
		"MULTI_LINE=first line\r\nsecond line",
		"TASKCLUSTER_WORKER_POOL=proj-example/docker",
		"=== Task Finished ===",
		"Successful task run with exit code: 0 completed in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if b, _ := os.ReadFile(logFile); string(b) != out {
		t.Errorf("--log file differs from standard output")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "public", "hello.txt")); string(b) != "hello from dwshim\n" {
		t.Errorf("public/hello.txt: %q %v", b, err)
	}
	for _, f := range []string{"public/logs/date.txt", "public/logs/sub/uname.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("artifact %s: %v", f, err)
		}
	}
}

func TestLocalExitCodes(t *testing.T) {
	labelLocal(t)
	for _, tc := range []struct {
		name, payload string
		want          int
		stderr        string
	}{
		{"failed", `{"command": ["sh", "-c", "exit 3"], "maxRunTime": 60}`, 3, "failed/failed, exit code 3"},
		{"retry", `{"command": ["sh", "-c", "exit 36"], "maxRunTime": 60, "onExitStatus": {"retry": [36]}}`, 36, "exception/intermittent-task"},
		{"maxRunTime", `{"command": ["sleep", "60"], "maxRunTime": 1}`, exitMaxRunTime, "max run time exceeded"},
		{"notFound", `{"command": ["true"], "maxRunTime": 60, "image": "127.0.0.1:5000/dwshim-test/none:x"}`, exitImageNotFound, "image not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.payload
			if !strings.Contains(payload, `"image"`) {
				payload = strings.Replace(payload, "{", `{"image": "`+localTestImage+`", `, 1)
			}
			code, _, stderr := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "-")
			if code != tc.want || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.want, stderr, tc.stderr)
			}
		})
	}
}

func TestLocalCapabilityRefused(t *testing.T) {
	labelLocal(t)
	payload := fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "capabilities": {"privileged": true},
		"command": ["sh", "-c", "echo RAN"]}`, localTestImage)
	cfg := filepath.Join(t.TempDir(), "gw.json")
	os.WriteFile(cfg, []byte(`{"d2gConfig": {"enableD2G": true, "allowPrivileged": false}}`), 0o644)
	code, out, stderr := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "--config", cfg, "-")
	// docker-worker failed such a task at once; so does dwshim
	// (malformed-payload, exit 100), naming the field and the config key.
	if code != exitMalformed || strings.Contains(out, "RAN") || !strings.Contains(stderr, "/capabilities/privileged: capabilities.privileged is refused") ||
		!strings.Contains(stderr, "d2gConfig.allowPrivileged") {
		t.Errorf("refused: exit %d, out %q, stderr %q", code, out, stderr)
	}
	// The allowed case is not tested: privileged containers cannot start
	// in every CI sandbox (runc: "unable to apply caps").
}

// TestLocalCacheScopes: a task definition without its cache's scope is
// refused (malformed-payload, exit 100) naming the cache and the scope,
// and never touches the cache.
func TestLocalCacheScopes(t *testing.T) {
	labelLocal(t)
	cache := fmt.Sprintf("dwshim-test-local-scopes-%d", os.Getpid())
	purgeCache(t, cache)
	task := func(scopes, script string) string {
		return fmt.Sprintf(`{"taskQueueId": "proj/local", "scopes": %s, "payload": {"image": %q, "maxRunTime": 60,
			"cache": {%q: "/cache"}, "command": ["sh", "-c", %q]}}`, scopes, localTestImage, cache, script)
	}
	if code, _, stderr := runCLI(t, task(`["docker-worker:cache:`+cache+`"]`, "echo good > /cache/marker"), "local", "--artifacts", t.TempDir(), "-"); code != 0 {
		t.Fatalf("with the scope: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runCLI(t, task(`[]`, "echo poison > /cache/marker; echo RAN"), "local", "--artifacts", t.TempDir(), "-")
	if code != exitMalformed || strings.Contains(out, "RAN") ||
		!strings.Contains(stderr, "/payload/cache/"+cache+`: cache "`+cache+`" needs scope docker-worker:cache:`+cache+" ") {
		t.Errorf("without the scope: exit %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, stderr = runCLI(t, task(`["docker-worker:cache:*"]`, "cat /cache/marker"), "local", "--artifacts", t.TempDir(), "-")
	if code != 0 || !strings.Contains(out, "good") || strings.Contains(out, "poison") {
		t.Errorf("cache after the refused task: exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// TestLocalWorkerVarsWin: worker variables the worker has no value for
// (no --root-url, no public IP) are unset in the container, never the
// payload's; those it has win.
func TestLocalWorkerVarsWin(t *testing.T) {
	labelLocal(t)
	t.Setenv("TASKCLUSTER_ROOT_URL", "")
	payload := fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "command": ["sh", "-c", "env | sort | sed 's/^/ENV:/'"],
		"env": {"TASKCLUSTER_ROOT_URL": "https://payload.example.com", "TASKCLUSTER_PUBLIC_IP": "6.6.6.6",
		        "TASK_ID": "from-payload", "TASKCLUSTER_WORKER_GROUP": "payload-group", "KEPT": "yes"}}`, localTestImage)
	code, out, stderr := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "-")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, bad := range []string{"payload.example.com", "6.6.6.6", "from-payload", "payload-group", "ENV:TASKCLUSTER_ROOT_URL=", "ENV:TASKCLUSTER_PUBLIC_IP="} {
		if strings.Contains(out, bad) {
			t.Errorf("container env has %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"ENV:KEPT=yes", "ENV:TASKCLUSTER_WORKER_GROUP=local", "ENV:TASK_ID="} {
		if !strings.Contains(out, want) {
			t.Errorf("container env lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "/env/TASKCLUSTER_PUBLIC_IP: TASKCLUSTER_PUBLIC_IP is a worker variable") {
		t.Errorf("no warning for the payload's TASKCLUSTER_PUBLIC_IP:\n%s", stderr)
	}
}

func TestLocalImageFileAndRootURL(t *testing.T) {
	labelLocal(t)
	// The engine tags the loaded artifact images in a repository of this
	// test's own, removed at the end.
	const repo = "dwshim-test/local-artifacts"
	old := localImageRepo
	localImageRepo = repo
	t.Cleanup(func() {
		localImageRepo = old
		out, err := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+repo).Output()
		if err != nil {
			t.Errorf("list test images: %v", err)
			return
		}
		for _, tag := range strings.Fields(string(out)) {
			if out, err := exec.Command("docker", "rmi", tag).CombinedOutput(); err != nil {
				t.Errorf("remove %s: %v: %s", tag, err, out)
			}
		}
	})
	// A fixed path and modification time keep the image identity (and so
	// the engine's tag for it) the same from one test run to the next.
	tar := filepath.Join(os.TempDir(), "dwshim-local-test-image.tar")
	if out, err := exec.Command("docker", "save", "-o", tar, localTestImage).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v: %s", err, out)
	}
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(tar, fixed, fixed); err != nil {
		t.Fatal(err)
	}
	payload := `{"image": {"type": "indexed-image", "namespace": "project.images.busybox", "path": "public/image.tar"},
		"maxRunTime": 60, "command": ["sh", "-c", "echo from-artifact-image"]}`
	code, out, _ := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "--image-file", tar, "-")
	if code != 0 || !strings.Contains(out, "from-artifact-image") {
		t.Errorf("--image-file: exit %d", code)
	}

	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	defer fake.Close()
	data, err := os.ReadFile(tar)
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.UploadArtifact("IMGTASK0QACAAAAAAAAAAA", "public/image.tar", data); err != nil {
		t.Fatal(err)
	}
	fake.InsertIndex("project.images.busybox", "IMGTASK0QACAAAAAAAAAAA")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("TASKCLUSTER_CLIENT_ID", "")
	code, out, stderr := runCLI(t, payload, "local", "--artifacts", t.TempDir(), "--root-url", fake.RootURL(), "-")
	if code != 0 || !strings.Contains(out, "from-artifact-image") || !strings.Contains(stderr, "Downloading artifact") {
		t.Errorf("--root-url: exit %d", code)
	}
	code, _, _ = runCLI(t, strings.Replace(payload, "project.images.busybox", "project.images.none", 1),
		"local", "--artifacts", t.TempDir(), "--root-url", fake.RootURL(), "-")
	if code != exitImageNotFound {
		t.Errorf("unknown index namespace: exit %d, want %d", code, exitImageNotFound)
	}

	// dwshim local TASKID: the definition and the latest run come from the
	// queue (TASKCLUSTER_ROOT_URL), the task-image from its artifact.
	const taskID = "LocalTaskId0123456789A"
	def := tcfake.MinimalTask("proj-local/docker", map[string]any{
		"image":      map[string]any{"type": "task-image", "taskId": "IMGTASK0QACAAAAAAAAAAA", "path": "public/image.tar"},
		"maxRunTime": 60, "command": []string{"sh", "-c", `echo "ids=$TASK_ID/$RUN_ID/$TASKCLUSTER_WORKER_POOL"`},
	})
	if err := fake.AddTask(taskID, def); err != nil {
		t.Fatal(err)
	}
	retryRun(t, fake, taskID, "proj-local/docker")
	t.Setenv("TASKCLUSTER_ROOT_URL", fake.RootURL())
	code, out, _ = runCLI(t, "", "local", "--artifacts", t.TempDir(), taskID)
	if code != 0 || !strings.Contains(out, "ids="+taskID+"/1/proj-local/docker") {
		t.Errorf("local TASKID: exit %d, want the task's own ids and run 1", code)
	}
	if code, _, stderr := runCLI(t, "", "local", "--artifacts", t.TempDir(), "NoSuchTask000000000000"); code != 1 || !strings.Contains(stderr, "NoSuchTask000000000000") {
		t.Errorf("unknown taskId: exit %d, stderr %q", code, stderr)
	}
}

// retryRun claims run 0 of taskID and resolves it exception/intermittent-task,
// so that the task's latest run is 1.
func retryRun(t *testing.T, fake *tcfake.Server, taskID, queue string) {
	t.Helper()
	fake.AddClient("test-worker", "test-token", tcfake.WorkerScopes(queue, "g", "w")...)
	q := tcqueue.New(&tcclient.Credentials{ClientID: "test-worker", AccessToken: "test-token"}, fake.RootURL())
	resp, err := q.ClaimWork(queue, &tcqueue.ClaimWorkRequest{Tasks: 1, WorkerGroup: "g", WorkerID: "w"})
	if err != nil || len(resp.Tasks) != 1 {
		t.Fatalf("claimWork: %v %+v", err, resp)
	}
	c := resp.Tasks[0].Credentials
	tq := tcqueue.New(&tcclient.Credentials{ClientID: c.ClientID, AccessToken: c.AccessToken, Certificate: c.Certificate}, fake.RootURL())
	if _, err := tq.ReportException(taskID, "0", &tcqueue.TaskExceptionRequest{Reason: "intermittent-task"}); err != nil {
		t.Fatalf("reportException: %v", err)
	}
}

func TestLocalInterrupt(t *testing.T) {
	label := labelLocal(t)
	cmd, sc := startSleepingLocal(t, label)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != exitCancelled {
		t.Errorf("exit %v, want %d", err, exitCancelled)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s to stop", d)
	}
}

// startSleepingLocal starts dwshim local (the test binary) in a process
// of its own on a task that sleeps, and returns once the task has started.
func startSleepingLocal(t *testing.T, label string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(t.TempDir(), "task.json")
	os.WriteFile(task, []byte(fmt.Sprintf(`{"image": %q, "maxRunTime": 600, "command": ["sh", "-c", "echo started; sleep 300"]}`, localTestImage)), 0o644)
	cmd := exec.Command(exe, "local", "--artifacts", t.TempDir(), task)
	cmd.Env = append(os.Environ(), "DWSHIM_LOCAL_TEST_MAIN=1", "DWSHIM_LOCAL_TEST_LABEL="+label)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "started") {
			break
		}
	}
	return cmd, sc
}

// A dwshim local killed with SIGKILL cannot remove its container; the next
// run does.
func TestLocalKilledRunSweptByNext(t *testing.T) {
	label := labelLocal(t)
	cmd, sc := startSleepingLocal(t, label)
	cmd.Process.Kill()
	go func() {
		for sc.Scan() {
		}
	}()
	cmd.Wait()
	left := func() []string {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=dwshim.test="+label).Output()
		return strings.Fields(string(out))
	}
	killed := left()
	if len(killed) != 1 {
		t.Fatalf("the killed run left %v, want its one container", killed)
	}
	code, _, _ := runCLI(t, fmt.Sprintf(`{"image": %q, "maxRunTime": 60, "command": ["true"]}`, localTestImage), "local", "--artifacts", t.TempDir(), "-")
	if code != 0 {
		t.Fatalf("next run: exit %d", code)
	}
	// The next run's own container may still be being removed by the
	// daemon (AutoRemove); the killed run's must be gone already.
	if ids := left(); slices.Contains(ids, killed[0]) {
		t.Errorf("the next run left the killed run's container %s", killed[0])
	}
}

// features.taskclusterProxy locally: with the user's credentials the task
// gets the worker's proxy on its own network, signing with them restricted
// to the task's scopes; without them a notice says what it lacks.
func TestLocalProxyWithUserCredentials(t *testing.T) {
	labelLocal(t)
	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	defer fake.Close()
	fake.AddClient("dev/me", "dev-token", "dwshim:*")
	task := writeTask(t, "task.json", fmt.Sprintf(`{"taskId": "ProxyTask000000000000A", "taskQueueId": "proj/wt", "scopes": ["dwshim:test-scope"],
		"payload": {"image": %q, "maxRunTime": 60, "features": {"taskclusterProxy": true, "chainOfTrust": true},
		"command": ["sh", "-c", "echo proxy=$TASKCLUSTER_PROXY_URL; wget -qO- $TASKCLUSTER_PROXY_URL/auth/v1/scopes/current; echo"]}}`, localTestImage))
	t.Setenv("TASKCLUSTER_ROOT_URL", fake.RootURL())
	t.Setenv("TASKCLUSTER_CLIENT_ID", "dev/me")
	t.Setenv("TASKCLUSTER_ACCESS_TOKEN", "dev-token")
	code, out, stderr := runCLI(t, "", "local", "--artifacts", t.TempDir(), task)
	if code != 0 || !strings.Contains(out, `{"scopes":["dwshim:test-scope"]}`) || !strings.Contains(stderr, "signing with your credentials (dev/me)") {
		t.Errorf("proxy with credentials: exit %d, want the task's scopes through the proxy", code)
	}
	if !strings.Contains(stderr, "NOTICE: the task asks for chain of trust") {
		t.Errorf("no chain-of-trust notice: %s", stderr)
	}
	t.Setenv("TASKCLUSTER_CLIENT_ID", "")
	code, _, stderr = runCLI(t, "", "local", "--artifacts", t.TempDir(), task)
	if !strings.Contains(stderr, "NOTICE: the task uses the taskcluster proxy (features.taskclusterProxy), but TASKCLUSTER_CLIENT_ID / TASKCLUSTER_ACCESS_TOKEN not set") {
		t.Errorf("no notice without credentials (exit %d): %s", code, stderr)
	}
}
