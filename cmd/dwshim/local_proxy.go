package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/worker"
)

// localProxy is what dwshim local does for features.taskclusterProxy: with
// the user's TASKCLUSTER_CLIENT_ID / TASKCLUSTER_ACCESS_TOKEN and a root
// URL, the worker's proxy on the task's own network, signing with those
// credentials restricted to the task's scopes; without them a loud notice
// of what the task will lack. It also says what chain of trust lacks.
type localProxy struct {
	stop func()
	dir  string
}

// setupProxy sets task.IsolatedNetwork and returns the BeforeStart hook
// (nil when there is no proxy to run) and what to call at the end.
func setupProxy(f localFlags, in *localInput, task *runner.Task, stderr io.Writer) (func(context.Context, *runner.Task, *runner.Network) error, func()) {
	p := task.Plan
	if p.Features.ChainOfTrust {
		fmt.Fprintf(stderr, "dwshim: NOTICE: the task asks for chain of trust (features.chainOfTrust), which dwshim local does not sign:\n"+
			"dwshim: NOTICE:   no public/chain-of-trust.json, .json.sig or logs/certified.log is written, so nothing can verify this run's artifacts.\n")
	}
	if !p.Features.TaskclusterProxy {
		return nil, func() {}
	}
	creds := credentialsFromEnv()
	if creds == nil || f.RootURL == "" {
		missing := "TASKCLUSTER_CLIENT_ID / TASKCLUSTER_ACCESS_TOKEN"
		if creds != nil {
			missing = "a root URL (--root-url or TASKCLUSTER_ROOT_URL)"
		}
		fmt.Fprintf(stderr, "dwshim: NOTICE: the task uses the taskcluster proxy (features.taskclusterProxy), but %s not set:\n"+
			"dwshim: NOTICE:   the proxy is not started; http://taskcluster does not resolve and every call the task makes through it fails.\n"+
			"dwshim: NOTICE:   Set them (credentials with the task's scopes) to give the task a proxy signing with them.\n", missing)
		return nil, func() {}
	}
	task.IsolatedNetwork = true
	lp := &localProxy{stop: func() {}}
	hook := func(ctx context.Context, rt *runner.Task, n *runner.Network) error {
		if n == nil {
			return errors.New("taskcluster proxy: the task has no network of its own")
		}
		_, subnet, err := net.ParseCIDR(n.Subnet)
		if err != nil {
			return fmt.Errorf("taskcluster proxy: subnet of network %s: %w", n.Name, err)
		}
		lp.dir, err = os.MkdirTemp("", "dwshim-local-proxy-")
		if err != nil {
			return err
		}
		tl, err := worker.NewTaskLog(filepath.Join(lp.dir, "proxy.log"), nil)
		if err != nil {
			return err
		}
		run := &worker.TaskRun{
			TaskID: rt.Identity.TaskID, RunID: rt.Identity.RunID, Log: tl,
			Task:   worker.TaskDefinition{Scopes: in.Scopes},
			Config: &worker.Config{RootURL: f.RootURL},
			Credentials: func() worker.Credentials {
				return worker.Credentials{ClientID: creds.ClientID, AccessToken: creds.AccessToken, Certificate: creds.Certificate}
			},
		}
		url, host, stop, err := (&worker.TaskclusterProxy{Port: proxyPort(n.Gateway), NoRunScope: true}).Start(ctx, run, n.Gateway, subnet)
		if err != nil {
			return err
		}
		lp.stop = stop
		rt.Identity.ProxyURL = url
		rt.Plan.ExtraHosts = append(rt.Plan.ExtraHosts, host)
		fmt.Fprintf(stderr, "dwshim: taskcluster proxy at %s for the task, signing with your credentials (%s) restricted to the task's %d scopes\n",
			url, creds.ClientID, len(in.Scopes))
		return nil
	}
	return hook, func() {
		lp.stop()
		if lp.dir != "" {
			os.RemoveAll(lp.dir)
		}
	}
}

// proxyPort is 80 (http://taskcluster, as docker-worker) when this
// process may listen there, else a free port on the gateway.
func proxyPort(gateway string) int {
	for _, port := range []int{80, 0} {
		ln, err := net.Listen("tcp", net.JoinHostPort(gateway, strconv.Itoa(port)))
		if err == nil {
			p := ln.Addr().(*net.TCPAddr).Port
			ln.Close()
			return p
		}
	}
	return 80
}
