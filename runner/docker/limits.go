package docker

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// pidsSampleEvery is how often a container with a pids limit is sampled.
const pidsSampleEvery = 250 * time.Millisecond

// watchPids samples the process count of container id until the returned
// stop is called, which reports whether the count ever reached limit. The
// daemon's stats are the only view of the pids cgroup that does not depend
// on the host's cgroup layout.
func (e *Engine) watchPids(ctx context.Context, id string, limit int64) (stop func() bool) {
	if limit <= 0 {
		return func() bool { return false }
	}
	var reached atomic.Bool
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(pidsSampleEvery)
		defer tick.Stop()
		for {
			if n, ok := e.pidsNow(sctx, id); ok && int64(n) >= limit {
				reached.Store(true)
				return
			}
			select {
			case <-sctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() bool {
		cancel()
		<-done
		return reached.Load()
	}
}

// pidsNow is the container's current process count.
func (e *Engine) pidsNow(ctx context.Context, id string) (uint64, bool) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := e.cli.ContainerStats(qctx, id, client.ContainerStatsOptions{})
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	var st container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return 0, false
	}
	return st.PidsStats.Current, true
}
