package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
)

// Fixtures are what the suite needs from the engine's test.
type Fixtures struct {
	// RegistryImage is a busybox image in a reachable registry.
	RegistryImage string
	// MissingImage is a reference the registry answers "not found" for.
	MissingImage string
	// ArtifactFile builds a busybox image tarball compressed with c
	// ("none", "gzip", "zstd", "lz4") and returns its path.
	ArtifactFile func(t *testing.T, c string) string
	// Running reports whether the container of the task key still runs.
	Running func(t *testing.T, key string) bool
	// Labels returns the labels of the container of the task key.
	Labels func(t *testing.T, key string) map[string]string
	// WorkerID is the worker id the suite's tasks carry.
	WorkerID string
}

// Compressions are the artifact forms every engine must load.
var Compressions = []string{"none", "gzip", "zstd", "lz4"}

// Run runs the suite. newEngine is called once per subtest.
func Run(t *testing.T, newEngine func(t *testing.T) runner.Engine, fx Fixtures) {
	s := &suite{new: newEngine, fx: fx}
	t.Run("NamedImage", s.namedImage)
	t.Run("ExitCode", s.exitCode)
	t.Run("CommandNotFound", s.commandNotFound)
	t.Run("ArtifactImages", s.artifactImages)
	t.Run("Env", s.env)
	t.Run("Caches", s.caches)
	t.Run("CopyOut", s.copyOut)
	t.Run("VolumeArtifact", s.volumeArtifact)
	t.Run("Deadline", s.deadline)
	t.Run("Cancel", s.cancel)
	t.Run("ImageNotFound", s.imageNotFound)
	t.Run("DestroyIdempotent", s.destroyIdempotent)
	t.Run("Unprivileged", s.unprivileged)
	t.Run("Labels", s.labels)
	t.Run("TTY", s.tty)
	t.Run("OOMKilled", s.oomKilled)
}

type suite struct {
	new func(t *testing.T) runner.Engine
	fx  Fixtures
}

var keySeq struct {
	sync.Mutex
	n int
}

// task returns a task for the plan with a key unique to this process.
func (s *suite) task(t *testing.T, p *plan.Plan) *runner.Task {
	keySeq.Lock()
	keySeq.n++
	n := keySeq.n
	keySeq.Unlock()
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return &runner.Task{
		Plan:     p,
		Identity: plan.Identity{TaskID: "T" + name, RunID: 0, WorkerID: s.fx.WorkerID},
		Key:      fmt.Sprintf("%s-%d-%d", strings.ToLower(name), os.Getpid(), n),
		WorkerID: s.fx.WorkerID,
	}
}

func (s *suite) named(cmd ...string) *plan.Plan {
	return &plan.Plan{Image: plan.Image{Kind: plan.ImageNamed, Ref: s.fx.RegistryImage}, Command: cmd, MaxRunTime: plan.Duration(time.Minute)}
}

// destroyLater destroys the task when the test ends.
func destroyLater(t *testing.T, e runner.Engine, task *runner.Task) {
	t.Cleanup(func() {
		if err := e.Destroy(context.Background(), task); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
}

// run prepares and runs the task, returning exit and output.
func run(t *testing.T, e runner.Engine, task *runner.Task) (runner.Exit, string) {
	t.Helper()
	destroyLater(t, e, task)
	var log bytes.Buffer
	if err := e.Prepare(context.Background(), task, &log); err != nil {
		t.Fatalf("Prepare: %v\nlog:\n%s", err, log.String())
	}
	var out bytes.Buffer
	ex, err := e.Run(context.Background(), task, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return ex, out.String()
}

func (s *suite) namedImage(t *testing.T) {
	e := s.new(t)
	task := s.task(t, s.named("sh", "-c", "echo hello; echo oops >&2"))
	var log bytes.Buffer
	destroyLater(t, e, task)
	if err := e.Prepare(context.Background(), task, &log); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if !strings.Contains(log.String(), s.fx.RegistryImage) {
		t.Errorf("prepare log does not name the image:\n%s", log.String())
	}
	var out bytes.Buffer
	ex, err := e.Run(context.Background(), task, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ex != (runner.Exit{}) {
		t.Errorf("exit = %+v, want code 0", ex)
	}
	if got := out.String(); !strings.Contains(got, "hello\n") || !strings.Contains(got, "oops\n") {
		t.Errorf("output = %q, want stdout and stderr", got)
	}
}

func (s *suite) exitCode(t *testing.T) {
	e := s.new(t)
	ex, _ := run(t, e, s.task(t, s.named("sh", "-c", "exit 3")))
	if ex.Code != 3 || ex.TimedOut || ex.Cancelled {
		t.Errorf("exit = %+v, want code 3", ex)
	}
}

// commandNotFound: a command that cannot start is an exit code (127, as
// `docker run`), not an engine error.
func (s *suite) commandNotFound(t *testing.T) {
	e := s.new(t)
	ex, out := run(t, e, s.task(t, s.named("no-such-command")))
	if ex.Code != 127 || !strings.Contains(out, "no-such-command") {
		t.Errorf("exit %+v, output %q: want 127 and a message naming the command", ex, out)
	}
}

// fileFetcher serves one image artifact file.
type fileFetcher struct {
	path, identity string
	fetches        int
}

func (f *fileFetcher) Fetch(ctx context.Context, img plan.Image) (io.ReadCloser, string, error) {
	f.fetches++
	r, err := os.Open(f.path)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", runner.ErrImageNotFound, err)
	}
	return r, f.identity, nil
}

func (s *suite) artifactImages(t *testing.T) {
	for _, c := range Compressions {
		t.Run(c, func(t *testing.T) {
			e := s.new(t)
			f := &fileFetcher{path: s.fx.ArtifactFile(t, c), identity: fmt.Sprintf("test/%s/%d", t.Name(), time.Now().UnixNano())}
			p := &plan.Plan{Image: plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "img", Path: "public/image.tar"}, Command: []string{"sh", "-c", "echo from-artifact"}}
			for i := range 2 {
				task := s.task(t, p)
				task.Images = f
				destroyLater(t, e, task)
				var log bytes.Buffer
				if err := e.Prepare(context.Background(), task, &log); err != nil {
					t.Fatalf("Prepare %d: %v\nlog:\n%s", i, err, log.String())
				}
				if i == 1 && !strings.Contains(log.String(), "Using cached image") {
					t.Errorf("second Prepare did not reuse the image:\n%s", log.String())
				}
				var out bytes.Buffer
				ex, err := e.Run(context.Background(), task, &out)
				if err != nil || ex.Code != 0 || out.String() != "from-artifact\n" {
					t.Fatalf("Run %d: exit %+v, err %v, output %q", i, ex, err, out.String())
				}
			}
		})
	}
}

func (s *suite) env(t *testing.T) {
	e := s.new(t)
	// Linux caps one "NAME=value" string at 128 KiB (MAX_ARG_STRLEN), so
	// 200 KB of values go in two variables.
	big1 := strings.Repeat("0123456789abcdef", 100_000/16)
	big2 := strings.Repeat("line of text\n", 100_000/13)
	multi := "first line\nsecond 'quoted' \"line\"\n\ttab $HOME `x` \\ end\n"
	p := s.named("sh", "-c", `printf '%s|%s|%s|%s|' "$TASK_ID" "${#BIG1}" "${#BIG2}" "$PLAIN"; printf %s "$MULTI"; printf %s "$BIG2" | tail -c 13`)
	p.Env = []plan.EnvVar{{Name: "BIG1", Value: big1}, {Name: "BIG2", Value: big2}, {Name: "MULTI", Value: multi}, {Name: "PLAIN", Value: "p=1"}, {Name: "TASK_ID", Value: "from-payload"}}
	task := s.task(t, p)
	ex, out := run(t, e, task)
	want := fmt.Sprintf("%s|%d|%d|p=1|%sline of text\n", task.Identity.TaskID, len(big1), len(big2), multi)
	if ex.Code != 0 || out != want {
		t.Errorf("exit %+v, output\n%q\nwant\n%q", ex, out, want)
	}
}

func (s *suite) caches(t *testing.T) {
	e := s.new(t)
	name := fmt.Sprintf("enginetest-cache-%d", time.Now().UnixNano())
	p := s.named("sh", "-c", "cat /cache/f 2>/dev/null; echo run >> /cache/f")
	p.Caches = []plan.Cache{{Name: name, MountPath: "/cache"}}
	t.Cleanup(func() {
		if err := e.PurgeCaches(context.Background(), &runner.Task{Plan: p}); err != nil {
			t.Errorf("PurgeCaches: %v", err)
		}
	})
	var outs []string
	for range 2 {
		task := s.task(t, p)
		_, out := run(t, e, task)
		outs = append(outs, out)
		if err := e.Destroy(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	}
	if outs[0] != "" || outs[1] != "run\n" {
		t.Fatalf("outputs %q: want the cache to persist", outs)
	}
	if err := e.PurgeCaches(context.Background(), &runner.Task{Plan: p}); err != nil {
		t.Fatalf("PurgeCaches: %v", err)
	}
	if _, out3 := run(t, e, s.task(t, p)); out3 != "" {
		t.Errorf("after PurgeCaches the cache still holds %q", out3)
	}
}

func (s *suite) copyOut(t *testing.T) {
	e := s.new(t)
	task := s.task(t, s.named("sh", "-c", "mkdir -p /out/d/e && echo one > /out/f.txt && echo two > /out/d/e/g.txt"))
	if ex, _ := run(t, e, task); ex.Code != 0 {
		t.Fatalf("exit %+v", ex)
	}
	files := func(path string) map[string]string {
		r, err := e.CopyOut(context.Background(), task, path)
		if err != nil {
			t.Fatalf("CopyOut(%s): %v", path, err)
		}
		defer r.Close()
		got := map[string]string{}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return got
			}
			if err != nil {
				t.Fatalf("CopyOut(%s): read tar: %v", path, err)
			}
			if h.Typeflag == tar.TypeReg {
				b, _ := io.ReadAll(tr)
				got[h.Name] = string(b)
			}
		}
	}
	if got := files("/out/f.txt"); got["f.txt"] != "one\n" || len(got) != 1 {
		t.Errorf("file: got %q", got)
	}
	if got := files("/out/d"); got["d/e/g.txt"] != "two\n" || len(got) != 1 {
		t.Errorf("dir: got %q", got)
	}
	_, err := e.CopyOut(context.Background(), task, "/out/missing")
	if !errors.Is(err, runner.ErrPathNotFound) {
		t.Errorf("missing path: err = %v, want ErrPathNotFound", err)
	}
}

// volumeArtifact: a volume artifact's content is copied out of the stopped
// container like any other path.
func (s *suite) volumeArtifact(t *testing.T) {
	e := s.new(t)
	p := s.named("sh", "-c", "echo in-volume > /vol/x.txt")
	p.Artifacts = []plan.Artifact{{Name: "public/vol", Path: "/vol", Kind: plan.ArtifactVolume}}
	task := s.task(t, p)
	if ex, _ := run(t, e, task); ex.Code != 0 {
		t.Fatalf("exit %+v", ex)
	}
	r, err := e.CopyOut(context.Background(), task, "/vol/x.txt")
	if err != nil {
		t.Fatalf("CopyOut: %v", err)
	}
	defer r.Close()
	tr := tar.NewReader(r)
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(tr); string(b) != "in-volume\n" {
		t.Errorf("got %q", b)
	}
}

// killed runs a long sleep until ctx ends and checks the result.
func (s *suite) killed(t *testing.T, ctx context.Context) runner.Exit {
	e := s.new(t)
	task := s.task(t, s.named("sh", "-c", "echo started; exec sleep 600"))
	destroyLater(t, e, task)
	if err := e.Prepare(context.Background(), task, io.Discard); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	ended := make(chan time.Time, 1)
	stop := context.AfterFunc(ctx, func() { ended <- time.Now() })
	defer stop()
	var out bytes.Buffer
	ex, err := e.Run(ctx, task, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Reported, not asserted: timings on a loaded CI machine vary.
	select {
	case at := <-ended:
		t.Logf("Run returned %v after the context ended (contract: within 2 s)", time.Since(at))
	default:
		t.Errorf("Run returned before the context ended")
	}
	if s.fx.Running != nil && s.fx.Running(t, task.Key) {
		t.Errorf("container still running after Run returned")
	}
	return ex
}

func (s *suite) deadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if ex := s.killed(t, ctx); !ex.TimedOut || ex.Cancelled {
		t.Errorf("exit = %+v, want TimedOut", ex)
	}
}

func (s *suite) cancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel)
	if ex := s.killed(t, ctx); !ex.Cancelled || ex.TimedOut {
		t.Errorf("exit = %+v, want Cancelled", ex)
	}
}

func (s *suite) imageNotFound(t *testing.T) {
	e := s.new(t)
	p := s.named("true")
	p.Image.Ref = s.fx.MissingImage
	task := s.task(t, p)
	err := e.Prepare(context.Background(), task, io.Discard)
	if !errors.Is(err, runner.ErrImageNotFound) {
		t.Errorf("Prepare: err = %v, want ErrImageNotFound", err)
	}
	for i := range 2 {
		if err := e.Destroy(context.Background(), task); err != nil {
			t.Errorf("Destroy %d after failed Prepare: %v", i, err)
		}
	}
}

func (s *suite) destroyIdempotent(t *testing.T) {
	e := s.new(t)
	task := s.task(t, s.named("true"))
	if err := e.Destroy(context.Background(), task); err != nil {
		t.Errorf("Destroy before Prepare: %v", err)
	}
	run(t, e, task)
	for i := range 2 {
		if err := e.Destroy(context.Background(), task); err != nil {
			t.Errorf("Destroy %d: %v", i, err)
		}
	}
	if _, err := e.CopyOut(context.Background(), task, "/"); err == nil {
		t.Errorf("CopyOut after Destroy succeeded")
	}
}

func (s *suite) unprivileged(t *testing.T) {
	e := s.new(t)
	// Full capabilities are 000001ffffffffff-ish; docker's default set is 00000000a80425fb.
	_, out := run(t, e, s.task(t, s.named("sh", "-c", "grep CapEff /proc/self/status; mount -t tmpfs none /mnt && echo MOUNTED")))
	if strings.Contains(out, "MOUNTED") || strings.Contains(out, "ffffffff") {
		t.Errorf("container is privileged by default:\n%s", out)
	}
}

func (s *suite) labels(t *testing.T) {
	if s.fx.Labels == nil {
		t.Skip("engine has no labels")
	}
	e := s.new(t)
	task := s.task(t, s.named("true"))
	run(t, e, task)
	got := s.fx.Labels(t, task.Key)
	if got["dwshim.worker"] != task.WorkerID || got["dwshim.task"] != task.Key {
		t.Errorf("labels = %v, want dwshim.worker=%s and dwshim.task=%s", got, task.WorkerID, task.Key)
	}
}

func (s *suite) tty(t *testing.T) {
	e := s.new(t)
	p := s.named("sh", "-c", "test -t 1 && echo tty")
	p.TTY = true
	if ex, out := run(t, e, s.task(t, p)); ex.Code != 0 || out != "tty\r\n" {
		t.Errorf("exit %+v, output %q, want a terminal", ex, out)
	}
}

// oomKilled: a task exceeding Plan.Limits.MemoryBytes is killed and its
// Exit says OOMKilled, also when only a child was killed and the command
// itself exited 0 (so the code alone cannot tell).
func (s *suite) oomKilled(t *testing.T) {
	// Holding 64 MB in a shell variable needs more than the 16 MiB limit.
	const hog = `x=$(head -c 64000000 /dev/zero | tr '\0' a)`
	for _, tc := range []struct {
		name, cmd string
		code      int
	}{
		{"command", hog, 137},
		{"child", "(" + hog + "); exit 0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := s.new(t)
			p := s.named("sh", "-c", tc.cmd)
			p.Limits.MemoryBytes = 16 << 20
			ex, out := run(t, e, s.task(t, p))
			if ex.Code != tc.code || !ex.OOMKilled {
				t.Errorf("exit = %+v (output %q), want code %d and OOMKilled", ex, out, tc.code)
			}
		})
	}
}
