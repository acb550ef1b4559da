package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// netEngine is a memEngine that gives tasks their own network.
type netEngine struct {
	*memEngine
	n Network
}

func (e netEngine) TaskNetwork(context.Context, *Task) (Network, error) {
	e.record("network")
	return e.n, nil
}

func runWith(t *testing.T, e Engine, task *Task, opts RunOptions) (*Result, string, error) {
	t.Helper()
	r, err := New(Config{Engine: e, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	opts.Log, opts.Expires = &log, t0.Add(time.Hour)
	res, err := r.Run(context.Background(), task, opts)
	return res, log.String(), err
}

// TestBeforeStart: the hook runs after Prepare and before Run, gets the
// task's network, and what it changes in the task is what Run sees.
func TestBeforeStart(t *testing.T) {
	mem := &memEngine{}
	mem.run = func(context.Context, io.Writer) (Exit, error) { return Exit{}, nil }
	e := netEngine{memEngine: mem, n: Network{Name: "n1", Gateway: "10.9.0.1", Subnet: "10.9.0.0/24"}}
	task := newTestTask()
	task.IsolatedNetwork = true
	res, _, err := runWith(t, e, task, RunOptions{BeforeStart: func(_ context.Context, rt *Task, n *Network) error {
		mem.record("before")
		if n == nil || *n != e.n {
			t.Errorf("network %+v", n)
		}
		rt.Identity.ProxyURL = "http://taskcluster:8080"
		return nil
	}})
	seen := task.Identity.ProxyURL
	if err != nil || res.Resolution != Completed || seen != "http://taskcluster:8080" {
		t.Fatalf("%+v %v %q", res, err, seen)
	}
	if got := strings.Join(mem.calls, ","); got != "prepare,network,before,run,destroy,purge" {
		t.Errorf("calls %s", got)
	}
}

// TestBeforeStartErrors: a failing hook, or a task that wants its own
// network on an engine without networks, is an internal error; the
// container never runs and whatever Prepare made is destroyed.
func TestBeforeStartErrors(t *testing.T) {
	hookErr := errors.New("listen: address in use")
	for name, tc := range map[string]struct {
		engine func(*memEngine) Engine
		hook   func(context.Context, *Task, *Network) error
		want   string
	}{
		"hook fails": {func(m *memEngine) Engine { return m },
			func(_ context.Context, _ *Task, n *Network) error {
				if n != nil {
					t.Errorf("network %+v for a task without IsolatedNetwork", n)
				}
				return hookErr
			}, "before start: listen: address in use"},
		"no networker": {func(m *memEngine) Engine { return m }, nil, "cannot give a task its own network"},
	} {
		t.Run(name, func(t *testing.T) {
			mem := &memEngine{}
			task := newTestTask()
			task.IsolatedNetwork = tc.hook == nil
			res, log, err := runWith(t, tc.engine(mem), task, RunOptions{BeforeStart: tc.hook})
			if err == nil || !strings.Contains(err.Error(), tc.want) || res.Resolution != Exception || res.Reason != ReasonInternalError {
				t.Errorf("%+v %v", res, err)
			}
			if mem.called("run") != 0 || mem.called("destroy") != 1 {
				t.Errorf("calls %v", mem.calls)
			}
			if !strings.Contains(log, tc.want) {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}
