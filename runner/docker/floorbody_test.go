package docker

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/translate"
)

// TestBenchFloorBodyIsLocalsContainer: make bench's engine floor
// (scripts/bench-local-floor.json) creates the container dwshim local
// creates for the bench's trivial task, so the two are timed on the same
// work: what the daemon is asked for matches, labels and env values aside.
func TestBenchFloorBodyIsLocalsContainer(t *testing.T) {
	raw, err := os.ReadFile("../../scripts/bench-local-floor.json")
	if err != nil {
		t.Fatal(err)
	}
	var floor struct {
		Image        string
		Cmd, Env     []string
		Tty          bool
		AttachStdout bool
		AttachStderr bool
		HostConfig   struct {
			LogConfig  struct{ Type string }
			AutoRemove bool
			ShmSize    int64
			ExtraHosts []string
			MemorySwap int64
			PidsLimit  int64
		}
	}
	if err := json.Unmarshal(raw, &floor); err != nil {
		t.Fatalf("bench-local-floor.json: %v", err)
	}
	// The bench's task, translated as dwshim local translates it.
	p, err := translate.DecodePayload([]byte(`{"image": "` + floor.Image + `", "command": ["true"], "maxRunTime": 60}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := translate.DefaultConfig()
	cfg.EnableD2G = true
	res, err := translate.TranslatePayload(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	task := &runner.Task{Plan: res.Plan, Key: "bench", WorkerID: "local-host",
		Identity: plan.Identity{TaskID: "fJUE8d1OS8mXrqlmZ0jWKA", TaskGroupID: "fJUE8d1OS8mXrqlmZ0jWKA", WorkerGroup: "local"}}
	spec, err := containerSpec(task, floor.Image, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := func(env []string) []string {
		var out []string
		for _, kv := range env {
			n, _, _ := strings.Cut(kv, "=")
			out = append(out, n)
		}
		slices.Sort(out)
		return out
	}
	hc := spec.HostConfig
	type view struct {
		Cmd, EnvNames, ExtraHosts []string
		Tty, Stdout, Stderr       bool
		LogType                   string
		AutoRemove                bool
		ShmSize, MemorySwap, Pids int64
	}
	want := view{spec.Config.Cmd, names(spec.Config.Env), hc.ExtraHosts, spec.Config.Tty, spec.Config.AttachStdout, spec.Config.AttachStderr,
		hc.LogConfig.Type, (&Engine{opts: Options{AutoRemove: true}}).autoRemovable(task), hc.ShmSize, hc.MemorySwap, *hc.PidsLimit}
	f := floor.HostConfig
	got := view{floor.Cmd, names(floor.Env), f.ExtraHosts, floor.Tty, floor.AttachStdout, floor.AttachStderr,
		f.LogConfig.Type, f.AutoRemove, f.ShmSize, f.MemorySwap, f.PidsLimit}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the floor's container differs from local's (-local +floor):\n%s", d)
	}
}
