package worker

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dwshim/dwshim/internal/tcfake"
)

// backingLog returns the backing log of the first run of task id.
func backingLog(t *testing.T, env *testEnv, id string) string {
	t.Helper()
	st, _ := env.fake.Task(id)
	bl, _ := st.Runs[0].Artifact(backingLogName)
	return string(bl.Data)
}

// TestE2ECachePurgeRequest is docker-worker's "cached volumes can be
// reused between tasks" and "purge cache before run task": a cache
// written by one task is seen by the next; after a purge-cache request
// for the pool, the next task gets an empty cache; the service is asked
// with the worker's credentials.
func TestE2ECachePurgeRequest(t *testing.T) {
	requireDocker(t)
	env := newTestEnv(t, tcfake.Options{})
	env.cfg.NumberOfTasksToRun = 3
	w := env.dockerWorker(t)
	cache := fmt.Sprintf("purge-e2e-%d", os.Getpid())
	t.Cleanup(func() { purgeTestCache(t, cache) }) // before dockerWorker's leak check
	task := func(id, script string) {
		env.addTask(t, id, dwPayload(script, map[string]any{"cache": map[string]any{cache: "/cache"}}),
			map[string]any{"scopes": []string{"docker-worker:cache:" + cache}})
	}
	task("write", "echo written-by-write > /cache/f")
	task("read", `echo "saw:$(cat /cache/f 2>/dev/null)"`)
	wait := runWorker(context.Background(), w)
	waitResolved(t, env.fake, "read")
	env.fake.AddPurgeRequest(testQueue, cache)
	task("after", `echo "saw:$(cat /cache/f 2>/dev/null)"`)
	if code := wait(t); code != ExitTasksComplete {
		t.Fatalf("exit %d", code)
	}
	for id, want := range map[string]string{"read": "saw:written-by-write", "after": "saw:"} {
		st, _ := env.fake.Task(id)
		log := backingLog(t, env, id)
		if st.Runs[0].State != "completed" || !regexp.MustCompile(`(?m)^`+want+`\r?$`).MatchString(log) {
			t.Errorf("%s: %s, want %q in the log:\n%s", id, st.Runs[0].State, want, log)
		}
	}
	if log := backingLog(t, env, "after"); !strings.Contains(log, fmt.Sprintf("[purge-cache] cache %q purged", cache)) {
		t.Errorf("the purge is not in the task log:\n%s", log)
	}
	polls := 0
	for _, c := range env.fake.Calls() {
		if c.Route == "purgeCache.purgeRequests" {
			polls++
			if c.Status != 200 || c.ClientID != env.cfg.ClientID {
				t.Errorf("purgeRequests call %+v: want 200 with the worker's credentials", c)
			}
		}
	}
	if polls != 3 {
		t.Errorf("%d purgeRequests calls, want one per task with a cache (3)", polls)
	}
}
