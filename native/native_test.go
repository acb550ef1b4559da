package native

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/schemas/validator"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/convert/native")

func allFeatures() *plan.Plan {
	return &plan.Plan{
		Image:   plan.Image{Kind: plan.ImageIndexed, Namespace: "project.images.latest", Path: "public/image.tar.zst"},
		Command: []string{"bash", "-c", "echo $HOME; rm -rf --no-preserve-root /", "--", "-v"},
		Env: []plan.EnvVar{
			{Name: "DOCKER_HOST", Value: "tcp://inner:2375"},
			{Name: "DWSHIM_ENV_PATH", Value: "x"},
			{Name: "HOME", Value: "/builds/worker"},
			{Name: "MULTI", Value: "a\nb"},
			{Name: "PATH", Value: "/a\n/b"},
			{Name: "TASKCLUSTER_PROXY_URL", Value: "http://old"},
		},
		Caches:    []plan.Cache{{Name: "level-3-checkouts", MountPath: "/builds/worker/checkouts"}, {Name: "odd", MountPath: "/x:ro"}},
		Artifacts: []plan.Artifact{{Name: "public/build", Path: "/builds/worker/artifacts", Kind: plan.ArtifactVolume}, {Name: "public/x.tar.gz", Path: "/x.tar.gz", Kind: plan.ArtifactFile, Expires: time.Date(2030, 1, 2, 3, 4, 5, 678901000, time.UTC)}},
		Capabilities: plan.Capabilities{Privileged: true, Ptrace: true, DisableSeccomp: true, GPUs: "all", Devices: []plan.Device{
			{Kind: plan.DeviceKVM}, {Kind: plan.DeviceHostSharedMemory}, {Kind: plan.DeviceLoopbackAudio}, {Kind: plan.DeviceLoopbackVideo}, {Kind: plan.DeviceHostPath, HostPath: "/dev/nvidia0"},
		}},
		MaxRunTime:    plan.Duration(3 * time.Hour),
		OnExit:        plan.ExitPolicy{Retry: []int{72, 0, 72}, PurgeCaches: []int{73, -1}},
		Features:      plan.Features{TaskclusterProxy: true, ChainOfTrust: true, Interactive: true, UploadArtifacts: true, LiveLog: true, BackingLog: true, LiveLogName: "public/logs/live.log", BackingLogName: "public/logs/live_backing.log"},
		ShmSize:       1800000000,
		ExtraHosts:    []string{"localhost.localdomain:127.0.0.1"},
		TTY:           true,
		SupersederURL: "https://example.com/supersede",
	}
}

func minimal() *plan.Plan {
	return &plan.Plan{
		Image:      plan.Image{Kind: plan.ImageNamed, Ref: "ubuntu:24.04"},
		MaxRunTime: plan.Duration(90 * time.Second),
		Features:   plan.Features{LiveLog: false, BackingLog: false, LiveLogName: "public/logs/live.log", BackingLogName: "public/logs/live_backing.log"},
		Artifacts:  []plan.Artifact{{Name: "public/a", Path: "/a", Kind: plan.ArtifactFile}},
	}
}

func TestBuildGolden(t *testing.T) {
	for name, p := range map[string]*plan.Plan{"all-features": allFeatures(), "minimal": minimal()} {
		t.Run(name, func(t *testing.T) {
			pl, warns, err := Build(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warns {
				if w.Code == "" {
					t.Errorf("warning without a code: %s", w)
				}
			}
			raw := pl.AppendJSONNoEscape(nil)
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if probs := validator.ValidateGenericWorkerPayload(doc); len(probs) > 0 {
				t.Errorf("not a valid generic-worker payload: %v", probs)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				Payload  json.RawMessage `json:"payload"`
				Warnings []Warning       `json:"warnings"`
			}{raw, warns}); err != nil {
				t.Fatal(err)
			}
			got := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			file := filepath.Join("..", "testdata", "convert", "native", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./native -update)", err)
			}
			if d := cmp.Diff(string(want), string(got)+"\n"); d != "" {
				t.Errorf("%s (-want +got):\n%s", file, d)
			}
		})
	}
}

// TestScriptsHoldNoTaskData checks that the shell text is the same whatever
// the task says: task values only ever appear as separate arguments.
func TestScriptsHoldNoTaskData(t *testing.T) {
	a, _, _ := Build(allFeatures())
	b, _, _ := Build(minimal())
	for _, c := range append(a.Command, b.Command...) {
		script := c[2]
		for _, v := range []string{"echo $HOME", "ubuntu", "/builds", "inner", "project.images", "level-3"} {
			if strings.Contains(script, v) {
				t.Errorf("script contains task data %q:\n%s", v, script)
			}
		}
	}
	if a.Command[1][2] == b.Command[1][2] {
		t.Errorf("the run script should differ only by the HostEnv lines")
	}
}

func TestBuildRejectsUnsafePlans(t *testing.T) {
	p := minimal()
	p.Image.Ref = "--privileged"
	if _, _, err := Build(p); err == nil {
		t.Error("an image reference starting with - was accepted")
	}
	p.Image = plan.Image{Kind: "other"}
	if _, _, err := Build(p); err == nil {
		t.Error("an unknown image kind was accepted")
	}
}
