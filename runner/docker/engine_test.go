package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
	"github.com/dwshim/dwshim/runner/enginetest"
)

// testLabel is the dwshim.test label of everything this package creates;
// the value is testLabelPrefix + the test name.
const (
	testLabel       = "dwshim.test"
	testLabelPrefix = "runner/docker:"
	testWorker      = "dwshim-test-worker-runner-docker"
)

// requireDocker returns a client, skipping the test when the daemon is
// missing, or failing it when CI is set.
func requireDocker(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err = cli.Ping(ctx, client.PingOptions{}); err == nil {
			t.Cleanup(func() { cli.Close() })
			return cli
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("docker daemon required (CI is set): %v", err)
	}
	t.Skipf("docker daemon not available: %v", err)
	return nil
}

// requireImage checks that scripts/test-env.sh has run.
func requireImage(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	if _, err := cli.ImageInspect(context.Background(), ref); err != nil {
		t.Fatalf("test image %s missing: run scripts/test-env.sh (%v)", ref, err)
	}
}

func labelValue(t testing.TB) string { return testLabelPrefix + t.Name() }

// namedTask is a task of the test's own (its key and task ID from the
// test's name) running cmd in the registry test image, for a minute at most.
func namedTask(t testing.TB, cmd ...string) *runner.Task {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return &runner.Task{
		Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: testimages.RegistryImage},
			Command: cmd, MaxRunTime: plan.Duration(time.Minute)},
		Identity: plan.Identity{TaskID: "T" + name, WorkerID: testWorker},
		Key:      strings.ToLower(name),
		WorkerID: testWorker,
	}
}

// newTestEngine returns an engine labelling everything with the test's
// name; images loaded by the test are removed when it ends.
func newTestEngine(t *testing.T) *Engine {
	cli := requireDocker(t)
	e, err := New(Options{
		Pull:        RetryPolicy{Attempts: 2, Base: 10 * time.Millisecond},
		ExtraLabels: map[string]string{testLabel: labelValue(t)},
		MaxImages:   -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		removeTestImages(t, cli, labelValue(t))
		e.Close()
	})
	return e
}

// removeTestImages removes the images whose config carries the test label.
func removeTestImages(t testing.TB, cli *client.Client, value string) {
	ctx := context.Background()
	imgs, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", testLabel+"="+value)})
	if err != nil {
		t.Errorf("list test images: %v", err)
		return
	}
	for _, img := range imgs.Items {
		if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove test image %s: %v", img.ID, err)
		}
	}
}

// artifactFile builds a test image tarball labelled for t.
func artifactFile(t *testing.T, compression string) string {
	p := filepath.Join(t.TempDir(), "image.tar."+compression)
	err := testimages.BuildFile(p, testimages.Options{
		Tags:        []string{"dwshim-test/artifact:latest"},
		Compression: compression,
		Labels:      map[string]string{testLabel: labelValue(t)},
		Files:       map[string]string{"etc/test-name": t.Name()},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.RegistryImage)
	enginetest.Run(t, func(t *testing.T) runner.Engine { return newTestEngine(t) }, enginetest.Fixtures{
		RegistryImage: testimages.RegistryImage,
		MissingImage:  "127.0.0.1:5000/dwshim-test/missing:latest",
		ArtifactFile:  artifactFile,
		WorkerID:      testWorker,
		Running: func(t *testing.T, key string) bool {
			ins, err := cli.ContainerInspect(context.Background(), ContainerName(key), client.ContainerInspectOptions{})
			if err != nil {
				t.Fatalf("inspect container: %v", err)
			}
			return ins.Container.State.Running
		},
		Labels: func(t *testing.T, key string) map[string]string {
			ins, err := cli.ContainerInspect(context.Background(), ContainerName(key), client.ContainerInspectOptions{})
			if err != nil {
				t.Fatalf("inspect container: %v", err)
			}
			return ins.Container.Config.Labels
		},
	})
}

// TestMain runs the tests, then checks that nothing this package
// labelled is left behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, "leak check:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks lists objects labelled by this package's tests.
func checkLeaks() error {
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil
	}
	defer cli.Close()
	ctx := context.Background()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return nil // no daemon: the tests said so already
	}
	f := make(client.Filters).Add("label", testLabel)
	var left []string
	mine := func(labels map[string]string) bool { return strings.HasPrefix(labels[testLabel], testLabelPrefix) }
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	for _, c := range cs.Items {
		if mine(c.Labels) {
			left = append(left, "container "+c.Names[0])
		}
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return err
	}
	for _, v := range vs.Items {
		if mine(v.Labels) {
			left = append(left, "volume "+v.Name)
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return err
	}
	for _, n := range ns.Items {
		if mine(n.Labels) {
			left = append(left, "network "+n.Name)
		}
	}
	is, err := cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return err
	}
	for _, i := range is.Items {
		if mine(i.Labels) {
			left = append(left, fmt.Sprintf("image %s %v", i.ID, i.RepoTags))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("left behind:\n  %s", strings.Join(left, "\n  "))
	}
	return nil
}
