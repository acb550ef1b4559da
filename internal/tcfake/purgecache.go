package tcfake

import (
	"encoding/json"
	"strings"
	"time"
)

// The purge-cache service: purgeCache (a user asks workers of a pool to
// purge a cache) and purgeRequests (workers poll for such requests), on the
// real REST paths with the real scopes.
var purgeCacheRoutes = []route{
	{"purgeCache.purgeCache", "POST", "purge-cache", []string{"purge-cache", ":pool"}, (*Server).purgeCache},
	{"purgeCache.purgeRequests", "GET", "purge-cache", []string{"purge-cache", ":pool"}, (*Server).purgeRequests},
}

func init() { routes = append(routes, purgeCacheRoutes...) }

type purgeRequest struct {
	pool, cacheName string
	before          time.Time
}

// PurgeRequestsScope is the scope purgeRequests needs for workerPoolID
// (the service's "purge-cache:purge-requests::<workerPoolId>").
func PurgeRequestsScope(workerPoolID string) string {
	return "purge-cache:purge-requests::" + workerPoolID
}

// AddPurgeRequest asks workers of workerPoolID to purge cacheName (caches
// created before now), as purgeCache.purgeCache does.
func (s *Server) AddPurgeRequest(workerPoolID, cacheName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPurge(workerPoolID, cacheName)
}

// addPurge records a request; a newer one for the same pool and cache
// replaces it, as the service keeps one row per cache. Caller holds s.mu.
func (s *Server) addPurge(pool, cacheName string) {
	for i, p := range s.purges {
		if p.pool == pool && p.cacheName == cacheName {
			s.purges = append(s.purges[:i], s.purges[i+1:]...)
			break
		}
	}
	s.purges = append(s.purges, purgeRequest{pool: pool, cacheName: cacheName, before: s.now()})
}

func (s *Server) purgeCache(c *call) reply {
	var req struct {
		CacheName string `json:"cacheName"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || req.CacheName == "" {
		return badInput("purgeCache payload: want {\"cacheName\": \"<name>\"}")
	}
	if rp, oka := authorize(c, []string{"purge-cache:" + c.p["pool"] + ":" + req.CacheName}); !oka {
		return rp
	}
	s.addPurge(c.p["pool"], req.CacheName)
	return ok(nil)
}

func (s *Server) purgeRequests(c *call) reply {
	if rp, oka := authorize(c, []string{PurgeRequestsScope(c.p["pool"])}); !oka {
		return rp
	}
	since := time.Time{}
	if v := c.r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return badInput("purgeRequests: since " + v + ": " + err.Error())
		}
		since = t
	}
	list := []map[string]any{}
	for _, p := range s.purges {
		if p.pool != c.p["pool"] || !p.before.After(since) {
			continue
		}
		prov, wt, _ := strings.Cut(p.pool, "/")
		list = append(list, map[string]any{"provisionerId": prov, "workerType": wt,
			"cacheName": p.cacheName, "before": fmtTime(p.before)})
	}
	return ok(map[string]any{"requests": list})
}
