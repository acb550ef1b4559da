package docker

import (
	"context"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
)

// exitEventsSince is how far before the subscription the daemon is asked
// to replay the container's events from: the events request may reach the
// daemon after the container died (its answer says nothing about when it
// subscribed), and the replay covers that; it also absorbs clock skew to
// a daemon on another host. Only one container's events are asked for,
// so nothing older can match: its ID is new.
const exitEventsSince = time.Minute

// watchExit follows the daemon's events for the container id and
// sends its exit on the returned channel when its "die" event comes: the
// exit code is the event's exitCode attribute, OOMKilled whether an "oom"
// event came before it (the daemon records both from the same containerd
// events, in order). The channel is closed without a value when the
// events cannot tell (stream error, ctx ended, an attribute missing).
//
// Why not only ContainerWait: on Docker 20.10 the daemon emits "die" as
// soon as the process exited and its output was drained, then releases
// the network and unmounts the file system (~50-70 ms on a small host),
// and only then answers a wait. The exit is known at "die"; what follows
// is cleanup that later calls on the container (copy, remove) wait for
// under the daemon's container lock anyway. Newer daemons emit "die"
// after that cleanup, where this is no faster than the wait, and no
// slower.
func (e *Engine) watchExit(ctx context.Context, id string) <-chan runner.Exit {
	out := make(chan runner.Exit, 1)
	go func() {
		defer close(out)
		ev := e.cli.Events(ctx, client.EventsListOptions{
			Since: strconv.FormatInt(time.Now().Add(-exitEventsSince).Unix(), 10),
			Filters: make(client.Filters).
				Add("type", string(events.ContainerEventType)).
				Add("container", id).
				Add("event", string(events.ActionDie), string(events.ActionOOM)),
		})
		oom := false
		for {
			select {
			case m := <-ev.Messages:
				switch m.Action {
				case events.ActionOOM:
					oom = true
				case events.ActionDie:
					code, err := strconv.Atoi(m.Actor.Attributes["exitCode"])
					if err != nil {
						return
					}
					out <- runner.Exit{Code: code, OOMKilled: oom}
					return
				}
			case <-ev.Err:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// buffered returns w with channels nobody has to read. The client's wait
// goroutine sends its answer on an unbuffered channel: when the exit was
// learnt from the "die" event and the wait's answer is never read, that
// goroutine, and the connection it holds, would stay forever (one per
// task in a long-running worker). The forwarder always ends: the client
// sends exactly one answer, an error once the wait's context is cancelled.
func buffered(w client.ContainerWaitResult) client.ContainerWaitResult {
	res := make(chan container.WaitResponse, 1)
	errs := make(chan error, 1)
	go func() {
		select {
		case r := <-w.Result:
			res <- r
		case err := <-w.Error:
			errs <- err
		}
	}()
	return client.ContainerWaitResult{Result: res, Error: errs}
}
