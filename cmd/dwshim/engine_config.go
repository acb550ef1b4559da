package main

import (
	"path/filepath"

	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/worker"
)

// workerEngineOptions are the image options of `dwshim run`'s engine
// from the worker's config: loaded image artifacts are recorded under
// downloadsDir, so a restarted worker reuses what it verified.
func workerEngineOptions(cfg worker.Config) docker.Options {
	return docker.Options{RecordsDir: filepath.Join(cfg.DownloadsDir, "image-records")}
}

// localImageRecords is where `dwshim local` records the image artifacts
// it loaded (next to its download cache), so a later run reuses them.
func localImageRecords() string {
	return filepath.Join(filepath.Dir(defaultImageCache()), "image-records")
}
