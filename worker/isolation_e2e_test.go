package worker

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// imageID is `docker image inspect` of ref ("" when absent).
func imageID(t *testing.T, ref string) string {
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestE2EImageIsolation: on one worker, a task whose image artifact
// carries RepoTags (and a legacy repositories file) for the next task's
// predicted artifact tag and for a named image changes neither; a tag
// planted on the host beforehand (an unfixed worker's leftover) is not
// trusted: the victim task runs its own image.
func TestE2EImageIsolation(t *testing.T) {
	requireDocker(t)
	named := "dwshim-test/worker-isolation-named:latest"
	const attackerTask, victimTask = "ATTACKERQACAAAAAAAAAAA", "VICTIM00QACAAAAAAAAAAA"
	victimTag := testenv.ArtifactTag(e2eImageRepo, "task/"+victimTask+"/public/image.tar")
	for _, tag := range []string{named, victimTag} {
		if out, err := exec.Command("docker", "tag", e2eImage, tag).CombinedOutput(); err != nil {
			t.Fatalf("docker tag: %v: %s", err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", named).Run() })
	baseID := imageID(t, e2eImage)
	env := newTestEnv(t, tcfake.Options{})
	attacker := testenv.CraftImage(t, e2eImage, "attacker", []string{victimTag, named}, true)
	if err := env.fake.UploadArtifact(attackerTask, "public/image.tar", attacker); err != nil {
		t.Fatal(err)
	}
	if err := env.fake.UploadArtifact(victimTask, "public/image.tar", testenv.CraftImage(t, e2eImage, "victim", nil, false)); err != nil {
		t.Fatal(err)
	}
	env.cfg.NumberOfTasksToRun = 2
	w := env.dockerWorker(t)
	for who, task := range map[string]string{"attacker": attackerTask, "victim": victimTask} {
		env.addTask(t, who, dwPayload("echo image=$WHO", map[string]any{
			"image": map[string]any{"type": "task-image", "taskId": task, "path": "public/image.tar"}}), nil)
	}
	if code := runWorker(context.Background(), w)(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for id, want := range map[string]string{"attacker": "image=attacker", "victim": "image=victim"} {
		st, _ := env.fake.Task(id)
		bl, _ := st.Runs[0].Artifact(backingLogName)
		if st.Runs[0].State != "completed" || !strings.Contains(string(bl.Data), want) {
			t.Errorf("%s: %s/%s, want %q in\n%s", id, st.Runs[0].State, st.Runs[0].ReasonResolved, want, bl.Data)
		}
	}
	if got := imageID(t, named); got != baseID {
		t.Errorf("%s is %s after the attacker's task, was %s", named, got, baseID)
	}
}
