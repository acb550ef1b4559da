package docker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/internal/testenv"
	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

// TestPrivateRegistry pulls from a registry requiring htpasswd auth: with
// Task.RegistryAuth's credentials it works, without them it fails, and
// the password reaches neither the task log nor the engine's log.
func TestPrivateRegistry(t *testing.T) {
	cli := requireDocker(t)
	requireImage(t, cli, testimages.BaseImage)
	const user, pass = "dwshim", "s3cret-registry-pass"
	addr := testenv.StartAuthRegistry(t, user, pass)
	ctx := context.Background()
	ref := addr + "/dwshim-test/private:latest"
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: testimages.BaseImage, Target: ref}); err != nil {
		t.Fatal(err)
	}
	auth, _ := json.Marshal(registry.AuthConfig{Username: user, Password: pass, ServerAddress: addr})
	push, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: base64.URLEncoding.EncodeToString(auth)})
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Wait(ctx); err != nil {
		t.Fatalf("push: %v", err)
	}
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{}) })

	var engineLog bytes.Buffer
	e := newTestEngine(t)
	e.log = slog.New(slog.NewTextHandler(&engineLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	task := &runner.Task{Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: ref}, Command: []string{"echo", "private"}},
		Key: "private-anon", WorkerID: testWorker}
	t.Cleanup(func() { e.Destroy(context.Background(), task) })
	var log bytes.Buffer
	if err := e.Prepare(ctx, task, &log); err == nil {
		t.Fatalf("anonymous pull from the private registry worked:\n%s", log.String())
	}
	var asked []string
	task2 := &runner.Task{Plan: task.Plan, Key: "private-auth", WorkerID: testWorker,
		RegistryAuth: func(repo string) (string, string) { asked = append(asked, repo); return user, pass }}
	t.Cleanup(func() { e.Destroy(context.Background(), task2) })
	if err := e.Prepare(ctx, task2, &log); err != nil {
		t.Fatalf("pull with credentials: %v\n%s", err, log.String())
	}
	var out bytes.Buffer
	if ex, err := e.Run(ctx, task2, &out); err != nil || ex.Code != 0 || out.String() != "private\n" {
		t.Errorf("exit %+v err %v out %q", ex, err, out.String())
	}
	if len(asked) != 1 || asked[0] != addr+"/dwshim-test/private" {
		t.Errorf("RegistryAuth asked for %q", asked)
	}
	if strings.Contains(log.String()+engineLog.String(), pass) {
		t.Errorf("the password reached a log:\n%s\n%s", log.String(), engineLog.String())
	}
}
