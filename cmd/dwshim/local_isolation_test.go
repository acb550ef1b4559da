package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/internal/testenv"
)

// TestLocalImageIsolation: with `dwshim local --root-url`, an image
// artifact carrying RepoTags for another artifact's predicted tag and for
// a named image changes neither, and a tag planted beforehand is not
// trusted: the victim runs its own image, loaded once and then reused
// from the record a later run finds.
func TestLocalImageIsolation(t *testing.T) {
	labelLocal(t)
	const repo = "dwshim-test/local-isolation"
	old := localImageRepo
	localImageRepo = repo
	named := "dwshim-test/local-isolation-named:latest"
	const attackerTask, victimTask = "ATTACKERQACAAAAAAAAAAA", "VICTIM00QACAAAAAAAAAAA"
	victimTag := testenv.ArtifactTag(repo, "task/"+victimTask+"/public/image.tar")
	t.Cleanup(func() {
		localImageRepo = old
		out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+repo).Output()
		for _, tag := range append(strings.Fields(string(out)), named) {
			_ = exec.Command("docker", "rmi", tag).Run()
		}
	})
	for _, tag := range []string{named, victimTag} {
		if out, err := exec.Command("docker", "tag", localTestImage, tag).CombinedOutput(); err != nil {
			t.Fatalf("docker tag: %v: %s", err, out)
		}
	}
	id := func(ref string) string {
		out, _ := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output()
		return strings.TrimSpace(string(out))
	}
	baseID := id(localTestImage)
	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	defer fake.Close()
	for _, c := range []struct {
		task, who string
		tags      []string
	}{{attackerTask, "attacker", []string{victimTag, named}}, {victimTask, "victim", nil}} {
		task, tags := c.task, c.tags
		data := testenv.CraftImage(t, localTestImage, c.who, tags, tags != nil)
		if err := fake.UploadArtifact(task, "public/image.tar", data); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("TASKCLUSTER_CLIENT_ID", "")
	payload := func(task string) string {
		return `{"image": {"type": "task-image", "taskId": "` + task + `", "path": "public/image.tar"},
			"maxRunTime": 60, "command": ["sh", "-c", "echo image=$WHO"]}`
	}
	for i, c := range []struct{ task, want string }{
		{attackerTask, "image=attacker"},
		{victimTask, "image=victim"},
		{victimTask, "image=victim"},
	} {
		code, out, stderr := runCLI(t, payload(c.task), "local", "--artifacts", t.TempDir(), "--root-url", fake.RootURL(), "-")
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("run %d (%s): exit %d, want %q in\n%s\n%s", i, c.task, code, c.want, out, stderr)
		}
		if i == 2 && !strings.Contains(out+stderr, "Using cached image") {
			t.Errorf("run %d: the recorded image was not reused:\n%s\n%s", i, out, stderr)
		}
	}
	if got := id(named); got != baseID {
		t.Errorf("%s is %s after the attacker's run, was %s", named, got, baseID)
	}
}
