package fleet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

const (
	workerLabel = "dwshim.worker" // runner/docker.LabelWorker: Sweep removes by it
	claimFor    = 6 * time.Second // the fake queue's claim duration
	provisioner = "dwshim-fleet"
	group       = "fleet"
)

// fleet is the queue double, the network and the worker containers.
type fleet struct {
	t       *testing.T
	name    string // unique per run: prefixes containers, labels, worker ids
	label   string // dwshim.test=<name>
	network string
	image   string
	queue   string
	fake    *tcfake.Server
	workers []string // worker ids == container names
}

func newFleet(t *testing.T, n int) *fleet {
	testenv.RequireDocker(t, testenv.BaseImage)
	name := fmt.Sprintf("fleet-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	f := &fleet{t: t, name: name, label: "dwshim.test=" + name, network: name, image: "dwshim-test/" + name + ":latest",
		queue: provisioner + "/" + name}
	buildWorkerImage(t, testenv.BaseImage, f.image, f.label)
	docker(t, "network", "create", "--label", f.label, f.network)
	t.Cleanup(f.cleanup)
	gw := docker(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", f.network)
	f.fake = tcfake.New(tcfake.Options{ClaimDuration: claimFor})
	if err := f.fake.StartOn(gw + ":0"); err != nil {
		t.Fatal(err)
	}
	cfgRoot := t.TempDir()
	for i := range n {
		id := fmt.Sprintf("%s-w%d", name, i)
		f.workers = append(f.workers, id)
		f.fake.AddClient("worker/"+id, "token-"+id, tcfake.WorkerScopes(f.queue, group, id)...)
		dir := filepath.Join(cfgRoot, id)
		cfg := map[string]any{
			"rootURL": f.fake.RootURL(), "clientId": "worker/" + id, "accessToken": "token-" + id,
			"provisionerId": provisioner, "workerType": name, "workerGroup": group, "workerId": id,
			"capacity": 1, "tasksDir": "/var/lib/dwshim/tasks", "cachesDir": "/var/lib/dwshim/caches",
			"downloadsDir": "/var/lib/dwshim/downloads", "enableChainOfTrust": false, "enableLiveLog": false,
			"enableTaskclusterProxy": false, "d2gConfig": map[string]any{"enableD2G": true},
		}
		b, _ := json.Marshal(cfg)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "worker.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		docker(t, "run", "-d", "--name", id, "--label", f.label, "--network", f.network,
			"-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", dir+":/etc/dwshim:ro",
			f.image, "/dwshim", "run", "--config", "/etc/dwshim/worker.json")
	}
	return f
}

// cleanup removes the workers, whatever their tasks left, the network and
// the image; on failure it first shows the workers' logs.
func (f *fleet) cleanup() {
	for _, id := range f.workers {
		if f.t.Failed() {
			logs, _ := dockerErr("logs", "--tail", "60", id)
			f.t.Logf("worker %s log (tail):\n%s", id, logs)
		}
		_, _ = dockerErr("rm", "-f", id)
		for _, kind := range []string{"ps -a", "network ls", "volume ls"} {
			args := append(strings.Fields(kind), "-q", "--filter", "label="+workerLabel+"="+id)
			out, _ := dockerErr(args...)
			for _, obj := range strings.Fields(out) {
				rm := map[string]string{"ps -a": "rm -f -v", "network ls": "network rm", "volume ls": "volume rm -f"}[kind]
				_, _ = dockerErr(append(strings.Fields(rm), obj)...)
			}
		}
	}
	_, _ = dockerErr("network", "rm", f.network)
	f.fake.Close()
}

// addTask adds a task whose first run, when long, outlives everything the
// test does to its worker; retries are short. Both write two artifacts.
func (f *fleet) addTask(id string, long bool) {
	f.t.Helper()
	script := `echo "$TASK_ID/a" > /a.txt; echo "$TASK_ID/b" > /b.txt; ` +
		`if [ "$LONG" = 1 ] && [ "$RUN_ID" = 0 ]; then sleep 600; else sleep 1; fi`
	longEnv := "0"
	if long {
		longEnv = "1"
	}
	def, _ := json.Marshal(map[string]any{
		"taskQueueId": f.queue, "retries": 5,
		"payload": map[string]any{
			"image": testenv.BaseImage, "maxRunTime": 900, "command": []string{"sh", "-c", script},
			"env": map[string]string{"LONG": longEnv},
			"artifacts": map[string]any{
				"public/a.txt": map[string]any{"type": "file", "path": "/a.txt"},
				"public/b.txt": map[string]any{"type": "file", "path": "/b.txt"},
			},
		},
	})
	if err := f.fake.AddTask(id, def); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) run(taskID string, runID int) tcfake.RunState {
	st, ok := f.fake.Task(taskID)
	if !ok || runID >= len(st.Runs) {
		return tcfake.RunState{}
	}
	return st.Runs[runID]
}

// runningOn maps each worker to the task it is running now.
func (f *fleet) runningOn(tasks []string) map[string]string {
	on := map[string]string{}
	for _, id := range tasks {
		st, _ := f.fake.Task(id)
		if n := len(st.Runs); n > 0 && st.Runs[n-1].State == "running" {
			on[st.Runs[n-1].WorkerID] = id
		}
	}
	return on
}

// callsAfter are the fake's calls with Seq > seq matching keep.
func (f *fleet) callsAfter(seq int, keep func(tcfake.Call) bool) []tcfake.Call {
	var out []tcfake.Call
	for _, c := range f.fake.Calls() {
		if c.Seq > seq && keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fleet) lastSeq() int {
	calls := f.fake.Calls()
	if len(calls) == 0 {
		return 0
	}
	return calls[len(calls)-1].Seq
}

// exitCode waits for a stopped worker container and returns its exit code.
func (f *fleet) exitCode(id string) string {
	return docker(f.t, "wait", id)
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
