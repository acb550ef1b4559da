package main

import (
	"path/filepath"

	"github.com/dwshim/dwshim/runner/docker"
	"github.com/dwshim/dwshim/worker"
)

// workerEngineOptions are the image options of `dwshim run`'s engine
// from the worker's config: loaded image artifacts are recorded under
// downloadsDir, so a restarted worker reuses what it verified.
// Config.Validate has checked imagePullPolicy.
func workerEngineOptions(cfg worker.Config) docker.Options {
	pol, _ := docker.ParsePullPolicy(cfg.ImagePullPolicy)
	return docker.Options{PullPolicy: pol, RecordsDir: filepath.Join(cfg.DownloadsDir, "image-records")}
}

// localPullPolicy is `dwshim local`'s: use a local image as it is, as
// `docker run` does, unless --pull asks for a pull every run.
func localPullPolicy(pull bool) docker.PullPolicy {
	if pull {
		return docker.PullAlways
	}
	return docker.PullIfMissing
}

// localImageRecords is where `dwshim local` records the image artifacts
// it loaded (next to its download cache), so a later run reuses them.
func localImageRecords() string {
	return filepath.Join(filepath.Dir(defaultImageCache()), "image-records")
}
