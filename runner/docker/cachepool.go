package docker

import (
	"slices"
	"time"
)

// cachePool is the book-keeping of named cache instances, as
// docker-worker's volume cache kept it: a named cache has any number of
// instances (volumes); a running task has the instances it mounts to
// itself; a free instance is reused (the most recently used first),
// otherwise a new one is made; a purge removes the instances created
// before its time, at once when free, else when their task releases them.
//
// It does no I/O: the engine creates and removes the volumes it names.
// Callers hold the engine's cache mutex.
type cachePool struct {
	byName map[string][]*cacheInstance
}

type cacheInstance struct {
	name     string // the docker-worker cache name
	volume   string
	created  time.Time
	lastUsed time.Time
	inUse    bool
	purge    bool // remove when released
}

func newCachePool() *cachePool { return &cachePool{byName: map[string][]*cacheInstance{}} }

// add records an existing instance (found at start), free.
func (p *cachePool) add(name, volume string, created time.Time) {
	for _, in := range p.byName[name] {
		if in.volume == volume {
			return
		}
	}
	p.byName[name] = append(p.byName[name], &cacheInstance{name: name, volume: volume, created: created, lastUsed: created})
}

// acquire gives the caller a free instance of name, the most recently
// used one, or a new instance named newVolume (isNew: the caller must
// create the volume, and drop the instance if that fails).
func (p *cachePool) acquire(name string, now time.Time, newVolume func() string) (in *cacheInstance, isNew bool) {
	for _, c := range p.byName[name] {
		if c.inUse || c.purge {
			continue
		}
		if in == nil || c.lastUsed.After(in.lastUsed) || (c.lastUsed.Equal(in.lastUsed) && c.volume < in.volume) {
			in = c
		}
	}
	if in != nil {
		in.inUse, in.lastUsed = true, now
		return in, false
	}
	in = &cacheInstance{name: name, volume: newVolume(), created: now, lastUsed: now, inUse: true}
	p.byName[name] = append(p.byName[name], in)
	return in, true
}

// release frees the instance; remove says the caller must now remove its
// volume (it was purged while in use): it is no longer in the pool.
func (p *cachePool) release(in *cacheInstance, now time.Time) (remove bool) {
	in.inUse, in.lastUsed = false, now
	if in.purge {
		p.drop(in)
		return true
	}
	return false
}

// purge marks the instances of name created before before; the free ones
// leave the pool at once and their volumes are returned for removal.
func (p *cachePool) purge(name string, before time.Time) (remove []string) {
	for _, in := range slices.Clone(p.byName[name]) {
		if !in.created.Before(before) {
			continue
		}
		in.purge = true
		if !in.inUse {
			p.drop(in)
			remove = append(remove, in.volume)
		}
	}
	slices.Sort(remove)
	return remove
}

// drop forgets the instance.
func (p *cachePool) drop(in *cacheInstance) {
	list := slices.DeleteFunc(p.byName[in.name], func(c *cacheInstance) bool { return c == in })
	if len(list) == 0 {
		delete(p.byName, in.name)
		return
	}
	p.byName[in.name] = list
}

// volumes lists the volumes of name's instances, sorted.
func (p *cachePool) volumes(name string) []string {
	var out []string
	for _, in := range p.byName[name] {
		out = append(out, in.volume)
	}
	slices.Sort(out)
	return out
}
