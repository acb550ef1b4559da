package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContainerEnvWorkerWins(t *testing.T) {
	p := &Plan{Env: []EnvVar{
		{"A", "1"},
		{"TASKCLUSTER_ROOT_URL", "$TASKCLUSTER_ROOT_URL"},
		{"TASK_ID", "from-payload"},
		{"MULTI", "x\ny"},
	}}
	id := Identity{TaskID: "abc", RunID: 2, RootURL: "https://tc.example.com"}
	got := p.ContainerEnv(id)
	want := []string{
		"A=1",
		"MULTI=x\ny",
		"RUN_ID=2",
		"TASKCLUSTER_ROOT_URL=https://tc.example.com",
		"TASK_ID=abc",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ContainerEnv (-want +got):\n%s", d)
	}
}

// A worker variable the worker has no value for is unset, never the
// payload's (no publicIP: the payload's TASKCLUSTER_PUBLIC_IP must not
// reach the container).
func TestContainerEnvPayloadNeverFillsWorkerVars(t *testing.T) {
	p := &Plan{Env: []EnvVar{
		{"TASKCLUSTER_PUBLIC_IP", "6.6.6.6"},
		{"TASKCLUSTER_ROOT_URL", "https://evil.example.com"},
		{"TASKCLUSTER_WORKER_TYPE", "payload"},
		{"TASKCLUSTER_PROXY_URL", "http://evil"},
		{"TASK_GROUP_ID", "payload"},
		{"Z", "kept"},
	}}
	got := p.ContainerEnv(Identity{TaskID: "t", RunID: 1, WorkerType: "wt"})
	want := []string{"RUN_ID=1", "TASKCLUSTER_WORKER_TYPE=wt", "TASK_ID=t", "Z=kept"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ContainerEnv (-want +got):\n%s", d)
	}
	for _, n := range WorkerVarNames {
		if !IsWorkerVar(n) {
			t.Errorf("WorkerVarNames is not sorted at %s", n)
		}
	}
	if len(Identity{}.Env()) != 1 { // only RUN_ID
		t.Errorf("zero identity exports %v", Identity{}.Env())
	}
}

func TestIdentityEnvOmitsEmpty(t *testing.T) {
	got := Identity{TaskID: "t"}.Env()
	want := []EnvVar{{"RUN_ID", "0"}, {"TASK_ID", "t"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Env (-want +got):\n%s", d)
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := d.UnmarshalJSON([]byte(`3600`)); err != nil || d.Std().Hours() != 1 {
		t.Fatalf("seconds: %v %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`"90s"`)); err != nil || d.Std().Seconds() != 90 {
		t.Fatalf("string: %v %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`"soon"`)); err == nil {
		t.Fatal("want error for bad duration")
	}
	b, _ := d.MarshalJSON()
	if string(b) != `"1m30s"` {
		t.Fatalf("marshal: %s", b)
	}
}
