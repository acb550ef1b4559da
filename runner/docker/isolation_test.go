package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// isolationImage builds a labelled test tarball whose /etc/test-name is
// name.
func isolationImage(t *testing.T, name string, o testimages.Options) string {
	t.Helper()
	o.Labels = map[string]string{testLabel: labelValue(t), "name": name}
	o.Files = map[string]string{"etc/test-name": name}
	p := filepath.Join(t.TempDir(), name+".tar")
	if err := testimages.BuildFile(p, o); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadNamed loads a tarball with the docker client itself (as a user's
// `docker load` would) and returns the ID of the named image.
func loadNamed(t *testing.T, cli *client.Client, file, ref string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := cli.ImageLoad(context.Background(), f, client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res)
	res.Close()
	ins, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return ins.ID
}

// runArtifact prepares and runs an artifact task, returning its output.
func runArtifact(t *testing.T, e *Engine, key string, f runner.ImageFetcher) (string, string) {
	t.Helper()
	task := artifactTask(t, key, f)
	t.Cleanup(func() { e.Destroy(context.Background(), task) })
	var log, out bytes.Buffer
	if err := e.Prepare(context.Background(), task, &log); err != nil {
		t.Fatalf("%s: Prepare: %v\n%s", key, err, log.String())
	}
	if ex, err := e.Run(context.Background(), task, &out); err != nil || ex.Code != 0 {
		t.Fatalf("%s: exit %+v err %v output %q", key, ex, err, out.String())
	}
	id, err := e.ImageID(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), id
}

func inspectID(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	ins, err := cli.ImageInspect(context.Background(), ref)
	if cerrdefs.IsNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return ins.ID
}

// TestArtifactIsolation: an image artifact's tarball can only produce the
// image the task asked for. Crafted tarballs carry RepoTags (and a legacy
// repositories file) naming the victim artifact's predicted tag and a
// named image, or a manifest whose config file is named after an image
// already on the host; a tag planted before the fix is not trusted.
func TestArtifactIsolation(t *testing.T) {
	e := newTestEngine(t)
	cli := requireDocker(t)
	ctx := context.Background()
	named := "dwshim-test/isolation-named:latest"
	victimID := "task/victim/public/image.tar"
	victimTag := artifactTag(e.opts.ImageRepo, victimID)
	namedID := loadNamed(t, cli, isolationImage(t, "named", testimages.Options{Tags: []string{named}}), named)

	// 1. Planted tags: the victim's predicted tag and a named image.
	attacker := isolationImage(t, "attacker", testimages.Options{
		Tags:         []string{victimTag, named},
		Repositories: map[string]map[string]string{"dwshim-test/isolation-named": {"latest": strings.TrimPrefix(namedID, "sha256:")}},
	})
	out, attackerImage := runArtifact(t, e, "attacker", &countingFetcher{path: attacker, id: "task/attacker/public/image.tar"})
	if out != "attacker" {
		t.Errorf("attacker task ran %q", out)
	}
	if got := inspectID(t, cli, victimTag); got != "" {
		t.Errorf("the attacker's tarball created the victim's tag %s (→ %s)", victimTag, got)
	}
	if got := inspectID(t, cli, named); got != namedID {
		t.Errorf("the attacker's tarball replaced %s: %s, was %s", named, got, namedID)
	}

	// 2. A tag planted on the host before (by an unfixed dwshim, or by
	// hand): without a record of loading it, it is not reused.
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: attackerImage, Target: victimTag}); err != nil {
		t.Fatal(err)
	}
	victim := identifyingFetcher{&countingFetcher{path: isolationImage(t, "victim", testimages.Options{}), id: victimID}}
	if out, _ := runArtifact(t, e, "victim-1", victim); out != "victim" {
		t.Errorf("victim task ran %q, want its own image", out)
	}
	if out, _ := runArtifact(t, e, "victim-2", victim); out != "victim" || victim.n != 1 {
		t.Errorf("second victim task ran %q after %d fetches, want the recorded image after 1", out, victim.n)
	}

	// 3. A manifest whose config file is named after the named image's
	// ID: the task runs what the tarball holds, the named image is intact.
	crafted := isolationImage(t, "crafted", testimages.Options{ConfigName: strings.TrimPrefix(namedID, "sha256:") + ".json"})
	out, craftedImage := runArtifact(t, e, "crafted", &countingFetcher{path: crafted, id: "task/crafted/public/image.tar"})
	if out != "crafted" || craftedImage == namedID {
		t.Errorf("crafted manifest: ran %q from %s (the named image is %s)", out, craftedImage, namedID)
	}
	if got := inspectID(t, cli, named); got != namedID {
		t.Errorf("%s now %s, was %s", named, got, namedID)
	}
}

// TestArtifactRecordsDir: a second engine (a later process) reuses an
// image only through the record the first one kept, and a record naming
// another identity, or an image that is gone, is not trusted.
func TestArtifactRecordsDir(t *testing.T) {
	dir := t.TempDir()
	e1 := newTestEngine(t)
	e1.opts.RecordsDir = dir
	f := identifyingFetcher{&countingFetcher{path: isolationImage(t, "kept", testimages.Options{}), id: "task/kept/public/image.tar"}}
	if out, _ := runArtifact(t, e1, "kept-1", f); out != "kept" {
		t.Fatalf("ran %q", out)
	}
	e2 := newTestEngine(t)
	e2.opts.RecordsDir = dir
	if out, _ := runArtifact(t, e2, "kept-2", f); out != "kept" || f.n != 1 {
		t.Errorf("later engine ran %q after %d fetches, want the recorded image after 1", out, f.n)
	}
	e3 := newTestEngine(t) // no records: loads again
	if out, _ := runArtifact(t, e3, "kept-3", f); out != "kept" || f.n != 2 {
		t.Errorf("engine without records ran %q after %d fetches, want 2", out, f.n)
	}
	var log bytes.Buffer
	task := artifactTask(t, "kept-4", f)
	t.Cleanup(func() { e2.Destroy(context.Background(), task) })
	if err := e2.Prepare(context.Background(), task, &log); err != nil || !strings.Contains(log.String(), "Using cached image") {
		t.Errorf("Prepare: %v\n%s", err, log.String())
	}
}

// TestNamedImageInArtifactRepo: a task cannot run another task's loaded
// image artifact by naming its tag.
func TestNamedImageInArtifactRepo(t *testing.T) {
	e := newTestEngine(t)
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: artifactTag(e.opts.ImageRepo, "task/x/private/image.tar")},
		Command: []string{"true"}}, Key: "reserved", WorkerID: testWorker}
	defer e.Destroy(context.Background(), task)
	err := e.Prepare(context.Background(), task, io.Discard)
	if !errors.Is(err, runner.ErrImageNotFound) || !strings.Contains(err.Error(), "a task cannot name it") {
		t.Errorf("err = %v", err)
	}
}
