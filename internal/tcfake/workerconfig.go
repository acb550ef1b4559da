package tcfake

import (
	"path/filepath"
	"strings"

	"github.com/dwshim/dwshim/gwconfig"
)

// WorkerConfig registers a worker's client on the fake ("worker/<workerID>"
// with accessToken and WorkerScopes) and returns the generic-worker config
// of a dwshim run against the fake: task queue taskQueueID
// ("<provisionerId>/<workerType>"), d2g on, no chain of trust, live log or
// taskcluster proxy (they need a deployment), its directories under dir.
func (s *Server) WorkerConfig(taskQueueID, workerGroup, workerID, accessToken, dir string) gwconfig.Config {
	clientID := "worker/" + workerID
	s.AddClient(clientID, accessToken, WorkerScopes(taskQueueID, workerGroup, workerID)...)
	c := gwconfig.Default()
	c.RootURL, c.ClientID, c.AccessToken = s.RootURL(), clientID, accessToken
	c.ProvisionerID, c.WorkerType, _ = strings.Cut(taskQueueID, "/")
	c.WorkerGroup, c.WorkerID = workerGroup, workerID
	c.TasksDir, c.CachesDir, c.DownloadsDir = filepath.Join(dir, "tasks"), filepath.Join(dir, "caches"), filepath.Join(dir, "downloads")
	c.EnableChainOfTrust, c.EnableLiveLog, c.EnableTaskclusterProxy = false, false, false
	c.D2GConfig.EnableD2G = true
	return c
}
