package translate

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dwshim/dwshim/dockerrun"
	"github.com/dwshim/dwshim/plan"
)

// d2gBuild builds the d2g target from a task's Plan: what upstream d2g
// emits for the task the Plan was made from. The Plan holds every fact
// d2g needs (capabilities already gated, caches and artifacts sorted);
// the d2g target then renders them in upstream's form and with its
// quirks, as package native renders them in its own.
type d2gBuild struct {
	pl  *plan.Plan
	res *Result
}

// buildD2G fills res.Payload, res.EnvList and res.CopyArtifacts from pl,
// with res.ContainerName in the docker run command. maxRunTime is the
// payload's in seconds, which the Plan holds clamped to a Duration.
func buildD2G(pl *plan.Plan, maxRunTime int64, res *Result) {
	d := d2gBuild{pl: pl, res: res}
	res.Payload = &GenericWorkerPayload{
		MaxRunTime:                maxRunTime,
		OSGroups:                  []string{"docker"},
		SupersederURL:             pl.SupersederURL,
		TaskclusterProxyInterface: "docker-bridge",
	}
	d.artifacts()
	env := d.envList()
	d.mounts()
	res.Payload.Command = [][]string{argv(pl, res.ContainerName, env)}
	d.features()
	res.Payload.OnExitStatus = GWOnExitStatus{PurgeCaches: toInt64s(pl.OnExit.PurgeCaches), Retry: toInt64s(pl.OnExit.Retry)}
}

// artifacts fills payload.artifacts and CopyArtifacts (§2.6): volume
// artifacts are directories the container mounts, the others are copied
// out after it stops.
func (d *d2gBuild) artifacts() {
	if len(d.pl.Artifacts) == 0 {
		return // none, or features.artifacts is false
	}
	arts := make([]GWArtifact, len(d.pl.Artifacts))
	for i, a := range d.pl.Artifacts {
		gw := GWArtifact{Name: a.Name, Optional: true, Type: string(a.Kind), Expires: TCTime(a.Expires)}
		if a.Kind == plan.ArtifactVolume {
			gw.Type = "directory"
			gw.Path = dockerrun.VolumeDir(i, a.Path)
		} else {
			gw.Path = "artifact" + strconv.Itoa(i) + filepath.Ext(a.Path)
			d.res.CopyArtifacts = append(d.res.CopyArtifacts, CopyArtifact{Name: a.Name, SrcPath: a.Path, DestPath: gw.Path})
		}
		arts[i] = gw
	}
	d.res.Payload.Artifacts = arts
}

// mounts: caches in sorted name order, then the image file mount (§2.4, §2.5).
func (d *d2gBuild) mounts() {
	im := d.pl.Image
	n := len(d.pl.Caches)
	if im.Kind != plan.ImageNamed {
		n++
	}
	if n == 0 {
		return
	}
	mounts := make([]GWMount, 0, n)
	for i, c := range d.pl.Caches {
		mounts = append(mounts, GWMount{CacheName: c.Name, Directory: dockerrun.CacheDir(i)})
	}
	switch im.Kind {
	case plan.ImageIndexed:
		mounts = append(mounts, GWMount{Content: &GWContent{Artifact: im.Path, Namespace: im.Namespace}, File: "dockerimage", Format: imageFormat(im.Path)})
	case plan.ImageTaskArtifact:
		mounts = append(mounts, GWMount{Content: &GWContent{Artifact: im.Path, TaskID: im.TaskID}, File: "dockerimage", Format: imageFormat(im.Path)})
	}
	d.res.Payload.Mounts = mounts
}

// imageFormat: only .lz4 gets a format; docker load handles the others.
func imageFormat(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".lz4") {
		return "lz4"
	}
	return ""
}

// features: d2g turns the proxy on for every indexed-image (it fetches
// the image through it) and, when artifacts are disabled, both logs off.
func (d *d2gBuild) features() {
	f := d.pl.Features
	gf := GWFeatures{
		ChainOfTrust:     f.ChainOfTrust,
		Interactive:      f.Interactive,
		ResourceMonitor:  true,
		TaskclusterProxy: f.TaskclusterProxy || d.pl.Image.Kind == plan.ImageIndexed,
	}
	for _, dev := range d.pl.Capabilities.Devices {
		switch dev.Kind {
		case plan.DeviceLoopbackAudio:
			gf.LoopbackAudio = true
		case plan.DeviceLoopbackVideo:
			gf.LoopbackVideo = true
		}
	}
	if f.UploadArtifacts {
		gf.LiveLog, gf.BackingLog = f.LiveLog, f.BackingLog
	}
	d.res.Payload.Features = gf
	d.res.Payload.Logs = GWLogs{Live: f.LiveLogName, Backing: f.BackingLogName}
}

func toInt64s(v []int) []int64 {
	if len(v) == 0 {
		return nil
	}
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
