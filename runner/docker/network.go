package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
)

// NetworkName is the name of the own network of the task with this key
// (runner.Task.IsolatedNetwork).
func NetworkName(key string) string { return uniqueName("dwshim-task-", key, 64) }

// createNetwork creates the task's own bridge network, labelled as the
// task's other objects so that Destroy and Sweep remove it, and records
// its IPv4 gateway and subnet.
func (e *Engine) createNetwork(ctx context.Context, t *runner.Task, s *taskState) error {
	name := NetworkName(t.Key)
	created, err := e.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: "bridge", Labels: taskLabels(t, kindNetwork, e.opts.ExtraLabels),
	})
	if err != nil {
		return wrap(fmt.Sprintf("create network %q", name), err)
	}
	for _, w := range created.Warning {
		e.log.Warn("network create warning", "task", t.Key, "warning", w)
	}
	ins, err := e.cli.NetworkInspect(ctx, created.ID, client.NetworkInspectOptions{})
	if err != nil {
		return wrap(fmt.Sprintf("inspect network %q", name), err)
	}
	for _, c := range ins.Network.IPAM.Config {
		if c.Gateway.Is4() && c.Subnet.Addr().Is4() {
			s.network = runner.Network{Name: name, Gateway: c.Gateway.String(), Subnet: c.Subnet.Masked().String()}
			return nil
		}
	}
	// As generic-worker: a network without an IPv4 gateway is unusable.
	return fmt.Errorf("no IPv4 gateway found for Docker network %q", name)
}

// TaskNetwork implements runner.Networker: the network Prepare created
// for t.
func (e *Engine) TaskNetwork(ctx context.Context, t *runner.Task) (runner.Network, error) {
	s := e.state(t.Key)
	if s.network.Name == "" {
		return runner.Network{}, fmt.Errorf("task %q has no network of its own (IsolatedNetwork unset or Prepare not run)", t.Key)
	}
	return s.network, nil
}
