package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner"
)

// LabelCacheCreated holds a cache instance's creation time (RFC 3339), which
// purge requests compare with their "before".
const LabelCacheCreated = "dwshim.cache.created"

var _ runner.CachePurger = (*Engine)(nil)

// acquireCaches gives the task an instance of each of its caches, one no
// other running task has (see cachePool), creating volumes as needed.
func (e *Engine) acquireCaches(ctx context.Context, t *runner.Task, s *taskState, log io.Writer) error {
	if len(t.Plan.Caches) == 0 {
		return nil
	}
	if err := e.loadCaches(ctx); err != nil {
		return err
	}
	for _, c := range t.Plan.Caches {
		now := e.opts.Now()
		e.cacheMu.Lock()
		in, isNew := e.caches.acquire(c.Name, now, func() string { return cacheInstanceName(c.Name) })
		if s.caches == nil {
			s.caches = map[string]*cacheInstance{}
		}
		s.caches[c.Name] = in
		e.cacheMu.Unlock()
		if !isNew {
			fmt.Fprintf(log, "Using cache %q: reusing volume %s\n", c.Name, in.volume)
			continue
		}
		labels := cacheLabels(t, c.Name, e.opts.ExtraLabels)
		labels[LabelCacheCreated] = now.UTC().Format(time.RFC3339Nano)
		if _, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: in.volume, Labels: labels}); err != nil {
			e.cacheMu.Lock()
			delete(s.caches, c.Name)
			e.caches.drop(in)
			e.cacheMu.Unlock()
			return wrap(fmt.Sprintf("create volume %q for cache %q", in.volume, c.Name), err)
		}
		fmt.Fprintf(log, "Using cache %q: new volume %s\n", c.Name, in.volume)
	}
	return nil
}

// cacheInstanceName names a new instance of the cache: CacheVolumeName
// plus a random suffix, so instances never collide, across restarts too.
func cacheInstanceName(name string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return CacheVolumeName(name) + "-" + hex.EncodeToString(b[:])
}

// releaseCaches frees the task's cache instances, removing those purged
// while it ran.
func (e *Engine) releaseCaches(ctx context.Context, s *taskState) error {
	if s == nil || len(s.caches) == 0 {
		return nil
	}
	names := make([]string, 0, len(s.caches))
	for n := range s.caches {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		e.cacheMu.Lock()
		remove := e.caches.release(s.caches[n], e.opts.Now())
		e.cacheMu.Unlock()
		if remove {
			errs = append(errs, e.removeVolume(ctx, s.caches[n].volume))
		}
	}
	s.caches = nil
	return errors.Join(errs...)
}

// PurgeCaches removes every instance of the plan's caches: the free ones
// now, the ones other tasks use when they are released.
func (e *Engine) PurgeCaches(ctx context.Context, t *runner.Task) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, c := range t.Plan.Caches {
		errs = append(errs, e.PurgeCache(ctx, c.Name, time.Unix(1<<40, 0)))
	}
	return errors.Join(errs...)
}

// PurgeCache implements runner.CachePurger: the instances of the named
// cache created before before are removed, at once when free, else when
// the task using them ends; no task gets one of them from now on.
func (e *Engine) PurgeCache(ctx context.Context, name string, before time.Time) error {
	ctx = context.WithoutCancel(ctx)
	if err := e.loadCaches(ctx); err != nil {
		return err
	}
	e.cacheMu.Lock()
	remove := e.caches.purge(name, before)
	e.cacheMu.Unlock()
	var errs []error
	for _, v := range remove {
		errs = append(errs, e.removeVolume(ctx, v))
		e.log.Info("cache volume purged", "cache", name, "volume", v)
	}
	return errors.Join(errs...)
}

// CacheVolumes lists the volumes of the named cache's instances the
// engine knows, sorted.
func (e *Engine) CacheVolumes(ctx context.Context, name string) ([]string, error) {
	if err := e.loadCaches(ctx); err != nil {
		return nil, err
	}
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return e.caches.volumes(name), nil
}

// loadCaches finds, once, the cache volumes an earlier run left (labelled
// as caches, with this engine's extra labels), so that they are reused.
func (e *Engine) loadCaches(ctx context.Context) error {
	e.cacheLoad.Lock()
	defer e.cacheLoad.Unlock()
	if e.cachesLoaded {
		return nil
	}
	vs, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", LabelKind+"="+kindCache)})
	if err != nil {
		return wrap("list cache volumes", err)
	}
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	for _, v := range vs.Items {
		name, ok := v.Labels[LabelCache]
		if !ok || v.Labels[LabelKind] != kindCache || !hasLabels(v.Labels, e.opts.ExtraLabels) {
			continue
		}
		created, err := time.Parse(time.RFC3339Nano, v.Labels[LabelCacheCreated])
		if err != nil {
			// Made before instances were labelled: its creation time.
			created, _ = time.Parse(time.RFC3339, v.CreatedAt)
		}
		e.caches.add(name, v.Name, created)
	}
	e.cachesLoaded = true
	return nil
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// cacheVolumes maps the task's cache names to their instances' volumes.
func (s *taskState) cacheVolumes() map[string]string {
	out := make(map[string]string, len(s.caches))
	for n, in := range s.caches {
		out[n] = in.volume
	}
	return out
}
