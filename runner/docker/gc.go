package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Sweep removes what an earlier run of worker workerID left behind:
// containers, per-task volumes, networks and shell snapshot images labelled
// with it. Cache volumes and other workers' objects are kept (d2g removed
// every container named like a task container, whoever made it: spec
// §9.22).
func (e *Engine) Sweep(ctx context.Context, workerID string) error {
	if workerID == "" {
		return errors.New("sweep: empty worker id")
	}
	return e.sweepLabelled(context.WithoutCancel(ctx), LabelWorker+"="+workerID)
}

// removeLabelled removes the containers (with anonymous volumes), per-task
// volumes and networks that carry label ("key=value").
func (e *Engine) removeLabelled(ctx context.Context, label string) error {
	var errs []error
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		return wrap("list containers", err)
	}
	for _, c := range cs.Items {
		_, err := e.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			e.log.Info("removed container", "id", c.ID[:12], "label", label)
		case cerrdefs.IsConflict(err) && e.opts.AutoRemove:
			// The daemon is removing it already (Options.AutoRemove).
		case !cerrdefs.IsNotFound(err):
			errs = append(errs, wrap("remove container "+c.ID[:12], err))
		}
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", label, LabelKind+"="+kindTaskVolume)})
	if err != nil {
		return errors.Join(append(errs, wrap("list volumes", err))...)
	}
	for _, v := range vs.Items {
		// Filters on one key are ORed by some daemons: check both labels.
		if v.Labels[LabelKind] != kindTaskVolume || !hasLabel(v.Labels, label) {
			continue
		}
		errs = append(errs, e.removeVolume(ctx, v.Name))
	}
	ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", label)})
	if err != nil {
		return errors.Join(append(errs, wrap("list networks", err))...)
	}
	for _, n := range ns.Items {
		if _, err := e.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, wrap(fmt.Sprintf("remove network %q", n.Name), err))
		}
	}
	return errors.Join(errs...)
}

// sweepLabelled is removeLabelled for what a dead run left, its shell
// snapshot images included (a live run's session removes its own, so
// Destroy need not list images).
func (e *Engine) sweepLabelled(ctx context.Context, label string) error {
	errs := []error{e.removeLabelled(ctx, label)}
	snaps, err := e.snapshots(ctx, label)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, id := range snaps {
		if _, err := e.cli.ImageRemove(ctx, id, client.ImageRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, wrap("remove shell snapshot image "+shortID(id), err))
		}
	}
	return errors.Join(errs...)
}

// snapshots lists the IDs of the shell snapshot images (ShellContainer)
// that carry label ("key=value").
func (e *Engine) snapshots(ctx context.Context, label string) ([]string, error) {
	imgs, err := e.cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", label, LabelKind+"="+kindSnapshot)})
	if err != nil {
		return nil, wrap("list images", err)
	}
	var ids []string
	for _, img := range imgs.Items {
		// Filters on one key are ORed by some daemons: check both labels.
		if img.Labels[LabelKind] == kindSnapshot && hasLabel(img.Labels, label) {
			ids = append(ids, img.ID)
		}
	}
	return ids, nil
}

// shortID is an image or container ID as docker prints it.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func hasLabel(labels map[string]string, kv string) bool {
	k, v, _ := strings.Cut(kv, "=")
	got, ok := labels[k]
	return ok && got == v
}

// GC removes loaded image artifacts (tags in Options.ImageRepo) beyond
// Options.MaxImages, least recently used first, and never one that a
// container (running or not) or a prepared task uses. Images last used
// by an earlier process count as older than any used by this one.
func (e *Engine) GC(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	imgs, err := e.cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", e.opts.ImageRepo)})
	if err != nil {
		return wrap("list images", err)
	}
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return wrap("list containers", err)
	}
	inUse := map[string]bool{}
	for _, c := range cs.Items {
		inUse[c.ImageID] = true
	}
	type cand struct {
		tag, id string
		rank    int64
	}
	var all []cand
	e.mu.Lock()
	for _, img := range imgs.Items {
		for _, tag := range img.RepoTags {
			if !strings.HasPrefix(tag, e.opts.ImageRepo+":") {
				continue
			}
			c := cand{tag: tag, id: img.ID, rank: img.Created}
			if t, ok := e.used[tag]; ok {
				// Used by this process: newer than anything before it.
				c.rank = 1<<62 + t.UnixNano()>>2
			}
			if e.pins[tag] > 0 || inUse[img.ID] {
				c.rank = 1<<63 - 1
			}
			all = append(all, c)
		}
	}
	e.mu.Unlock()
	keep := max(e.opts.MaxImages, 0)
	if len(all) <= keep {
		return nil
	}
	slices.SortFunc(all, func(a, b cand) int {
		if a.rank != b.rank {
			if a.rank < b.rank {
				return -1
			}
			return 1
		}
		return strings.Compare(a.tag, b.tag)
	})
	var errs []error
	for _, c := range all[:len(all)-keep] {
		if c.rank == 1<<63-1 {
			continue
		}
		if _, err := e.cli.ImageRemove(ctx, c.tag, client.ImageRemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, wrap(fmt.Sprintf("remove image %s", c.tag), err))
			continue
		}
		e.mu.Lock()
		delete(e.used, c.tag)
		e.mu.Unlock()
		e.forget(c.tag)
		e.log.Info("removed unused image", "image", c.tag)
	}
	return errors.Join(errs...)
}

// SweepOrphans removes what dead owners left behind: for every value of
// label key on a container, task volume, network or shell snapshot image
// for which orphan(value)
// says its owner is gone, everything labelled key=value (as Sweep). dwshim
// local labels its objects with its process, so a run killed with SIGKILL
// is cleaned up by the next one.
func (e *Engine) SweepOrphans(ctx context.Context, key string, orphan func(value string) bool) error {
	ctx = context.WithoutCancel(ctx)
	values := map[string]bool{}
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", key)})
	if err != nil {
		return wrap("list containers", err)
	}
	for _, c := range cs.Items {
		values[c.Labels[key]] = true
	}
	ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", key)})
	if err != nil {
		return wrap("list networks", err)
	}
	for _, n := range ns.Items {
		values[n.Labels[key]] = true
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", key)})
	if err != nil {
		return wrap("list volumes", err)
	}
	for _, v := range vs.Items {
		if v.Labels[LabelKind] == kindTaskVolume {
			values[v.Labels[key]] = true
		}
	}
	imgs, err := e.cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", key, LabelKind+"="+kindSnapshot)})
	if err != nil {
		return wrap("list images", err)
	}
	for _, img := range imgs.Items {
		if img.Labels[LabelKind] == kindSnapshot {
			values[img.Labels[key]] = true
		}
	}
	var errs []error
	for _, v := range slices.Sorted(maps.Keys(values)) {
		if v != "" && orphan(v) {
			e.log.Info("removing what a dead owner left", "label", key+"="+v)
			errs = append(errs, e.sweepLabelled(ctx, key+"="+v))
		}
	}
	return errors.Join(errs...)
}
