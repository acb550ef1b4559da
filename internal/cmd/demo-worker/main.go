package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
	"github.com/dwshim/dwshim/taskfile"
)

const (
	queue  = "demo/docker"
	group  = "demo"
	worker = "demo-worker-1"
)

func main() {
	bin := flag.String("dwshim", "bin/dwshim", "the dwshim binary to run as the worker")
	task := flag.String("task", "testdata/examples/hello.yml", "the task definition to submit (YAML or JSON)")
	out := flag.String("out", "artifacts/demo-worker", "where to write the run's artifacts")
	flag.Parse()
	if err := run(*bin, *task, *out); err != nil {
		fmt.Fprintln(os.Stderr, "demo-worker:", err)
		os.Exit(1)
	}
}

func run(bin, taskPath, outDir string) error {
	def, taskID, err := readTask(taskPath)
	if err != nil {
		return err
	}
	fake := tcfake.New(tcfake.Options{})
	fake.Start()
	defer fake.Close()
	dir, err := os.MkdirTemp("", "dwshim-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c := fake.WorkerConfig(queue, group, worker, "demo-token", dir)
	c.NumberOfTasksToRun = 1
	cfg, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "worker.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return err
	}
	fmt.Printf("== queue double at %s; worker config %s:\n%s\n", fake.RootURL(), cfgPath, cfg)

	logPath := filepath.Join(dir, "worker.log")
	wlog, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer wlog.Close()
	w := exec.Command(bin, "run", "--config", cfgPath)
	w.Stdout, w.Stderr = wlog, wlog
	if err := w.Start(); err != nil {
		return fmt.Errorf("start the worker (make build first): %w", err)
	}
	fmt.Printf("== %s run --config %s (pid %d)\n", bin, cfgPath, w.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- w.Wait() }()
	defer func() {
		_ = w.Process.Signal(syscall.SIGTERM)
		<-exited
	}()

	if err := fake.AddTask(taskID, def); err != nil {
		return err
	}
	fmt.Printf("== submitted task %s from %s\n", taskID, taskPath)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	resolved := make(chan error, 1)
	var st tcfake.TaskState
	go func() {
		var err error
		st, err = fake.WaitResolved(ctx, taskID)
		resolved <- err
	}()
	select {
	case err := <-resolved:
		if err != nil {
			return fmt.Errorf("waiting for the task: %w\n%s", err, tail(logPath))
		}
	case err := <-exited:
		return fmt.Errorf("the worker exited before resolving the task (%v):\n%s", err, tail(logPath))
	}
	r := st.Runs[len(st.Runs)-1]
	fmt.Printf("== run %d: %s %s (worker %s/%s)\n", r.RunID, r.State, r.ReasonResolved, r.WorkerGroup, r.WorkerID)
	if a, ok := r.Artifact("public/logs/live_backing.log"); ok {
		fmt.Printf("== task log (public/logs/live_backing.log):\n%s\n", a.Data)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	names := []string{}
	for _, a := range r.Artifacts {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	fmt.Printf("== artifacts (written under %s):\n", outDir)
	for _, name := range names {
		a, _ := r.Artifact(name)
		fmt.Printf("  %-40s %-9s %6d bytes  %s\n", name, a.StorageType, len(a.Data), a.ContentType)
		if len(a.Data) == 0 || strings.Contains(name, "..") {
			continue
		}
		p := filepath.Join(outDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, a.Data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("== worker log (tail of %s):\n%s", logPath, tail(logPath))
	if r.State != "completed" {
		return errors.New("the sample task did not complete")
	}
	return nil
}

// readTask reads the task definition and points it at the demo queue, with
// a deadline from now.
func readTask(path string) (json.RawMessage, string, error) {
	rd, err := taskfile.OpenFile(path, os.Stdin)
	if err != nil {
		return nil, "", err
	}
	defer rd.Close()
	it, err := rd.Next()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	var def map[string]any
	if err := json.Unmarshal(it.Raw, &def); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := def["payload"]; !ok {
		def = map[string]any{"payload": def}
	}
	now := time.Now().UTC()
	for k, v := range map[string]time.Time{"created": now, "deadline": now.Add(time.Hour), "expires": now.Add(24 * time.Hour)} {
		def[k] = v.Format("2006-01-02T15:04:05.000Z")
	}
	delete(def, "provisionerId")
	delete(def, "workerType")
	def["taskQueueId"] = queue
	id := it.TaskID
	if id == "" {
		id = "demo-task"
	}
	b, err := json.Marshal(def)
	return b, id, err
}

func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n") + "\n"
}
