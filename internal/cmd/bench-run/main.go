package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/dwshim/dwshim/internal/tcfake"
)

const (
	queue    = "bench/docker"
	group    = "bench"
	workerID = "bench-worker-1"
	claimFor = 20 * time.Minute
)

func main() {
	bin := flag.String("dwshim", "bin/dwshim", "the dwshim binary")
	image := flag.String("image", "dwshim-test/busybox:latest", "a named image present locally")
	n := flag.Int("n", 10, "runs per side")
	logPath := flag.String("worker-log", "", "keep the worker's log (slog, with the runner's durations) in this file")
	flag.Parse()
	if err := run(*bin, *image, *n, *logPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench-run:", err)
		os.Exit(1)
	}
}

func run(bin, image string, n int, logPath string) error {
	fake := tcfake.New(tcfake.Options{ClaimDuration: claimFor})
	fake.Start()
	defer fake.Close()
	dir, err := os.MkdirTemp("", "dwshim-bench-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, err := json.Marshal(fake.WorkerConfig(queue, group, workerID, "bench-token", dir))
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "worker.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return err
	}
	if logPath == "" {
		logPath = filepath.Join(dir, "worker.log")
	}
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
	defer func() { _ = w.Process.Signal(syscall.SIGTERM); _ = w.Wait() }()

	task := func(i int) (time.Duration, error) {
		id := fmt.Sprintf("bench-%03d", i)
		now := time.Now().UTC()
		def, _ := json.Marshal(map[string]any{
			"taskQueueId": queue, "created": now.Format(time.RFC3339), "deadline": now.Add(time.Hour).Format(time.RFC3339),
			"expires": now.Add(24 * time.Hour).Format(time.RFC3339),
			"payload": map[string]any{"image": image, "command": []string{"sh", "-c", "exit 0"}, "maxRunTime": 60},
		})
		if err := fake.AddTask(id, def); err != nil {
			return 0, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		st, err := fake.WaitResolved(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("task %s: %w", id, err)
		}
		r := st.Runs[len(st.Runs)-1]
		if r.State != "completed" || r.Reclaims != 0 || len(r.ResolveAttempts) == 0 {
			return 0, fmt.Errorf("task %s: %s/%s after %d reclaims", id, r.State, r.ReasonResolved, r.Reclaims)
		}
		if _, ok := r.Artifact("public/logs/live_backing.log"); !ok {
			return 0, fmt.Errorf("task %s: no log uploaded", id)
		}
		claimed := r.TakenUntil.Add(-claimFor)
		return r.ResolveAttempts[0].At.Sub(claimed), nil
	}
	docker := func() (time.Duration, error) {
		s := time.Now()
		out, err := exec.Command("docker", "run", "--rm", image, "sh", "-c", "exit 0").CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("docker run: %w: %s", err, out)
		}
		return time.Since(s), nil
	}
	// Warm up both (the worker's first claim, the daemon's caches).
	if _, err := task(0); err != nil {
		return err
	}
	if _, err := docker(); err != nil {
		return err
	}
	var dw, dr []time.Duration
	for i := 1; i <= n; i++ {
		d, err := task(i)
		if err != nil {
			return err
		}
		dw = append(dw, d)
		if d, err = docker(); err != nil {
			return err
		}
		dr = append(dr, d)
	}
	mw, mr := median(dw), median(dr)
	fmt.Printf("\n%-46s %10s %10s\n", "benchmark (dwshim run, trivial task)", "median", "goal")
	fmt.Printf("%-46s %7d ms\n", "dwshim run, claim to resolution (log uploaded)", mw.Milliseconds())
	fmt.Printf("%-46s %7d ms\n", "docker run --rm", mr.Milliseconds())
	fmt.Printf("%-46s %10.2f %10s\n", "ratio dwshim run / docker run --rm", float64(mw)/float64(mr), "<= 1.1")
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
