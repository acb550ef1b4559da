package worker

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// BenchmarkWorkerLoop measures claim → log → artifact → logs upload →
// resolve per task against tcfake over real HTTP, capacity 4.
func BenchmarkWorkerLoop(b *testing.B) {
	env := newTestEnv(b, tcfake.Options{})
	env.cfg.Capacity = 4
	env.cfg.NumberOfTasksToRun = b.N
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("b%06d", i)
		def := tcfake.MinimalTask(testQueue, map[string]any{"artifact": "x"})
		if err := env.fake.AddTask(id, def); err != nil {
			b.Fatal(err)
		}
	}
	opts := Options{
		Queue:    NewTCQueue(env.cfg.RootURL, DefaultRetryPolicy()),
		Executor: newFakeExec(), Logger: slog.New(slog.DiscardHandler),
		ClaimInterval: 1, LiveLogHost: "127.0.0.1",
	}
	opts.Objects = opts.Queue.(*TCQueue)
	w, err := New(env.cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	code, err := w.Run(context.Background())
	if err != nil || code != 0 {
		b.Fatalf("exit %d: %v", code, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}
